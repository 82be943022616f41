package sqlstore

import (
	"fmt"
	"testing"

	"github.com/sipfleet/sipfleet/internal/store"
)

// TestGetAll reads several subscribers at once, one of them absent, two
// sharing a user in different domains.
func TestGetAll(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			s, ctx := migratedStore(t, engine), t.Context()
			for _, a := range []store.AOR{{User: "alice", Domain: "example.com"}, {User: "alice", Domain: "example.org"}, {User: "bob", Domain: "example.com"}} {
				if err := s.Put(ctx, store.NewSubscriber(a, "pw-"+a.Domain, false)); err != nil {
					t.Fatal(err)
				}
			}
			aors := []store.AOR{{User: "alice", Domain: "example.org"}, {User: "carol", Domain: "example.com"},
				{User: "bob", Domain: "example.com"}, {User: "alice", Domain: "example.com"}, {User: "bob", Domain: "example.org"}}
			subs, found, err := s.GetAll(ctx, aors)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(found) != "[true false true true false]" {
				t.Fatalf("found %v; want [true false true true false]", found)
			}
			for i, a := range aors {
				if !found[i] {
					continue
				}
				want, err := s.Get(ctx, a.User, a.Domain)
				if err != nil || subs[i] != want {
					t.Errorf("%s: %+v; want %+v (%v)", a, subs[i], want, err)
				}
			}
		})
	}
}
