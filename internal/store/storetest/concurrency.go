package storetest

import (
	"fmt"
	"sync"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

func concurrencyCases() []testCase {
	return []testCase{
		{"one binding saved at once through two nodes", false, sameBindingRace},
		{"batches of overlapping aors through two nodes", false, batchRace},
		{"expiry sweep racing a refresh", false, expireRacesRefresh},
		{"expire in batches", false, expireBatches},
	}
}

// sameBindingRace has many goroutines on two nodes save the same few
// bindings of one AoR at once, some as new (upsert) and some as
// refreshes of what they read: each binding must end as one row.
func sameBindingRace(e *env) {
	const contactsPerAOR = 2
	race(e, "update", func(s store.Store, w, r int) error {
		b := binding(alice, fmt.Sprintf("sip:alice@192.0.2.%d", (w+r)%contactsPerAOR), e.now.Add(time.Duration(r+1)*time.Minute))
		if r%2 == 1 {
			if cur, err := s.Bindings(e.ctx, alice, e.now); err == nil {
				b.ID = idOf(cur, b.RUID)
			}
		}
		return s.Update(e.ctx, alice, []store.Binding{b}, nil)
	})
	all, err := e.s.List(e.ctx, &alice, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	if got := contacts(all); len(got) != contactsPerAOR || got[0] == got[1] {
		e.t.Errorf("rows: %v; want one per contact, %d in all", got, contactsPerAOR)
	}
}

// batchRace has goroutines on two nodes save batches of AoRs that
// overlap, in different orders, as a registrar under load does: every
// batch must succeed (deadlocks are sent again) and each binding must
// end as one row.
func batchRace(e *env) {
	const aors, perBatch = 6, 4
	aor := func(i int) store.AOR { return store.AOR{User: fmt.Sprintf("u%d", i), Domain: "example.com"} }
	race(e, "batch", func(s store.Store, w, r int) error {
		batch := make([]store.AOR, perBatch)
		for i := range batch {
			batch[i] = aor((w + r + i*(1+w%2)) % aors)
		}
		batch = distinctAORs(batch)
		cur, err := s.BindingsOf(e.ctx, batch, e.now)
		if err != nil {
			return err
		}
		changes := make([]store.Change, len(batch))
		for i, a := range batch {
			b := binding(a, fmt.Sprintf("sip:%s@192.0.2.%d", a.User, (w+r)%2), e.now.Add(time.Duration(r+1)*time.Minute))
			b.ID = idOf(cur[i], b.RUID)
			changes[i] = store.Change{AOR: a, Put: []store.Binding{b}}
		}
		return s.UpdateAll(e.ctx, changes)
	})
	for i := range aors {
		all, err := e.s.List(e.ctx, new(aor(i)), 0)
		if err != nil {
			e.t.Fatal(err)
		}
		if got := contacts(all); len(got) > 2 || (len(got) == 2 && got[0] == got[1]) {
			e.t.Errorf("%s: rows %v; want at most one per contact", aor(i), got)
		}
	}
}

// race runs save on 8 goroutines spread over two nodes, 10 rounds each,
// all starting at once, and fails the test on any error.
func race(e *env, what string, save func(s store.Store, worker, round int) error) {
	nodes := []store.Store{e.s, e.node(2)}
	const workers, rounds = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	start := make(chan struct{})
	for w := range workers {
		s := nodes[w%len(nodes)]
		wg.Go(func() {
			<-start
			for r := range rounds {
				if err := save(s, w, r); err != nil {
					errs <- err
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Errorf("%s: %v", what, err)
	}
}

// idOf gives the id of the binding with ruid in bs, or 0.
func idOf(bs []store.Binding, ruid string) int64 {
	for _, b := range bs {
		if b.RUID == ruid {
			return b.ID
		}
	}
	return 0
}

func distinctAORs(in []store.AOR) []store.AOR {
	var out []store.AOR
	seen := map[store.AOR]bool{}
	for _, a := range in {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// expireRacesRefresh starts a sweep on one node and a refresh of a
// lapsed binding on another at the same moment, many times over: the
// refreshed binding must always survive.
func expireRacesRefresh(e *env) {
	sweeper := e.node(2)
	for i := range 40 {
		b := binding(alice, fmt.Sprintf("sip:alice@192.0.2.%d", i), e.now.Add(-time.Second))
		update(e, e.s, alice, []store.Binding{b}, nil)
		all, err := e.s.List(e.ctx, &alice, 0)
		if err != nil {
			e.t.Fatal(err)
		}
		b = one(e, all)
		if i%2 == 0 {
			b.ID = 0 // the upsert path; odd rounds refresh by id
		}
		b.Expires = e.now.Add(time.Hour)
		start := make(chan struct{})
		var wg sync.WaitGroup
		var upErr, exErr error
		wg.Go(func() { <-start; upErr = e.s.Update(e.ctx, alice, []store.Binding{b}, nil) })
		wg.Go(func() { <-start; _, exErr = sweeper.Expire(e.ctx, e.now, 100) })
		close(start)
		wg.Wait()
		if upErr != nil || exErr != nil {
			e.t.Fatalf("round %d: update: %v; expire: %v", i, upErr, exErr)
		}
		got := bindingsOf(e, e.s, alice)
		if len(got) != 1 || !got[0].Expires.Equal(b.Expires) {
			e.t.Fatalf("round %d: the refreshed binding is lost: %v", i, contacts(got))
		}
		update(e, e.s, alice, nil, []string{b.RUID})
	}
}

func expireBatches(e *env) {
	var lapsed, live []store.Binding
	for i := range 25 {
		lapsed = append(lapsed, binding(alice, fmt.Sprintf("sip:old%d@x", i), e.now.Add(-time.Duration(i+1)*time.Second)))
	}
	for i := range 5 {
		live = append(live, binding(bob, fmt.Sprintf("sip:new%d@x", i), e.now.Add(time.Minute)))
	}
	live = append(live, binding(bob, "sip:forever@x", time.Time{}))
	update(e, e.s, alice, lapsed, nil)
	update(e, e.s, bob, live, nil)
	var got []int
	for {
		n, err := e.s.Expire(e.ctx, e.now, 10)
		if err != nil {
			e.t.Fatal(err)
		}
		got = append(got, n)
		if n < 10 {
			break
		}
	}
	if fmt.Sprint(got) != "[10 10 5]" {
		e.t.Errorf("expire batches removed %v; want [10 10 5]", got)
	}
	if n := len(bindingsOf(e, e.s, bob)); n != 6 {
		e.t.Errorf("%d live bindings left; want 6", n)
	}
	if _, err := e.s.Expire(e.ctx, e.now, 0); err == nil {
		e.t.Error("expire with limit 0: no error")
	}
}
