package pike

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentAllow runs Allow from several goroutines with Sweep and
// Stats beside them; under -race it checks the locking, and the count
// checks that no request is lost: within one interval exactly Threshold
// requests of a source get through, however the goroutines interleave.
func TestConcurrentAllow(t *testing.T) {
	const (
		workers   = 4
		perWorker = 5000
		threshold = 1000
	)
	l := mustNew(t, Config{Interval: time.Hour, Threshold: threshold, BanFor: time.Hour, MaxTracked: 1 << 12})
	hot := netip.MustParseAddr("203.0.113.5")
	var allowed atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				if l.Allow(hot, t0) {
					allowed.Add(1)
				}
				cold := netip.AddrFrom4([4]byte{198, 51, byte(w), byte(i)})
				l.Allow(cold, t0)
			}
		})
	}
	var side sync.WaitGroup
	side.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				l.Sweep(t0)
				l.Stats(t0)
				l.Bans(t0)
			}
		}
	})
	wg.Wait()
	close(stop)
	side.Wait()

	if got := allowed.Load(); got != threshold {
		t.Errorf("allowed %d requests of the hot source, want exactly %d", got, threshold)
	}
	st := l.Stats(t0)
	if want := uint64(workers*perWorker - threshold); st.Dropped < want {
		t.Errorf("dropped %d, want at least %d", st.Dropped, want)
	}
}
