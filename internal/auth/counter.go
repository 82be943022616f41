package auth

import (
	"context"
	"math"
	"sync"
	"time"
)

// NonceCounter remembers, per nonce, the highest nonce-count accepted,
// so that a replayed request is refused (RFC 7616 §3.3 nc, §5.5).
// Verify calls it only for a request whose response is correct.
type NonceCounter interface {
	// Advance records use.NC for the nonce if it is greater than every
	// count accepted for it before, and reports whether it was. It may
	// also refuse a nonce it can no longer vouch for. It may forget a
	// nonce once now reaches use.Expires. err is for a backend that could
	// not answer.
	Advance(ctx context.Context, use NonceUse, now time.Time) (ok bool, err error)
}

// NonceUse is one use of a nonce.
type NonceUse struct {
	ID      uint64 // identifies the nonce (bytes of its MAC), uniformly spread
	NC      uint32 // the nonce-count; 1 for requests without qop
	Expires int64  // Unix seconds from which the nonce is stale anyway
}

// counterShards spreads the table over this many locks (a power of two).
const counterShards = 64

// MemoryCounter is the default NonceCounter: a per-node table of at most
// max nonces in 64 shards. Each shard is a map from nonce ID to its count
// and expiry, plus the IDs in arrival order; an expired nonce leaves when
// it reaches the front, and a full shard evicts its front. The latest
// expiry evicted is kept as a horizon: a nonce not in the table that
// expires no later is refused, since it may have been evicted, so the
// table's bound never lets a replay through. Entries cost about 45 bytes.
type MemoryCounter struct {
	shards [counterShards]counterShard
}

type counterShard struct {
	mu      sync.Mutex
	seen    map[uint64]counterEntry
	order   idRing
	max     int
	horizon int64
	evicted uint64
	_       [64]byte // keeps the next shard's mutex off this one's cache line
}

// counterEntry is kept small: a million of them fill the default table.
type counterEntry struct {
	nc      uint32
	expires uint32 // Unix seconds, as in the nonce
}

// NewMemoryCounter makes a table for at most limit nonces (at least one
// per shard).
func NewMemoryCounter(limit int) *MemoryCounter {
	c := &MemoryCounter{}
	per := max((limit+counterShards-1)/counterShards, 1)
	for i := range c.shards {
		c.shards[i].max = per
		c.shards[i].seen = make(map[uint64]counterEntry)
	}
	return c
}

// Advance implements NonceCounter; it never fails.
func (c *MemoryCounter) Advance(_ context.Context, u NonceUse, now time.Time) (bool, error) {
	sh := &c.shards[u.ID%counterShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.dropExpired(now.Unix())
	if e, ok := sh.seen[u.ID]; ok {
		if u.NC <= e.nc {
			return false, nil
		}
		e.nc = u.NC
		sh.seen[u.ID] = e
		return true, nil
	}
	if u.Expires <= sh.horizon {
		return false, nil
	}
	if sh.order.n >= sh.max {
		sh.evictFront()
	}
	sh.seen[u.ID] = counterEntry{nc: u.NC, expires: uint32(min(max(u.Expires, 0), math.MaxUint32))}
	sh.order.push(u.ID)
	return true, nil
}

// dropExpired removes expired entries from the front of the arrival order.
func (sh *counterShard) dropExpired(now int64) {
	for sh.order.n > 0 {
		id := sh.order.front()
		if int64(sh.seen[id].expires) > now {
			return
		}
		sh.order.pop()
		delete(sh.seen, id)
	}
}

func (sh *counterShard) evictFront() {
	id := sh.order.pop()
	sh.horizon = max(sh.horizon, int64(sh.seen[id].expires))
	delete(sh.seen, id)
	sh.evicted++
}

// CounterStats are a MemoryCounter's figures, for metrics.
type CounterStats struct {
	Tracked int    // nonces in the table
	Evicted uint64 // nonces pushed out by a full table before they expired
}

// Stats sums the shards' figures.
func (c *MemoryCounter) Stats() CounterStats {
	var s CounterStats
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		s.Tracked += sh.order.n
		s.Evicted += sh.evicted
		sh.mu.Unlock()
	}
	return s
}

// idRing is a FIFO of nonce IDs that grows by doubling.
type idRing struct {
	buf     []uint64
	head, n int
}

func (r *idRing) push(id uint64) {
	if r.n == len(r.buf) {
		grown := make([]uint64, max(2*len(r.buf), 16))
		for i := range r.n {
			grown[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = grown, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = id
	r.n++
}

func (r *idRing) front() uint64 { return r.buf[r.head] }

func (r *idRing) pop() uint64 {
	id := r.buf[r.head]
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return id
}
