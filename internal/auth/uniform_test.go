package auth

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// TestUniformFailure: wrong password, unknown user, malformed or missing
// credentials and the like all lead to byte-identical responses, so a
// client cannot tell which users exist. Each case is answered as a
// registrar would: the 401 from Verify's Result, with a fixed clock and
// random source so that the fresh nonces are equal too.
func TestUniformFailure(t *testing.T) {
	issuer := newAuth(t)
	good := answer(issue(t, issuer, WWW), MD5, 1)
	edit := func(f func(*creds)) string { c := good; f(&c); return "Authorization: " + c.header() }
	cases := []struct{ name, header string }{
		{"wrong password", edit(func(c *creds) { c.password = "guess" })},
		{"unknown user", edit(func(c *creds) { c.user = "mallory" })},
		{"unknown user, wrong password", edit(func(c *creds) { c.user, c.password = "mallory", "guess" })},
		{"garbage header", "Authorization: Digest ,,,=="},
		{"not digest", "Authorization: Bearer abc"},
		{"no response", "Authorization: " + strings.Replace(good.header(), "response=", "xresponse=", 1)},
		{"no credentials", ""},
		{"realm mismatch", edit(func(c *creds) { c.realm = "other.example" })},
		{"bad nonce", edit(func(c *creds) { c.nonce = "0123456789abcdef" })},
	}
	var first []byte
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAuth(t, zeroRand) // a fresh node: the same nonce every time
			var hs []string
			if tc.header != "" {
				hs = append(hs, tc.header)
			}
			req := request(t, "REGISTER", "sip:example.com", hs...)
			res := a.Verify(context.Background(), req, WWW, realm, newUsers().lookup)
			if res.OK || res.Stale || res.Err != nil || res.User != "" {
				t.Fatalf("Verify = %+v", res)
			}
			resp := sip.AppendResponseHead(nil, req, WWW.StatusCode(), "", []byte("tag1"))
			resp = sip.AppendBody(a.AppendChallenge(resp, WWW, realm, res.Stale), nil)
			if first == nil {
				first = resp
			} else if !bytes.Equal(resp, first) {
				t.Errorf("response differs from %q's:\n%s\nvs\n%s", cases[0].name, resp, first)
			}
		})
	}
}

// TestUnknownUserHashes: an unknown user goes through the same lookup and
// response hashing as a known one with a wrong password.
func TestUnknownUserHashes(t *testing.T) {
	a := newAuth(t)
	var hashed []string
	lookup := func(ctx context.Context, user, realm string, alg Algorithm) (string, error) {
		hashed = append(hashed, user)
		return newUsers().lookup(ctx, user, realm, alg)
	}
	for _, user := range []string{"alice", "mallory"} {
		c := answer(issue(t, a, WWW), SHA256, 1)
		c.user, c.password = user, "guess"
		if res := a.Verify(context.Background(), register(t, c), WWW, realm, lookup); res.OK {
			t.Fatalf("%s accepted", user)
		}
	}
	if strings.Join(hashed, ",") != "alice,mallory" {
		t.Errorf("lookups %v", hashed)
	}
}
