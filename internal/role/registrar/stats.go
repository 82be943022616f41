package registrar

import "sync/atomic"

type counter int

const (
	cRequests counter = iota
	cRegistered
	cRefused
	cChallenged
	cDBErrors
	cOverload
	cSendErrors
	cDropped
	cBatches
	numCounters
)

var counterNames = [numCounters]string{
	cRequests:   "requests",
	cRegistered: "registered",
	cRefused:    "refused",
	cChallenged: "challenged",
	cDBErrors:   "db_errors",
	cOverload:   "overloaded",
	cSendErrors: "send_errors",
	cDropped:    "dropped",
	cBatches:    "batches",
}

type counters [numCounters]atomic.Uint64

func (c *counters) inc(i counter) { c[i].Add(1) }

// Stats is a snapshot of the registrar's counters by name.
func (r *Registrar) Stats() map[string]uint64 {
	out := make(map[string]uint64, numCounters)
	for i := range r.stats {
		out[counterNames[i]] = r.stats[i].Load()
	}
	return out
}
