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
		{"expiry sweep racing a refresh", false, expireRacesRefresh},
		{"expire in batches", false, expireBatches},
	}
}

// sameBindingRace has many goroutines on two nodes save the same few
// bindings of one AoR at once, some as new (upsert) and some as
// refreshes of what they read: each binding must end as one row.
func sameBindingRace(e *env) {
	nodes := []store.Store{e.s, e.node(2)}
	const workers, rounds, contactsPerAOR = 8, 10, 2
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	start := make(chan struct{})
	for w := range workers {
		s := nodes[w%len(nodes)]
		wg.Go(func() {
			<-start
			for r := range rounds {
				b := binding(alice, fmt.Sprintf("sip:alice@192.0.2.%d", (w+r)%contactsPerAOR), e.now.Add(time.Duration(r+1)*time.Minute))
				if r%2 == 1 {
					if cur, err := s.Bindings(e.ctx, alice, e.now); err == nil {
						for _, c := range cur {
							if c.RUID == b.RUID {
								b.ID = c.ID
							}
						}
					}
				}
				if err := s.Update(e.ctx, alice, []store.Binding{b}, nil); err != nil {
					errs <- err
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Errorf("update: %v", err)
	}
	all, err := e.s.List(e.ctx, &alice, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	if got := contacts(all); len(got) != contactsPerAOR || got[0] == got[1] {
		e.t.Errorf("rows: %v; want one per contact, %d in all", got, contactsPerAOR)
	}
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
