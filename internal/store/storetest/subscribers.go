package storetest

import (
	"errors"
	"slices"

	"github.com/sipfleet/sipfleet/internal/store"
)

func subscriberCases() []testCase {
	return []testCase{
		{"subscribers", false, subscribersCRUD},
	}
}

func subscribersCRUD(e *env) {
	subs := e.s
	a := store.NewSubscriber(alice, "secret", true)
	b := store.NewSubscriber(store.AOR{User: "bob", Domain: "example.org"}, "hunter2", false)
	c := store.NewSubscriber(store.AOR{User: "carol", Domain: "example.com"}, "pw", true)
	for _, s := range []store.Subscriber{a, b, c} {
		if err := subs.Put(e.ctx, s); err != nil {
			e.t.Fatalf("put %s: %v", s.User, err)
		}
	}
	got, err := subs.Get(e.ctx, "alice", "example.com")
	if err != nil || got != a {
		e.t.Errorf("get alice: %+v, %v; want %+v", got, err, a)
	}
	a2 := store.NewSubscriber(alice, "changed", false)
	if err := subs.Put(e.ctx, a2); err != nil {
		e.t.Fatal(err)
	}
	if got, _ := subs.Get(e.ctx, "alice", "example.com"); got != a2 {
		e.t.Errorf("after put again: %+v; want %+v", got, a2)
	}
	all, err := subs.ListSubscribers(e.ctx, "")
	if err != nil || !slices.Equal(users(all), []string{"alice@example.com", "carol@example.com", "bob@example.org"}) {
		e.t.Errorf("list all: %v, %v", users(all), err)
	}
	org, err := subs.ListSubscribers(e.ctx, "example.org")
	if err != nil || !slices.Equal(users(org), []string{"bob@example.org"}) {
		e.t.Errorf("list example.org: %v, %v", users(org), err)
	}
	if err := subs.Delete(e.ctx, "alice", "example.com"); err != nil {
		e.t.Fatal(err)
	}
	if _, err := subs.Get(e.ctx, "alice", "example.com"); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("get after delete: %v; want ErrNotFound", err)
	}
	if err := subs.Delete(e.ctx, "alice", "example.com"); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("delete again: %v; want ErrNotFound", err)
	}
	if _, err := subs.Get(e.ctx, "alice", "example.org"); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("get of another domain: %v; want ErrNotFound", err)
	}
}

func users(subs []store.Subscriber) []string {
	out := make([]string, len(subs))
	for i, s := range subs {
		out[i] = s.User + "@" + s.Domain
	}
	return out
}
