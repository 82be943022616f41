package auth

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func advance(c NonceCounter, id uint64, nc uint32, expires int64, now time.Time) bool {
	ok, err := c.Advance(context.Background(), NonceUse{ID: id, NC: nc, Expires: expires}, now)
	if err != nil {
		panic(err)
	}
	return ok
}

func TestMemoryCounter(t *testing.T) {
	c := NewMemoryCounter(1 << 10)
	exp := t0.Add(time.Minute).Unix()
	steps := []struct {
		id uint64
		nc uint32
		ok bool
	}{
		{1, 1, true}, {1, 1, false}, {1, 2, true}, {1, 4, true}, {1, 3, false},
		{2, 7, true}, // another nonce has its own count
		{1, 5, true}, {2, 7, false},
	}
	for i, s := range steps {
		if got := advance(c, s.id, s.nc, exp, t0); got != s.ok {
			t.Errorf("step %d: Advance(%d, %d) = %v, want %v", i, s.id, s.nc, got, s.ok)
		}
	}
	if st := c.Stats(); st.Tracked != 2 || st.Evicted != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestMemoryCounterExpiry(t *testing.T) {
	c := NewMemoryCounter(1 << 10)
	for id := range uint64(100) {
		advance(c, id, 1, t0.Add(time.Minute).Unix(), t0)
	}
	// Expired entries leave as their shard is next used.
	for id := range uint64(counterShards) {
		advance(c, 1000+id, 1, t0.Add(3*time.Minute).Unix(), t0.Add(2*time.Minute))
	}
	if st := c.Stats(); st.Tracked != counterShards || st.Evicted != 0 {
		t.Errorf("stats %+v, want only the %d new nonces", st, counterShards)
	}
}

// TestMemoryCounterFull: a full shard evicts its oldest nonce, and that
// nonce is refused afterwards, never counted afresh.
func TestMemoryCounterFull(t *testing.T) {
	c := NewMemoryCounter(counterShards)                            // one nonce per shard
	first, second := uint64(counterShards), uint64(2*counterShards) // both in shard 0
	exp := t0.Add(time.Minute).Unix()
	if !advance(c, first, 1, exp, t0) || !advance(c, second, 1, exp+1, t0) {
		t.Fatal("fresh nonces refused")
	}
	if st := c.Stats(); st.Evicted != 1 {
		t.Errorf("stats %+v, want one eviction", st)
	}
	if advance(c, first, 2, exp, t0) {
		t.Error("evicted nonce accepted again: its old counts could be replayed")
	}
	if !advance(c, 3*counterShards, 1, exp+2, t0) {
		t.Error("a nonce newer than every evicted one refused")
	}
	if !advance(c, 1, 1, exp, t0) {
		t.Error("another shard affected by shard 0's evictions")
	}
}

// TestMemoryCounterConcurrent: one count of one nonce, tried at once by
// several goroutines, is accepted exactly once.
func TestMemoryCounterConcurrent(t *testing.T) {
	const (
		workers = 4
		nonces  = 500
		counts  = 8
	)
	c := NewMemoryCounter(1 << 12)
	exp := t0.Add(time.Minute).Unix()
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for id := range uint64(nonces) {
				for nc := range uint32(counts) {
					if advance(c, id*0x9e3779b97f4a7c15, nc+1, exp, t0) {
						accepted.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	// Every goroutine walks the counts upwards, so each count is accepted
	// by whichever goroutine gets there first, and by no other.
	if got := accepted.Load(); got != nonces*counts {
		t.Errorf("%d accepted, want %d", got, nonces*counts)
	}
}
