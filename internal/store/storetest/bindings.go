package storetest

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

var (
	alice = store.AOR{User: "alice", Domain: "example.com"}
	bob   = store.AOR{User: "bob"} // a registrar that is not multi-domain
)

// binding makes a binding of aor to contact, expiring at expires.
func binding(aor store.AOR, contact string, expires time.Time) store.Binding {
	return store.Binding{
		RUID: store.RUID(aor, contact, "", 0), AOR: aor, Contact: contact, Expires: expires,
		Q: store.QUnset, CallID: "call-" + contact, CSeq: 1,
		Partition: store.PartitionOf(store.RUID(aor, contact, "", 0), store.DefaultPartitions),
	}
}

// full is a binding with every field set.
func full(now time.Time) store.Binding {
	ruid := store.RUID(alice, "", "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>", 1)
	return store.Binding{
		RUID: ruid, AOR: alice, Contact: "sip:alice@192.0.2.4:5060;transport=tcp;ob",
		Received: "sip:198.51.100.7:40000;transport=tcp", Path: "<sip:lb.internal;lr;received=sip:198.51.100.7:40000>",
		Expires: now.Add(time.Hour), Q: 0.5, CallID: "a84b4c76e66710", CSeq: 314159, LastModified: now,
		Flags: 64, CFlags: 3, UserAgent: "Softphone/1.0", Socket: "udp:10.0.0.2:5060", Methods: 8191,
		Instance: "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>", RegID: 1, ServerID: 7, ConnectionID: 42,
		Keepalive: true, Partition: store.PartitionOf(ruid, store.DefaultPartitions),
	}
}

