package dispatcher

import (
	"cmp"
	"slices"
	"sync/atomic"
)

// Destination is one destination of one set in a loaded list. The
// configured fields never change; the health behind it is shared with
// the Destination of the same identity in earlier and later snapshots.
// A *Destination stays valid after a reload that drops it: calls
// acquired on it can still be released.
type Destination struct {
	Entry
	// ID is the destination's identity across reloads: the set and the
	// duid attribute when given, the set and the URI otherwise.
	ID        string
	Host      string // from the URI: hostname, IPv4 or [IPv6]
	Port      int    // from the URI; 0 when it names none
	Transport string // the URI's transport parameter, lower case; "" when none

	index int    // position in its set
	seed  uint64 // rendezvous-hash seed, from the identity
	h     *health
}

// State is the destination's current state.
func (d *Destination) State() State { return d.h.load() }

// Acquire takes one call slot for the least-load accounting and reports
// whether it could: it cannot when MaxLoad calls are in progress already.
// Each successful Acquire needs exactly one Release, when the call ends
// or fails over elsewhere. With AlgLeastLoad, Acquire what Next returned;
// if another call took the last slot in between, Acquire fails and Next
// offers the next least loaded.
func (d *Destination) Acquire() bool {
	limit := int64(d.Attrs.MaxLoad)
	for {
		n := d.h.inflight.Load()
		if limit > 0 && n >= limit {
			return false
		}
		if d.h.inflight.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Release gives back a slot taken by Acquire.
func (d *Destination) Release() { d.h.inflight.Add(-1) }

// InFlight is the number of calls acquired and not yet released.
func (d *Destination) InFlight() int64 { return d.h.inflight.Load() }

// usable reports whether the destination may take new traffic.
func (d *Destination) usable() bool { return d.h.load() == StateActive }

// full reports whether the destination has reached its maxload.
func (d *Destination) full() bool {
	return d.Attrs.MaxLoad > 0 && d.h.inflight.Load() >= int64(d.Attrs.MaxLoad)
}

// set is one destination set of a snapshot. Its destinations are in
// Kamailio's order: higher priority first, then list order.
type set struct {
	id    int
	dests []*Destination
	rr    atomic.Uint64 // round-robin position
	wrr   atomic.Uint64 // position in cycle
	cycle []int32       // smooth weighted round-robin order of one weight period
}

// weight is the destination's share for the weighted algorithm; an
// absent weight counts as 1.
func (d *Destination) weight() int { return max(d.Attrs.Weight, 1) }

// rweight is the share for relative weight, scaled by recent health;
// the floor keeps a struggling destination in rotation, just barely, so
// that the score can recover.
func (d *Destination) rweight() uint64 {
	return uint64(max(d.Attrs.RWeight, 1)) * uint64(max(d.h.score.Load(), scoreScale/20))
}

func newSet(id int, dests []*Destination) *set {
	slices.SortStableFunc(dests, func(a, b *Destination) int { return cmp.Compare(b.Priority, a.Priority) })
	for i, d := range dests {
		d.index = i
	}
	s := &set{id: id, dests: dests}
	s.cycle = weightCycle(dests)
	return s
}

// weightCycle lays out one period of smooth weighted round robin (the
// nginx algorithm): each destination appears weight/gcd times, spread
// out, so that any run of consecutive picks is close to proportional.
// Kamailio shuffles a 100-slot table instead, which can put a light
// destination's picks back to back.
func weightCycle(dests []*Destination) []int32 {
	if len(dests) == 0 {
		return nil
	}
	g := 0
	for _, d := range dests {
		g = gcd(g, d.weight())
	}
	total := 0
	w := make([]int, len(dests))
	for i, d := range dests {
		w[i] = d.weight() / g
		total += w[i]
	}
	cycle := make([]int32, 0, total)
	cur := make([]int, len(dests))
	for range total {
		best := 0
		for i := range cur {
			cur[i] += w[i]
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		cycle = append(cycle, int32(best))
	}
	return cycle
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
