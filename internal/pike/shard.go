package pike

import "sync"

// evictSamples is how many occupied slots a full shard looks at to find
// one to reuse: enough that the one chosen is nearly always long idle,
// few enough that a flood of new sources costs little each.
const evictSamples = 5

// shard is one lock's worth of sources. index maps a key to its slot in
// slots; freed slots go on free for reuse. The counters are guarded by mu
// like the rest, since Allow holds it anyway.
type shard struct {
	mu    sync.Mutex
	index map[key]uint32
	slots []slot
	free  []uint32
	max   int
	rng   uint64 // xorshift state for eviction sampling

	dropped, bans, evicted, untracked uint64

	_ [64]byte // keeps the next shard's mutex off this one's cache line
}

// slot is one source's counts. win is the number of the current interval
// (now / Interval); cur and prev count the requests in it and the one
// before.
type slot struct {
	key        key
	win        int64
	cur, prev  uint32
	lastSeen   int64 // unix ns
	bannedTill int64 // unix ns; not banned at or after it
	used       bool
}

func (sh *shard) init(max int, seed uint64) {
	sh.max = max
	sh.index = make(map[key]uint32, min(max, 64))
	sh.rng = seed | 1
}

// verdict is what one request does to a source.
type verdict uint8

const (
	pass   verdict = iota
	refuse         // the source is banned
	ban            // this request took the source over the threshold
)

func (sh *shard) allow(k key, now int64, p *params) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	i, ok := sh.index[k]
	if !ok {
		if i, ok = sh.insert(k, now); !ok {
			sh.untracked++
			return true
		}
	}
	switch sh.slots[i].hit(now, p) {
	case ban:
		sh.bans++
		sh.dropped++
		return false
	case refuse:
		sh.dropped++
		return false
	}
	return true
}

// hit counts one request at now and judges it.
func (s *slot) hit(now int64, p *params) verdict {
	win := now / p.interval
	switch {
	case win == s.win+1:
		s.prev, s.cur = s.cur, 0
		s.win = win
	case win > s.win+1:
		s.prev, s.cur = 0, 0
		s.win = win
	}
	// A win below s.win is a caller whose clock read came a little before
	// another's; it counts in the current interval.
	if s.cur < ^uint32(0) {
		s.cur++
	}
	s.lastSeen = max(s.lastSeen, now)
	if now < s.bannedTill {
		return refuse
	}
	if s.rate(now, p) > p.threshold {
		s.bannedTill = now + p.banFor
		return ban
	}
	return pass
}

// rate is the sliding-window estimate of the requests in the last
// Interval: the part of the previous interval the window still covers,
// assuming its requests were spread evenly, plus the current one.
func (s *slot) rate(now int64, p *params) float64 {
	elapsed := float64(now-s.win*p.interval) / float64(p.interval)
	elapsed = min(max(elapsed, 0), 1)
	return float64(s.prev)*(1-elapsed) + float64(s.cur)
}

// insert gives k a slot: a free one, a new one below the cap, or an
// evicted one. It fails when the sampled slots are all banned.
func (sh *shard) insert(k key, now int64) (uint32, bool) {
	var i uint32
	switch {
	case len(sh.free) > 0:
		i = sh.free[len(sh.free)-1]
		sh.free = sh.free[:len(sh.free)-1]
	case len(sh.slots) < sh.max:
		i = uint32(len(sh.slots))
		sh.slots = append(sh.slots, slot{})
	default:
		var ok bool
		if i, ok = sh.victim(now); !ok {
			return 0, false
		}
		delete(sh.index, sh.slots[i].key)
		sh.evicted++
	}
	sh.slots[i] = slot{key: k, win: -1, used: true}
	sh.index[k] = i
	return i, true
}

// victim picks the least recently seen of a few random unbanned slots.
// It is called only when every slot is in use.
func (sh *shard) victim(now int64) (uint32, bool) {
	best, found := uint32(0), false
	for range evictSamples {
		i := uint32(sh.next() % uint64(len(sh.slots)))
		s := &sh.slots[i]
		if now < s.bannedTill {
			continue
		}
		if !found || s.lastSeen < sh.slots[best].lastSeen {
			best, found = i, true
		}
	}
	return best, found
}

// next is xorshift64: eviction needs spread, not unpredictability, and
// must not take a global lock.
func (sh *shard) next() uint64 {
	x := sh.rng
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	sh.rng = x
	return x
}

// sweep frees the slots of sources that are not banned at now and sent
// nothing for two intervals, so whose counts are both zero: forgetting
// them loses nothing. It returns how many it freed.
func (sh *shard) sweep(now int64, p *params) int {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	n := 0
	for i := range sh.slots {
		s := &sh.slots[i]
		if !s.used || now < s.bannedTill || now-s.lastSeen < 2*p.interval {
			continue
		}
		delete(sh.index, s.key)
		*s = slot{}
		sh.free = append(sh.free, uint32(i))
		n++
	}
	return n
}
