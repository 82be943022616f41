package natping

import (
	"sync"
	"sync/atomic"
	"time"
)

// counter names one of the pinger's counters.
type counter int

const (
	cPinged counter = iota
	cSendErrors
	cSkippedStream
	cSkippedUnusable
	cSkippedFamily
	cDBErrors
	cCycles
	cCyclesLagged
	numCounters
)

var counterNames = [numCounters]string{
	cPinged:          "pinged",
	cSendErrors:      "send_errors",
	cSkippedStream:   "skipped_stream",
	cSkippedUnusable: "skipped_unusable",
	cSkippedFamily:   "skipped_family",
	cDBErrors:        "db_errors",
	cCycles:          "cycles",
	cCyclesLagged:    "cycles_lagged",
}

var skipCounter = [...]counter{
	skipStream:   cSkippedStream,
	skipUnusable: cSkippedUnusable,
	skipFamily:   cSkippedFamily,
}

type counters [numCounters]atomic.Uint64

func (c *counters) add(i counter, n int) { c[i].Add(uint64(n)) }

// Stats is a snapshot of the pinger's counters by name: bindings pinged,
// send errors, bindings skipped (stream: TCP/TLS; unusable: no IP address;
// family: no source address of that family), failed database reads,
// cycles and cycles that overran their interval.
func (p *Pinger) Stats() map[string]uint64 {
	out := make(map[string]uint64, numCounters)
	for i := range p.stats {
		out[counterNames[i]] = p.stats[i].Load()
	}
	return out
}

// Cycle describes one pass over the pinger's share of the bindings.
type Cycle struct {
	Start time.Time
	// Bindings is how many NATed bindings were read; Pinged, Failed and
	// Skipped what became of them.
	Bindings, Pinged, Failed, Skipped int
	// Duration runs from the start to the last send; Read is the time
	// spent waiting on the database, which the sends overlap.
	Duration, Read time.Duration
	// Lag is how far the cycle ran past its interval (0 when on time).
	Lag time.Duration
	// Err is the database error that cut the reading short, if any; the
	// bindings read before it were pinged.
	Err error
}

// lastCycle keeps the most recent Cycle for the gauges.
type lastCycle struct {
	mu sync.Mutex
	c  Cycle
}

func (l *lastCycle) set(c Cycle) {
	l.mu.Lock()
	l.c = c
	l.mu.Unlock()
}

// LastCycle is the most recent complete cycle; zero before the first ends.
func (p *Pinger) LastCycle() Cycle {
	p.last.mu.Lock()
	defer p.last.mu.Unlock()
	return p.last.c
}
