package auth

import (
	"context"
	"fmt"
	"testing"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// FuzzVerify feeds arbitrary credentials, methods and Request-URIs to
// Verify: nothing may panic, and the Result must be consistent. Seeds
// include valid credentials, so mutations explore deep into the checks.
func FuzzVerify(f *testing.F) {
	a := newAuth(f, allowNoQop)
	nonce := issue(f, a, WWW)
	for _, alg := range []Algorithm{MD5, SHA256} {
		c := answer(nonce, alg, 1)
		f.Add(c.header(), "REGISTER", "sip:example.com")
		c.qop = ""
		f.Add(c.header(), "REGISTER", "sip:example.com")
	}
	f.Add(`Digest username="a\"b", realm="example.com", nonce="`+nonce+`", uri="sip:x", response="00", qop=auth, nc=1, cnonce=""`, "INVITE", "tel:+1555")
	f.Add(`Digest realm="example.com"`, "OPTIONS", "sip:[::1]:5060")
	f.Add(`Digest realm="example.com", realm="x", nonce="`+nonce+`", nonce=1`, "BYE", "sips:a@b;transport=tls")
	f.Add("Basic Zm9vOmJhcg==", "REGISTER", "sip:example.com")
	f.Fuzz(func(t *testing.T, header, method, ruri string) {
		raw := fmt.Sprintf("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 %s\r\nAuthorization: %s\r\nProxy-Authorization: %s\r\nContent-Length: 0\r\n\r\n",
			method, ruri, method, header, header)
		var m sip.Msg
		if m.Parse([]byte(raw)) != nil {
			return
		}
		for _, k := range []Kind{WWW, Proxy} {
			res := a.Verify(context.Background(), &m, k, realm, newUsers().lookup)
			if res.OK && (res.Stale || res.Reason != "" || res.User == "" || res.Err != nil) {
				t.Fatalf("inconsistent %+v", res)
			}
			if !res.OK && (res.User != "" || res.Reason == "") {
				t.Fatalf("inconsistent %+v", res)
			}
		}
	})
}

// FuzzCheckNonce: any text is a valid, stale or invalid nonce without
// panicking, and only texts of the nonce length can be anything but
// invalid.
func FuzzCheckNonce(f *testing.F) {
	a := newAuth(f)
	f.Add(issue(f, a, WWW))
	f.Add("dcd98b7102dd2f0e8b11d0f600bfb0c093")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		if _, st := a.checkNonce([]byte(text), realm, t0.Unix()); st != nonceInvalid && len(text) != nonceTextLen {
			t.Fatalf("%q: state %v", text, st)
		}
	})
}