func bindingCases() []testCase {
	return []testCase{
		{"every field round trips", false, func(e *env) {
			want := full(e.now)
			update(e, e.s, alice, []store.Binding{want}, nil)
			got := bindingsOf(e, e.s, alice)
			if len(got) != 1 {
				e.t.Fatalf("got %d bindings; want 1", len(got))
			}
			want.ID = got[0].ID
			if got[0] != want {
				e.t.Errorf("round trip:\n got %+v\nwant %+v", got[0], want)
			}
		}},
		{"defaults filled in", false, func(e *env) {
			b := binding(bob, "sip:bob@192.0.2.9", e.now.Add(time.Minute))
			b.RUID = ""
			update(e, e.s, bob, []store.Binding{b}, nil)
			got := one(e, bindingsOf(e, e.s, bob))
			if got.RUID != store.RUID(bob, b.Contact, "", 0) || got.ServerID != 1 || got.LastModified.IsZero() || got.AOR != bob {
				e.t.Errorf("got ruid %q server %d modified %v aor %v; want the computed ruid, server 1, a time, %v",
					got.RUID, got.ServerID, got.LastModified, got.AOR, bob)
			}
		}},
		{"upsert by ruid", false, func(e *env) {
			b := binding(alice, "sip:alice@192.0.2.4", e.now.Add(time.Minute))
			update(e, e.s, alice, []store.Binding{b}, nil)
			b.Expires, b.CSeq = e.now.Add(time.Hour), 2
			update(e, e.s, alice, []store.Binding{b}, nil) // ID 0: the upsert
			got := one(e, bindingsOf(e, e.s, alice))
			got.CSeq, got.Expires = 3, e.now.Add(2*time.Hour)
			update(e, e.s, alice, []store.Binding{got}, nil) // ID set: the refresh
			again := one(e, bindingsOf(e, e.s, alice))
			if again.ID != got.ID || again.CSeq != 3 || !again.Expires.Equal(got.Expires) {
				e.t.Errorf("after refresh: id %d cseq %d expires %v; want id %d, cseq 3, expires %v",
					again.ID, again.CSeq, again.Expires, got.ID, got.Expires)
			}
		}},
		{"refresh of a row gone meanwhile", false, func(e *env) {
			b := binding(alice, "sip:alice@192.0.2.4", e.now.Add(time.Minute))
			update(e, e.s, alice, []store.Binding{b}, nil)
			got := one(e, bindingsOf(e, e.s, alice))
			update(e, e.s, alice, nil, []string{got.RUID})
			got.Expires = e.now.Add(time.Hour)
			update(e, e.s, alice, []store.Binding{got}, nil)
			if again := one(e, bindingsOf(e, e.s, alice)); !again.Expires.Equal(got.Expires) {
				e.t.Errorf("expires %v; want %v", again.Expires, got.Expires)
			}
		}},
		{"refresh whose id went to a new row", false, func(e *env) {
			// alice's binding is the newest row; it is read, then
			// removed, and bob's new binding may take its id (SQLite
			// draws max(id)+1). alice's refresh must still be saved, as
			// her own row, and bob's stay his.
			update(e, e.s, bob, []store.Binding{binding(bob, "sip:b0@x", e.now.Add(time.Hour))}, nil)
			update(e, e.s, alice, []store.Binding{binding(alice, "sip:a@x", e.now.Add(time.Hour))}, nil)
			read := one(e, bindingsOf(e, e.s, alice))
			update(e, e.s, alice, nil, []string{read.RUID})
			update(e, e.s, bob, []store.Binding{binding(bob, "sip:b1@x", e.now.Add(time.Hour))}, nil)
			read.CSeq = 7
			update(e, e.s, alice, []store.Binding{read}, nil)
			if got := one(e, bindingsOf(e, e.s, alice)); got.Contact != "sip:a@x" || got.CSeq != 7 {
				e.t.Errorf("alice: %s cseq %d; want sip:a@x cseq 7", got.Contact, got.CSeq)
			}
			if got := contacts(bindingsOf(e, e.s, bob)); !slices.Equal(got, []string{"sip:b0@x", "sip:b1@x"}) {
				e.t.Errorf("bob: %v; want b0 and b1 untouched", got)
			}
		}},
		{"kamailio ruid kept", false, func(e *env) {
			b := binding(alice, "sip:alice@192.0.2.4", e.now.Add(time.Minute))
			b.RUID = "uloc-5f1d3a2b-6e1c-1"
			update(e, e.s, alice, []store.Binding{b}, nil)
			got := one(e, bindingsOf(e, e.s, alice))
			got.Expires = e.now.Add(time.Hour)
			update(e, e.s, alice, []store.Binding{got}, nil)
			if again := one(e, bindingsOf(e, e.s, alice)); again.RUID != b.RUID || !again.Expires.Equal(got.Expires) {
				e.t.Errorf("ruid %q expires %v; want %q, %v", again.RUID, again.Expires, b.RUID, got.Expires)
			}
		}},
		{"refreshes spend no ids", false, refreshesSpendNoIDs},
		{"several aors read at once", false, bindingsOfSeveral},
		{"several aors saved at once", false, updateAll},
		{"expiry filter", false, expiryFilter},
		{"put and delete in one update", false, putAndDelete},
		{"failed update changes nothing", false, failedUpdate},
		{"binding of another aor refused", false, func(e *env) {
			err := e.s.Update(e.ctx, alice, []store.Binding{binding(bob, "sip:bob@192.0.2.9", e.now)}, nil)
			if err == nil {
				e.t.Fatal("update of alice with a binding of bob: no error")
			}
		}},
		{"list", false, func(e *env) {
			update(e, e.s, alice, []store.Binding{binding(alice, "sip:a1@x", e.now.Add(time.Hour)), binding(alice, "sip:a2@x", e.now.Add(-time.Hour))}, nil)
			update(e, e.s, bob, []store.Binding{binding(bob, "sip:b1@x", e.now.Add(time.Hour))}, nil)
			all, err := e.s.List(e.ctx, nil, 0)
			if err != nil || len(all) != 3 {
				e.t.Fatalf("list all: %d bindings, %v; want 3", len(all), err)
			}
			some, err := e.s.List(e.ctx, &alice, 1)
			if err != nil || len(some) != 1 || some[0].AOR != alice {
				e.t.Errorf("list alice, limit 1: %v, %v; want one of alice's", some, err)
			}
		}},
	}
}

// refreshesSpendNoIDs refreshes a binding many times, in batches and
// alone: the next new binding must get the next id, as Kamailio's 32-bit
// id column would otherwise run out (see Update).
func refreshesSpendNoIDs(e *env) {
	update(e, e.s, alice, []store.Binding{binding(alice, "sip:a@x", e.now.Add(time.Hour))}, nil)
	got := one(e, bindingsOf(e, e.s, alice))
	for i := range 5 {
		got.CSeq = i + 2
		update(e, e.s, alice, []store.Binding{got}, nil)
		carol := store.AOR{User: "carol"}
		cur, err := e.s.BindingsOf(e.ctx, []store.AOR{alice}, e.now)
		if err != nil || len(cur[0]) != 1 {
			e.t.Fatalf("bindings of alice: %v, %v", cur, err)
		}
		c := cur[0][0]
		c.CSeq++
		if err := e.s.UpdateAll(e.ctx, []store.Change{{AOR: alice, Put: []store.Binding{c}}, {AOR: carol}}); err != nil {
			e.t.Fatal(err)
		}
	}
	update(e, e.s, bob, []store.Binding{binding(bob, "sip:b@x", e.now.Add(time.Hour))}, nil)
	if next := one(e, bindingsOf(e, e.s, bob)); next.ID != got.ID+1 {
		e.t.Errorf("after 10 refreshes of id %d the next binding got id %d; want %d", got.ID, next.ID, got.ID+1)
	}
}

