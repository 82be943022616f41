package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

// TestAdvanceNonce: counts only go up, a replay is refused, and two
// "nodes" racing on the same count accept it once.
func TestAdvanceNonce(t *testing.T) {
	for _, engine := range []string{"sqlite", "mysql", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := freshDSN(t, engine)
			a := openStore(t, dsn, store.Options{})
			if err := a.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			b := openStore(t, dsn, store.Options{})
			ctx := context.Background()
			exp := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
			steps := []struct {
				s    *Store
				nc   uint32
				want bool
			}{{a, 1, true}, {a, 1, false}, {b, 1, false}, {b, 2, true}, {a, 2, false}, {a, 5, true}, {b, 4, false}}
			for i, st := range steps {
				ok, err := st.s.AdvanceNonce(ctx, 0xfeed, st.nc, exp)
				if err != nil || ok != st.want {
					t.Fatalf("step %d nc=%d: %v %v, want %v", i, st.nc, ok, err, st.want)
				}
			}
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Add(1)
				go func(s *Store) {
					defer wg.Done()
					if ok, err := s.AdvanceNonce(ctx, 0xbeef, 1, exp); err == nil && ok {
						wins.Add(1)
					}
				}([]*Store{a, b}[i%2])
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%d nodes accepted the same count", wins.Load())
			}
			if n, err := a.ExpireNonces(ctx, exp.Add(time.Second)); err != nil || n != 2 {
				t.Fatalf("expired %d, %v", n, err)
			}
		})
	}
}
