package sqlstore

import (
	"context"
	"fmt"
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

// TestAdvanceNonces: a batch decides its uses in order, as one at a time
// would, and batches racing on two nodes accept each count of each
// nonce once.
func TestAdvanceNonces(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			dsn := freshDSN(t, engine)
			a := openStore(t, dsn, store.Options{})
			if err := a.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			b := openStore(t, dsn, store.Options{})
			ctx := t.Context()
			exp := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
			if ok, err := a.AdvanceNonce(ctx, 0x10, 3, exp); !ok || err != nil {
				t.Fatalf("setup: %v %v", ok, err)
			}
			uses := []NonceUse{{0x10, 3, exp}, {0x10, 4, exp}, {0x11, 1, exp}, {0x11, 1, exp}, {0x12, 2, exp}, {0x11, 2, exp}, {0x10, 4, exp}}
			got, err := a.AdvanceNonces(ctx, uses)
			if err != nil {
				t.Fatal(err)
			}
			if want := []bool{false, true, true, false, true, true, false}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("batch: %v; want %v", got, want)
			}
			for _, u := range []NonceUse{{0x10, 4, exp}, {0x11, 2, exp}, {0x12, 2, exp}} {
				if ok, err := b.AdvanceNonce(ctx, u.ID, u.NC, exp); ok || err != nil {
					t.Errorf("nonce %x count %d again on the other node: %v %v; want a refusal", u.ID, u.NC, ok, err)
				}
			}
			// Batches of the same 6 nonces, counts 1 to 3, on two nodes.
			var wins [6][4]atomic.Int32
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := range 8 {
				s := []*Store{a, b}[w%2]
				wg.Go(func() {
					var batch []NonceUse
					for i := range 6 {
						batch = append(batch, NonceUse{uint64(0x100 + (i+w)%6), uint32(1 + (i+w)%3), exp})
					}
					ok, err := s.AdvanceNonces(ctx, batch)
					if err != nil {
						errs <- err
						return
					}
					for i, u := range batch {
						if ok[i] {
							wins[u.ID-0x100][u.NC].Add(1)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			for id := range wins {
				for nc := 1; nc <= 3; nc++ {
					if n := wins[id][nc].Load(); n > 1 {
						t.Errorf("nonce %x count %d accepted %d times", 0x100+id, nc, n)
					}
				}
			}
			// First uses, as REGISTERs under load bring them: batches of
			// new nonces from two nodes at once must not fail (MySQL's gap
			// locks deadlocked them under REPEATABLE READ).
			errs = make(chan error, 40)
			for w := range 8 {
				s := []*Store{a, b}[w%2]
				wg.Go(func() {
					for r := range 5 {
						var batch []NonceUse
						for i := range 32 {
							batch = append(batch, NonceUse{uint64(0x1000000 + (r*8+w)*32 + i*7919), 1, exp})
						}
						if _, err := s.AdvanceNonces(ctx, batch); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("first uses: %v", err)
			}
		})
	}
}
