package proxy

import "sync/atomic"

type counter int

const (
	cRequests counter = iota
	cCalls
	cAnswered
	cCancelled
	cBusy
	cNotFound
	cUnavailable
	cTimeouts
	cFailed
	cBranches
	cFailovers
	cChallenged
	cForbidden
	cLoops
	cStateless
	cDBErrors
	cDNSErrors
	cOverload
	cDropped
	numCounters
)

var counterNames = [numCounters]string{
	cRequests:    "requests",
	cCalls:       "calls",
	cAnswered:    "calls_answered",
	cCancelled:   "calls_cancelled",
	cBusy:        "calls_busy",
	cNotFound:    "calls_not_found",
	cUnavailable: "calls_unavailable",
	cTimeouts:    "calls_timed_out",
	cFailed:      "calls_failed",
	cBranches:    "branches",
	cFailovers:   "gateway_failovers",
	cChallenged:  "challenged",
	cForbidden:   "forbidden",
	cLoops:       "loops",
	cStateless:   "stateless_forwards",
	cDBErrors:    "db_errors",
	cDNSErrors:   "dns_errors",
	cOverload:    "overloaded",
	cDropped:     "dropped",
}

type counters [numCounters]atomic.Uint64

func (c *counters) inc(i counter) { c[i].Add(1) }

// Stats is a snapshot of the proxy's counters by name.
func (p *Proxy) Stats() map[string]uint64 {
	out := make(map[string]uint64, numCounters)
	for i := range p.stats {
		out[counterNames[i]] = p.stats[i].Load()
	}
	return out
}

// outcome counts a call's final answer by kind.
func (p *Proxy) outcome(code int) {
	switch {
	case code < 300:
		p.stats.inc(cAnswered)
	case code == 487:
		p.stats.inc(cCancelled)
	case code == 486 || code == 600:
		p.stats.inc(cBusy)
	case code == 404 || code == 604:
		p.stats.inc(cNotFound)
	case code == 480:
		p.stats.inc(cUnavailable)
	case code == 408:
		p.stats.inc(cTimeouts)
	default:
		p.stats.inc(cFailed)
	}
}
