package lb

import "sync/atomic"

// counter names one of the LB's counters.
type counter int

const (
	cRequestsIn counter = iota
	cResponsesIn
	cForwarded
	cRelayed
	cReplies
	cFailovers
	cNoDestination
	cDropMalformed
	cDropForged
	cDropPike
	cDropScanner
	cDropUnroutable
	cRelayDenied
	cSendErrors
	cAbsorbed
	cNATPingReplies
	numCounters
)

var counterNames = [numCounters]string{
	cRequestsIn:     "requests_in",
	cResponsesIn:    "responses_in",
	cForwarded:      "requests_forwarded",
	cRelayed:        "responses_relayed",
	cReplies:        "local_replies",
	cFailovers:      "failovers",
	cNoDestination:  "no_destination",
	cDropMalformed:  "dropped_malformed",
	cDropForged:     "dropped_forged_responses",
	cDropPike:       "dropped_rate_limited",
	cDropScanner:    "dropped_scanners",
	cDropUnroutable: "dropped_unroutable",
	cRelayDenied:    "relay_denied",
	cSendErrors:     "send_errors",
	cAbsorbed:       "retransmissions_absorbed",
	cNATPingReplies: "natping_replies_absorbed",
}

// counters are cache-line padded so the two read loops do not fight over
// one line.
type counters [numCounters]struct {
	n atomic.Uint64
	_ [56]byte
}

func (c *counters) inc(i counter) { c[i].n.Add(1) }

// Stats is a snapshot of the LB's counters by name.
func (lb *LB) Stats() map[string]uint64 {
	out := make(map[string]uint64, numCounters)
	for i := range lb.stats {
		out[counterNames[i]] = lb.stats[i].n.Load()
	}
	return out
}
