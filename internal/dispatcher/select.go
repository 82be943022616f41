package dispatcher

import (
	"errors"
	"fmt"
)

// ErrNoSet is returned by Select for a set the current list does not have.
var ErrNoSet = errors.New("no such destination set")

// Cursor walks one selection: the first choice, then the failover
// alternatives in the algorithm's order, each destination at most once.
// Every Next looks at the destinations' health afresh, so a destination
// that went down during the first attempt is not offered as the second.
// A Cursor keeps the set it was made from, so a failover sequence is not
// disturbed by a reload. It is a value with no allocation behind it for
// sets of up to 256 destinations; the LB keeps it in its transaction.
// A Cursor is not safe for concurrent use.
type Cursor struct {
	set    *set
	alg    Algorithm
	kh     uint64 // key hash, for the hash algorithms
	rng    uint64 // splitmix64 state, for the others
	last   int    // index of the destination Next returned last; -1 before
	n      int    // destinations returned so far
	tried  [4]uint64
	triedX []uint64 // replaces tried for sets of more than 256
}

// Select starts a selection from set setID with alg. key is what
// alg.Key() names; the other algorithms ignore it. Select does not keep
// key.
func (d *Dispatcher) Select(setID int, alg Algorithm, key []byte) (Cursor, error) {
	s := d.cur.Load().sets[setID]
	if s == nil {
		return Cursor{}, fmt.Errorf("select from set %d: %w", setID, ErrNoSet)
	}
	if alg >= numAlgorithms {
		return Cursor{}, fmt.Errorf("select from set %d: unknown %v", setID, alg)
	}
	c := Cursor{set: s, alg: alg, last: -1}
	if alg.hashed() {
		c.kh = keyHash(key)
	} else {
		c.rng = d.rand()
	}
	if len(s.dests) > 64*len(c.tried) {
		c.triedX = make([]uint64, (len(s.dests)+63)/64)
	}
	return c, nil
}

// Next returns the next destination to try, or false when no active
// destination is left untried (or, for least load, none below maxload).
func (c *Cursor) Next() (*Destination, bool) {
	if c.set == nil {
		return nil, false
	}
	i := c.pick()
	if i < 0 {
		return nil, false
	}
	c.mark(i)
	c.last = i
	c.n++
	d := c.set.dests[i]
	d.h.selected.Add(1)
	return d, true
}

// Tried is the number of destinations Next has returned.
func (c *Cursor) Tried() int { return c.n }

func (c *Cursor) pick() int {
	switch c.alg {
	case AlgRoundRobin:
		return c.pickRoundRobin()
	case AlgRandom:
		return c.nth(int(c.rand() % uint64(max(c.count(), 1))))
	case AlgPriority:
		return c.nth(0)
	case AlgWeighted:
		return c.pickWeighted()
	case AlgLeastLoad:
		return c.pickLeastLoad()
	case AlgRelativeWeight:
		return c.pickByWeight((*Destination).rweight)
	}
	return c.pickHash()
}

// candidate reports whether destination i may be returned next.
func (c *Cursor) candidate(i int) bool {
	return !c.isTried(i) && c.set.dests[i].usable()
}

// count is the number of candidates.
func (c *Cursor) count() int {
	m := 0
	for i := range c.set.dests {
		if c.candidate(i) {
			m++
		}
	}
	return m
}

// nth returns the index of the k-th candidate in set order, or -1.
func (c *Cursor) nth(k int) int {
	for i := range c.set.dests {
		if c.candidate(i) {
			if k == 0 {
				return i
			}
			k--
		}
	}
	return -1
}

// pickHash returns the candidate with the highest rendezvous score.
func (c *Cursor) pickHash() int {
	best, bestScore := -1, uint64(0)
	for i, d := range c.set.dests {
		if !c.candidate(i) {
			continue
		}
		if s := d.score(c.kh); best < 0 || s > bestScore {
			best, bestScore = i, s
		}
	}
	return best
}

// pickRoundRobin rotates the first choice over the active destinations
// only, so a dead destination's turns are shared by all the others rather
// than given to its neighbour; failover then walks on in set order.
func (c *Cursor) pickRoundRobin() int {
	if c.n > 0 {
		return c.after(c.last)
	}
	m := c.count()
	if m == 0 {
		return -1
	}
	return c.nth(int((c.set.rr.Add(1) - 1) % uint64(m)))
}

// after returns the first candidate after index i, wrapping around.
func (c *Cursor) after(i int) int {
	n := len(c.set.dests)
	for j := 1; j <= n; j++ {
		if k := (i + j) % n; c.candidate(k) {
			return k
		}
	}
	return -1
}

// pickWeighted takes the first choice from the set's smooth weighted
// round-robin cycle, which gives exact proportions while all are active.
// When the cycle lands on a destination that is down, and for failover,
// it draws among the candidates in proportion to their weights, so a dead
// destination's share spreads over the others by weight.
func (c *Cursor) pickWeighted() int {
	if c.n == 0 && len(c.set.cycle) > 0 {
		pos := (c.set.wrr.Add(1) - 1) % uint64(len(c.set.cycle))
		if i := int(c.set.cycle[pos]); c.candidate(i) {
			return i
		}
	}
	return c.pickByWeight(func(d *Destination) uint64 { return uint64(d.weight()) })
}

// pickByWeight draws a candidate with probability proportional to w.
func (c *Cursor) pickByWeight(w func(*Destination) uint64) int {
	var total uint64
	for i, d := range c.set.dests {
		if c.candidate(i) {
			total += w(d)
		}
	}
	if total == 0 {
		return -1
	}
	r := c.rand() % total
	for i, d := range c.set.dests {
		if !c.candidate(i) {
			continue
		}
		if x := w(d); r < x {
			return i
		} else {
			r -= x
		}
	}
	return -1
}

// pickLeastLoad returns the candidate with the fewest calls in progress
// that is below its maxload. The scan starts at a random place so that
// ties, as on an idle system, spread instead of all going to the first.
func (c *Cursor) pickLeastLoad() int {
	n := len(c.set.dests)
	start := int(c.rand() % uint64(n))
	best, bestLoad := -1, int64(0)
	for j := range n {
		i := (start + j) % n
		d := c.set.dests[i]
		if !c.candidate(i) || d.full() {
			continue
		}
		if l := d.InFlight(); best < 0 || l < bestLoad {
			best, bestLoad = i, l
		}
	}
	return best
}

// rand steps the cursor's splitmix64 generator.
func (c *Cursor) rand() uint64 {
	c.rng += 0x9e3779b97f4a7c15
	return mix(c.rng)
}

func (c *Cursor) isTried(i int) bool {
	if c.triedX != nil {
		return c.triedX[i/64]&(1<<(i%64)) != 0
	}
	return c.tried[i/64]&(1<<(i%64)) != 0
}

func (c *Cursor) mark(i int) {
	if c.triedX != nil {
		c.triedX[i/64] |= 1 << (i % 64)
		return
	}
	c.tried[i/64] |= 1 << (i % 64)
}