// bindingsOfSeveral reads AoRs that share a user, an AoR without a
// domain, one with no bindings and one given twice.
func bindingsOfSeveral(e *env) {
	aliceOrg := store.AOR{User: "alice", Domain: "example.org"}
	update(e, e.s, alice, []store.Binding{binding(alice, "sip:a1@x", e.now.Add(time.Hour)), binding(alice, "sip:a2@x", e.now.Add(time.Hour)),
		binding(alice, "sip:lapsed@x", e.now)}, nil)
	update(e, e.s, aliceOrg, []store.Binding{binding(aliceOrg, "sip:ao@x", e.now.Add(time.Hour))}, nil)
	update(e, e.s, bob, []store.Binding{binding(bob, "sip:b@x", time.Time{})}, nil)
	aors := []store.AOR{aliceOrg, {User: "nobody", Domain: "example.com"}, bob, alice, aliceOrg}
	got, err := e.s.BindingsOf(e.ctx, aors, e.now)
	if err != nil {
		e.t.Fatal(err)
	}
	want := [][]string{{"sip:ao@x"}, {}, {"sip:b@x"}, {"sip:a1@x", "sip:a2@x"}, {"sip:ao@x"}}
	if len(got) != len(want) {
		e.t.Fatalf("%d answers for %d aors", len(got), len(aors))
	}
	for i := range want {
		if c := contacts(got[i]); !slices.Equal(c, want[i]) {
			e.t.Errorf("%s: %v; want %v", aors[i], c, want[i])
		}
		single := bindingsOf(e, e.s, aors[i])
		if !slices.Equal(single, got[i]) && len(single)+len(got[i]) > 0 {
			e.t.Errorf("%s: BindingsOf gave %v, Bindings %v", aors[i], got[i], single)
		}
	}
}

