package sqlstore

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

// BenchmarkRegister measures what a REGISTER costs the store: the lookup
// of the AoR's bindings, then the save of one binding. "new" saves a new
// AoR each time (the upsert), "refresh" re-registers one of 1,000 AoRs
// (the UPDATE by ruid), alone and from 8 goroutines. statements/op is the
// SQL statements sent per REGISTER.
func BenchmarkRegister(b *testing.B) {
	for _, engine := range engines {
		b.Run(engine, func(b *testing.B) {
			s := openStore(b, freshDSN(b, engine), store.Options{MaxConns: 8})
			if err := s.Migrate(b.Context()); err != nil {
				b.Fatal(err)
			}
			var seq atomic.Int64
			b.Run("new", func(b *testing.B) {
				benchRegister(b, s, func() int { return int(seq.Add(1)) + 1_000_000 })
			})
			const aors = 1000
			for i := range aors {
				if err := registerOnce(b, s, i); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("refresh", func(b *testing.B) {
				benchRegister(b, s, func() int { return int(seq.Add(1) % aors) })
			})
			b.Run("refresh-parallel", func(b *testing.B) {
				before := s.Stats().Statements
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := registerOnce(b, s, int(seq.Add(1)%aors)); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(s.Stats().Statements-before)/float64(b.N), "statements/op")
			})
			for _, n := range []int{16, 64} {
				b.Run(fmt.Sprintf("refresh-batch%d", n), func(b *testing.B) {
					benchRegisterBatch(b, s, n, func() int { return int(seq.Add(1) % aors) })
				})
			}
		})
	}
}

// benchRegisterBatch is the store's part of n concurrent REGISTERs of
// different AoRs as a registrar batches them: one BindingsOf, one
// UpdateAll. Its figures are per REGISTER.
func benchRegisterBatch(b *testing.B, s *Store, n int, next func() int) {
	ctx := b.Context()
	before, ops := s.Stats().Statements, 0
	start := time.Now()
	for b.Loop() {
		aors := make([]store.AOR, 0, n)
		seen := map[int]bool{}
		for len(aors) < n {
			if i := next(); !seen[i] {
				seen[i] = true
				aors = append(aors, store.AOR{User: fmt.Sprintf("user%d", i), Domain: "example.com"})
			}
		}
		now := time.Now()
		cur, err := s.BindingsOf(ctx, aors, now)
		if err != nil {
			b.Fatal(err)
		}
		changes := make([]store.Change, n)
		for i, aor := range aors {
			bd := cur[i][0]
			bd.CSeq++
			bd.Expires = now.Add(time.Hour)
			changes[i] = store.Change{AOR: aor, Put: []store.Binding{bd}}
		}
		if err := s.UpdateAll(ctx, changes); err != nil {
			b.Fatal(err)
		}
		ops += n
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(ops), "ns/register")
	b.ReportMetric(float64(s.Stats().Statements-before)/float64(ops), "statements/register")
}

func benchRegister(b *testing.B, s *Store, next func() int) {
	before, n := s.Stats().Statements, 0
	for b.Loop() {
		n++
		if err := registerOnce(b, s, next()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.Stats().Statements-before)/float64(n), "statements/op")
}

// registerOnce is the store's part of one REGISTER of user i.
func registerOnce(b *testing.B, s *Store, i int) error {
	ctx := b.Context()
	aor := store.AOR{User: fmt.Sprintf("user%d", i), Domain: "example.com"}
	now := time.Now()
	cur, err := s.Bindings(ctx, aor, now)
	if err != nil {
		return err
	}
	bd := store.Binding{AOR: aor, Contact: "sip:" + aor.User + "@192.0.2.4:5060", Expires: now.Add(time.Hour),
		Q: store.QUnset, CallID: "c" + aor.User, CSeq: i, UserAgent: "bench", Keepalive: true}
	if len(cur) > 0 {
		bd.ID, bd.CSeq = cur[0].ID, cur[0].CSeq+1
	}
	bd.Partition = store.PartitionOf(store.RUID(aor, bd.Contact, "", 0), store.DefaultPartitions)
	return s.Update(ctx, aor, []store.Binding{bd}, nil)
}
