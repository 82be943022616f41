package registrar

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/auth"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
)

// TestBatchDigest: a batch of authenticated REGISTERs looks its users up
// once (Options.HA1All) and has the store count their nonces with the
// bindings (Options.CountNonces). A REGISTER that replays another's
// nonce-count in the same batch is refused with stale=true, and only its
// binding is left out; a wrong password and an unknown user get the same
// plain challenge.
func TestBatchDigest(t *testing.T) {
	st := newGatedStore(t, "")
	a, err := auth.New(auth.Config{Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	passwords := map[string]string{"alice": "wonderland", "bob": "builder", "zoe": "zebra"}
	var lookups [][]store.AOR
	ha1All := func(_ context.Context, users []store.AOR) (auth.HA1Func, error) {
		lookups = append(lookups, users) // one worker: no race
		return func(_ context.Context, user, realm string, alg auth.Algorithm) (string, error) {
			p, ok := passwords[user]
			if !ok {
				return "", auth.ErrUnknownUser
			}
			return auth.HA1(user, realm, p, alg), nil
		}, nil
	}
	var answered atomic.Int32
	r, addr := startBatchRegistrar(t, st, func(o *Options) {
		o.Auth, o.HA1All, o.CountNonces = a, ha1All, true
		o.Latency = func(d time.Duration) {
			if d >= 0 {
				answered.Add(1)
			}
		}
	})
	c := newUAC(t, addr)

	withAuth := func(msg, cred string) string {
		return strings.Replace(msg, "Content-Length:", "Authorization: "+cred+"\r\nContent-Length:", 1)
	}
	// authorized answers the challenge to an unauthenticated REGISTER
	// with user's credentials (password, nonce-count 1).
	authorized := func(user, password, contact, callID string) (string, string) {
		c.send(registerText(user, contact, callID, 1))
		ch := c.answers(1)[callID]
		if ch.StatusCode() != 401 {
			t.Fatalf("%s: %s, want 401", callID, ch.StartLine())
		}
		v, _ := ch.Get(sip.HdrWWWAuthenticate)
		cred, err := auth.Answer(v, user, password, "REGISTER", "sip:example.com", 1, "c-"+callID)
		if err != nil {
			t.Fatal(err)
		}
		return withAuth(registerText(user, contact, callID, 2), cred), cred
	}
	zoe, _ := authorized("zoe", "zebra", "sip:zoe@192.0.2.9", "z1")
	alice, cred := authorized("alice", "wonderland", "sip:alice@192.0.2.1", "a1")
	// The same credentials (nonce, count 1) for another contact: a replay.
	replay := withAuth(registerText("alice", "sip:alice@192.0.2.66", "a2", 1), cred)
	bob, _ := authorized("bob", "wrong", "sip:bob@192.0.2.2", "b1")
	carol, _ := authorized("carol", "whatever", "sip:carol@192.0.2.3", "c1")

	c.send(zoe) // holds the worker at the gate
	<-st.entered
	queued := []string{alice, replay, bob, carol}
	for _, m := range queued {
		c.send(m)
	}
	waitFor(t, func() bool { return len(r.jobs) == len(queued) })
	close(st.gate)
	answers := c.answers(len(queued) + 1)
	for id, want := range map[string]int{"z1": 200, "a1": 200, "a2": 401, "b1": 401, "c1": 401} {
		if got := answers[id].StatusCode(); got != want {
			t.Errorf("REGISTER %s: %d; want %d", id, got, want)
		}
	}
	for id, stale := range map[string]bool{"a2": true, "b1": false, "c1": false} {
		v, _ := answers[id].Get(sip.HdrWWWAuthenticate)
		if got := strings.Contains(string(v), "stale=true"); got != stale {
			t.Errorf("REGISTER %s: stale=%v in %q; want %v", id, got, v, stale)
		}
	}
	bs, err := st.Bindings(t.Context(), store.AOR{User: "alice", Domain: "example.com"}, r.opt.Now())
	if err != nil || len(bs) != 1 || bs[0].Contact != "sip:alice@192.0.2.1" {
		t.Errorf("alice's bindings: %+v %v; want only sip:alice@192.0.2.1", bs, err)
	}
	// Four challenges answered at once, five REGISTERs in two batches.
	if n := answered.Load(); n != 9 {
		t.Errorf("Latency told of %d answers; want 9", n)
	}
	// zoe's batch, then the four together: alice, bob and carol, once.
	if len(lookups) != 2 || len(lookups[1]) != 3 {
		t.Errorf("lookups %v; want [zoe] then alice, bob and carol", lookups)
	}
}