// updateAll saves, refreshes and removes bindings of several AoRs at
// once, then sends a set with one row the engine refuses: none of that
// set may stay.
func updateAll(e *env) {
	carol := store.AOR{User: "carol", Domain: "example.com"}
	a1, b1 := binding(alice, "sip:a1@x", e.now.Add(time.Hour)), binding(bob, "sip:b1@x", e.now.Add(time.Hour))
	if err := e.s.UpdateAll(e.ctx, []store.Change{{AOR: alice, Put: []store.Binding{a1}}, {AOR: bob, Put: []store.Binding{b1}}}); err != nil {
		e.t.Fatal(err)
	}
	a1 = one(e, bindingsOf(e, e.s, alice))
	a1.CSeq = 9
	c1 := binding(carol, "sip:c1@x", e.now.Add(time.Hour))
	err := e.s.UpdateAll(e.ctx, []store.Change{
		{AOR: alice, Put: []store.Binding{a1, binding(alice, "sip:a2@x", e.now.Add(time.Hour))}},
		{AOR: bob, Del: []string{b1.RUID}},
		{AOR: carol, Put: []store.Binding{c1}, Del: []string{a1.RUID}}, // not carol's: stays
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if got := contacts(bindingsOf(e, e.s, alice)); !slices.Equal(got, []string{"sip:a1@x", "sip:a2@x"}) {
		e.t.Errorf("alice: %v; want a1 and a2", got)
	}
	if got := bindingsOf(e, e.s, alice); got[0].ID != a1.ID || got[0].CSeq != 9 {
		e.t.Errorf("alice's a1: id %d cseq %d; want id %d cseq 9", got[0].ID, got[0].CSeq, a1.ID)
	}
	if got := bindingsOf(e, e.s, bob); len(got) != 0 {
		e.t.Errorf("bob: %v; want none", contacts(got))
	}
	if err := e.s.UpdateAll(e.ctx, []store.Change{{AOR: alice, Put: []store.Binding{binding(bob, "sip:x@x", e.now)}}}); err == nil {
		e.t.Error("a change of alice with a binding of bob: no error")
	}
	if e.b.LaxLengths {
		return
	}
	bad := binding(carol, "sip:"+strings.Repeat("x", 600)+"@x", e.now.Add(time.Hour))
	err = e.s.UpdateAll(e.ctx, []store.Change{
		{AOR: bob, Put: []store.Binding{binding(bob, "sip:b2@x", e.now.Add(time.Hour))}},
		{AOR: alice, Del: []string{a1.RUID}},
		{AOR: carol, Put: []store.Binding{bad}},
	})
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		e.t.Fatalf("a set with a 600-character contact: %v; want a refusal", err)
	}
	if a, b := bindingsOf(e, e.s, alice), bindingsOf(e, e.s, bob); len(a) != 2 || len(b) != 0 {
		e.t.Errorf("after a refused set: alice %v, bob %v; want alice's two, bob none", contacts(a), contacts(b))
	}
}

func expiryFilter(e *env) {
	live := binding(alice, "sip:live@x", e.now.Add(time.Second))
	lapsed := binding(alice, "sip:lapsed@x", e.now)
	forever := binding(alice, "sip:forever@x", time.Time{})
	update(e, e.s, alice, []store.Binding{live, lapsed, forever}, nil)
	if got := contacts(bindingsOf(e, e.s, alice)); !slices.Equal(got, []string{"sip:forever@x", "sip:live@x"}) {
		e.t.Errorf("bindings in force: %v; want forever and live", got)
	}
	later, err := e.s.Bindings(e.ctx, alice, e.now.Add(time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	if got := contacts(later); !slices.Equal(got, []string{"sip:forever@x"}) || !later[0].Permanent() {
		e.t.Errorf("an hour later: %v; want the permanent one", got)
	}
}

func putAndDelete(e *env) {
	a, b := binding(alice, "sip:a@x", e.now.Add(time.Hour)), binding(alice, "sip:b@x", e.now.Add(time.Hour))
	update(e, e.s, alice, []store.Binding{a, b}, nil)
	c := binding(alice, "sip:c@x", e.now.Add(time.Hour))
	update(e, e.s, alice, []store.Binding{c}, []string{a.RUID, "no-such-ruid"})
	if got := contacts(bindingsOf(e, e.s, alice)); !slices.Equal(got, []string{"sip:b@x", "sip:c@x"}) {
		e.t.Errorf("after put c, delete a: %v; want b and c", got)
	}
	// del only removes the AoR's own rows.
	update(e, e.s, bob, nil, []string{b.RUID})
	if got := len(bindingsOf(e, e.s, alice)); got != 2 {
		e.t.Errorf("delete of alice's ruid through bob removed it: %d left; want 2", got)
	}
}

// failedUpdate sends a put whose second row the engine refuses: nothing
// of the update, the delete included, may stay.
func failedUpdate(e *env) {
	a := binding(alice, "sip:a@x", e.now.Add(time.Hour))
	update(e, e.s, alice, []store.Binding{a}, nil)
	good := binding(alice, "sip:good@x", e.now.Add(time.Hour))
	bad := binding(alice, "sip:"+strings.Repeat("x", 600)+"@x", e.now.Add(time.Hour))
	err := e.s.Update(e.ctx, alice, []store.Binding{good, bad}, []string{a.RUID})
	got := contacts(bindingsOf(e, e.s, alice))
	switch {
	case err == nil && e.b.LaxLengths:
		if len(got) != 2 {
			e.t.Errorf("after the update: %d bindings; want 2", len(got))
		}
	case err == nil:
		e.t.Fatal("a 600-character contact went into a VARCHAR(512)")
	case errors.Is(err, store.ErrUnavailable):
		e.t.Errorf("a refused row says ErrUnavailable: %v", err)
	case !slices.Equal(got, []string{"sip:a@x"}):
		e.t.Errorf("after a failed update: %v; want a alone", got)
	}
}

func update(e *env, s store.Store, aor store.AOR, put []store.Binding, del []string) {
	e.t.Helper()
	if err := s.Update(e.ctx, aor, put, del); err != nil {
		e.t.Fatalf("update %s: %v", aor, err)
	}
}

func bindingsOf(e *env, s store.Store, aor store.AOR) []store.Binding {
	e.t.Helper()
	got, err := s.Bindings(e.ctx, aor, e.now)
	if err != nil {
		e.t.Fatalf("bindings of %s: %v", aor, err)
	}
	return got
}

func one(e *env, bs []store.Binding) store.Binding {
	e.t.Helper()
	if len(bs) != 1 {
		e.t.Fatalf("got %d bindings; want 1: %v", len(bs), contacts(bs))
	}
	return bs[0]
}

func contacts(bs []store.Binding) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Contact
	}
	slices.Sort(out)
	return out
}
