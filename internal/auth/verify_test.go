package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestVerifyRoundTrip(t *testing.T) {
	for _, alg := range []Algorithm{MD5, SHA256} {
		for _, k := range []Kind{WWW, Proxy} {
			t.Run(fmt.Sprintf("%v/%v", alg, k.ChallengeHeader()), func(t *testing.T) {
				a, u := newAuth(t), newUsers()
				c := answer(issue(t, a, k), alg, 1)
				c.method, c.uri = "INVITE", "sip:bob@example.com"
				name := map[Kind]string{WWW: "Authorization", Proxy: "Proxy-Authorization"}[k]
				m := request(t, "INVITE", "sip:bob@example.com", name+": "+c.header())
				res := a.Verify(context.Background(), m, k, realm, u.lookup)
				if !res.OK || res.User != "alice" || res.Stale || res.Reason != "" || res.Err != nil {
					t.Fatalf("Verify = %+v", res)
				}
				other := Proxy - k // the other kind's header is not read
				if res := a.Verify(context.Background(), m, other, realm, u.lookup); res.OK || res.Reason != reasonNoCredentials {
					t.Errorf("Verify as %v = %+v", other.ChallengeHeader(), res)
				}
			})
		}
	}
}

// TestVerifyFailures covers credentials that must be refused with a plain
// (not stale) challenge.
func TestVerifyFailures(t *testing.T) {
	a := newAuth(t)
	nonce := issue(t, a, WWW)
	good := answer(nonce, MD5, 1)
	good256 := answer(nonce, SHA256, 1)
	edit := func(c creds, f func(*creds)) string { f(&c); return c.header() }
	drop := func(h, param string) string { // removes one directive
		var kept []string
		for _, p := range strings.Split(strings.TrimPrefix(h, "Digest "), ", ") {
			if !strings.HasPrefix(p, param+"=") {
				kept = append(kept, p)
			}
		}
		return "Digest " + strings.Join(kept, ", ")
	}
	swap := func(h, from, to string) string { return strings.Replace(h, from, to, 1) }
	tests := []struct {
		name, header, reason string
	}{
		{"wrong password", edit(good, func(c *creds) { c.password = "guess" }), reasonWrong},
		{"unknown user", edit(good, func(c *creds) { c.user = "mallory" }), reasonUnknownUser},
		{"garbage", `Digest username="alice", realm="example.com", nonce=`, reasonMalformed},
		{"not digest", `Basic YWxpY2U6c2VjcmV0`, reasonNoCredentials},
		{"realm mismatch", edit(good, func(c *creds) { c.realm = "other.example" }), reasonNoCredentials},
		{"realm case differs", edit(good, func(c *creds) { c.realm = "Example.COM" }), reasonNoCredentials},
		{"missing realm", drop(good.header(), "realm"), reasonNoCredentials},
		{"missing username", drop(good.header(), "username"), "missing username"},
		{"extended username", swap(good.header(), `username="alice"`, `username*=UTF-8''alice`), "missing username"},
		{"empty username", swap(good.header(), `username="alice"`, `username=""`), "missing username"},
		{"missing nonce", drop(good.header(), "nonce"), "missing nonce"},
		{"missing uri", drop(good.header(), "uri"), "missing uri"},
		{"missing response", drop(good.header(), "response"), "missing response"},
		{"missing qop", drop(good.header(), "qop"), "missing qop"},
		{"missing cnonce", drop(good.header(), "cnonce"), "missing cnonce"},
		{"missing nc", drop(good.header(), "nc"), "malformed nc"},
		{"nc zero", swap(good.header(), "nc=00000001", "nc=00000000"), "malformed nc"},
		{"nc too long", swap(good.header(), "nc=00000001", "nc=000000001"), "malformed nc"},
		{"nc not hex", swap(good.header(), "nc=00000001", "nc=0000000g"), "malformed nc"},
		{"qop auth-int", swap(good.header(), "qop=auth", "qop=auth-int"), "qop not offered"},
		{"MD5-sess", swap(good.header(), "algorithm=MD5", "algorithm=MD5-sess"), "algorithm not offered"},
		{"SHA-512-256", swap(good256.header(), "algorithm=SHA-256", "algorithm=SHA-512-256"), "algorithm not offered"},
		{"SHA-256 response as MD5", swap(good256.header(), "algorithm=SHA-256", "algorithm=MD5"), "malformed response"},
		{"short response", swap(good.header(), `response="`, `response="0`), "malformed response"},
		{"userhash", good.header() + ", userhash=true", "userhash not supported"},
		{"foreign nonce", edit(good, func(c *creds) { c.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093" }), reasonBadNonce},
		{"nonce of another secret", edit(good, func(c *creds) { c.nonce = issue(t, newAuth(t, secret(secretB)), WWW) }), reasonBadNonce},
		{"uri host differs", edit(good, func(c *creds) { c.uri = "sip:example.org" }), reasonURI},
		{"uri user differs", edit(good, func(c *creds) { c.uri = "sip:alice@example.com" }), reasonURI},
		{"uri not SIP", edit(good, func(c *creds) { c.uri = "/dir/index.html" }), reasonURI},
		{"method differs", edit(good, func(c *creds) { c.method = "INVITE" }), reasonWrong},
		{"response of another nc", swap(good.header(), "nc=00000001", "nc=00000002"), reasonWrong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := a.Verify(context.Background(), request(t, "REGISTER", "sip:example.com", "Authorization: "+tt.header), WWW, realm, newUsers().lookup)
			if res.OK || res.Stale || res.Err != nil || res.User != "" || res.Reason != tt.reason {
				t.Errorf("Verify = %+v, want reason %q\n%s", res, tt.reason, tt.header)
			}
		})
	}
}

func TestVerifyAlgorithmNotConfigured(t *testing.T) {
	a := newAuth(t, algs(SHA256))
	res := a.Verify(context.Background(), register(t, answer(issue(t, a, WWW), MD5, 1)), WWW, realm, newUsers().lookup)
	if res.OK || res.Reason != "algorithm not offered" {
		t.Errorf("MD5 credentials with only SHA-256 configured: %+v", res)
	}
	// No algorithm directive means MD5 (RFC 7616 §3.3).
	a = newAuth(t, algs(MD5))
	h := strings.Replace(answer(issue(t, a, WWW), MD5, 1).header(), ", algorithm=MD5", "", 1)
	if res := a.Verify(context.Background(), request(t, "REGISTER", "sip:example.com", "Authorization: "+h), WWW, realm, newUsers().lookup); !res.OK {
		t.Errorf("credentials without algorithm: %+v", res)
	}
}

func TestVerifyNonceCount(t *testing.T) {
	a, u := newAuth(t), newUsers()
	nonce := issue(t, a, WWW)
	steps := []struct {
		nc       uint32
		password string
		ok       bool
	}{
		{9, "wrong", false}, // a forged request does not use up counts
		{1, "secret", true},
		{1, "secret", false}, // replay
		{2, "secret", true},
		{2, "secret", false},
		{5, "secret", true}, // gaps are fine
		{3, "secret", false},
		{0xffffffff, "secret", true},
	}
	for i, s := range steps {
		c := answer(nonce, SHA256, s.nc)
		c.password = s.password
		res := a.Verify(context.Background(), register(t, c), WWW, realm, u.lookup)
		if res.OK != s.ok {
			t.Fatalf("step %d (nc %d): %+v, want OK %v", i, s.nc, res, s.ok)
		}
		if replay := !s.ok && s.password == "secret"; replay && (!res.Stale || res.Reason != reasonReplay) {
			t.Errorf("step %d: replay gave %+v, want stale", i, res)
		}
	}
}

func TestVerifyNoQop(t *testing.T) {
	c := answer("", MD5, 0)
	c.qop = ""
	t.Run("refused by default", func(t *testing.T) {
		a := newAuth(t)
		c := c
		c.nonce = issue(t, a, WWW)
		if res := a.Verify(context.Background(), register(t, c), WWW, realm, newUsers().lookup); res.OK || res.Reason != "missing qop" {
			t.Errorf("Verify = %+v", res)
		}
	})
	t.Run("allowed once per nonce", func(t *testing.T) {
		a := newAuth(t, allowNoQop)
		c := c
		c.nonce = issue(t, a, WWW)
		m := register(t, c)
		if res := a.Verify(context.Background(), m, WWW, realm, newUsers().lookup); !res.OK {
			t.Fatalf("first use: %+v", res)
		}
		if res := a.Verify(context.Background(), m, WWW, realm, newUsers().lookup); res.OK || !res.Stale {
			t.Errorf("second use: %+v, want stale", res)
		}
	})
}

// TestVerifyAcrossNodes is the fleet case: the 401 comes from one node and
// the retry lands on another.
func TestVerifyAcrossNodes(t *testing.T) {
	nodeA, nodeB := newAuth(t), newAuth(t, algs(MD5, SHA256))
	foreign := newAuth(t, secret(secretB))
	u := newUsers()
	c := answer(issue(t, nodeA, WWW), SHA256, 1)
	if res := nodeB.Verify(context.Background(), register(t, c), WWW, realm, u.lookup); !res.OK {
		t.Errorf("node B: %+v", res)
	}
	c.nc = 2
	if res := foreign.Verify(context.Background(), register(t, c), WWW, realm, u.lookup); res.OK || res.Stale || res.Reason != reasonBadNonce {
		t.Errorf("node with another secret: %+v", res)
	}
}

func TestVerifyStale(t *testing.T) {
	clock := newClock(t0)
	a, u := newAuth(t, clockAt(clock)), newUsers()
	c := answer(issue(t, a, WWW), MD5, 1)
	clock.add(5 * time.Minute)
	for _, pw := range []string{"secret", "wrong"} { // stale is decided on the nonce alone
		c.password = pw
		res := a.Verify(context.Background(), register(t, c), WWW, realm, u.lookup)
		if res.OK || !res.Stale || res.Reason != reasonStale {
			t.Errorf("password %q: %+v, want stale", pw, res)
		}
	}
	tampered := c
	tampered.password = "secret"
	tampered.nonce = c.nonce[:20] + string(c.nonce[20]^1) + c.nonce[21:]
	if res := a.Verify(context.Background(), register(t, tampered), WWW, realm, u.lookup); res.Stale || res.Reason != reasonBadNonce {
		t.Errorf("tampered expired nonce: %+v, want invalid, not stale", res)
	}
	if n := u.calls.Load(); n != 0 {
		t.Errorf("%d lookups for a stale nonce, want none", n)
	}
	c.password, c.nonce = "secret", issue(t, a, WWW)
	if res := a.Verify(context.Background(), register(t, c), WWW, realm, u.lookup); !res.OK {
		t.Errorf("fresh nonce after stale: %+v", res)
	}
}

func TestVerifyLookupFailure(t *testing.T) {
	a := newAuth(t)
	c := answer(issue(t, a, WWW), MD5, 1)
	down := errors.New("database is down")
	tests := []struct {
		name   string
		lookup HA1Func
		want   string
	}{
		{"store down", func(context.Context, string, string, Algorithm) (string, error) { return "", down }, "database is down"},
		{"ha1 too short", func(context.Context, string, string, Algorithm) (string, error) { return "abc", nil }, "want 32 hex digits"},
		{"ha1 not hex", func(context.Context, string, string, Algorithm) (string, error) { return strings.Repeat("z", 32), nil }, "want 32 hex digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := a.Verify(context.Background(), register(t, c), WWW, realm, tt.lookup)
			if res.OK || res.Err == nil || !strings.Contains(res.Err.Error(), tt.want) {
				t.Errorf("Verify = %+v, want Err containing %q", res, tt.want)
			}
		})
	}
	res := a.Verify(context.Background(), register(t, c), WWW, realm, func(context.Context, string, string, Algorithm) (string, error) { return "", down })
	if !errors.Is(res.Err, down) {
		t.Errorf("Err %v does not wrap the lookup's error", res.Err)
	}
}

func TestVerifyCounterFailure(t *testing.T) {
	down := errors.New("counter backend down")
	a := newAuth(t, counter(counterFunc(func(NonceUse) (bool, error) { return false, down })))
	res := a.Verify(context.Background(), register(t, answer(issue(t, a, WWW), MD5, 1)), WWW, realm, newUsers().lookup)
	if res.OK || !errors.Is(res.Err, down) {
		t.Errorf("Verify = %+v", res)
	}
}

type counterFunc func(NonceUse) (bool, error)

func (f counterFunc) Advance(_ context.Context, u NonceUse, _ time.Time) (bool, error) { return f(u) }

// TestVerifyLenientInput: forms clients send that must still work.
func TestVerifyLenientInput(t *testing.T) {
	a := newAuth(t)
	upperHA1 := func(ctx context.Context, user, realm string, alg Algorithm) (string, error) {
		return strings.ToUpper(HA1(user, realm, "secret", alg)), nil
	}
	tests := []struct {
		name   string
		header func(c creds) string
		lookup HA1Func
		user   string
	}{
		{"uppercase response", func(c creds) string {
			r := c.response()
			return strings.Replace(c.header(), r, strings.ToUpper(r), 1)
		}, nil, "alice"},
		{"uppercase stored HA1", creds.header, upperHA1, "alice"},
		{"quoted qop and algorithm", func(c creds) string {
			return strings.NewReplacer("qop=auth", `qop="auth"`, "algorithm=SHA-256", `algorithm="SHA-256"`).Replace(c.header())
		}, nil, "alice"},
		{"no spaces, other order (SIPp)", func(c creds) string {
			return fmt.Sprintf(`Digest username="%s",realm="%s",cnonce="%s",nc=%08x,qop=%s,uri="%s",nonce="%s",response="%s",algorithm=%v,opaque="x"`,
				c.user, c.realm, c.cnonce, c.nc, c.qop, c.uri, c.nonce, c.response(), c.alg)
		}, nil, "alice"},
		{"lowercase scheme and names", func(c creds) string {
			h := c.header()
			return "digest " + strings.Replace(strings.TrimPrefix(h, "Digest "), "username=", "USERNAME=", 1)
		}, nil, "alice"},
		{"quoted-pair in username", func(c creds) string {
			c.user, c.password = `a"b`, "quoted"
			return c.header()
		}, nil, `a"b`},
		{"unknown directives", func(c creds) string { return c.header() + `, foo="bar", opaque="anything"` }, nil, "alice"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := tt.lookup
			if lookup == nil {
				lookup = newUsers().lookup
			}
			c := answer(issue(t, a, WWW), SHA256, uint32(i+1))
			res := a.Verify(context.Background(), request(t, "REGISTER", "sip:example.com", "Authorization: "+tt.header(c)), WWW, realm, lookup)
			if !res.OK || res.User != tt.user {
				t.Errorf("Verify = %+v", res)
			}
		})
	}
}

// TestVerifyPicksRealm: a proxy reads its own realm's credentials and
// leaves the others to the proxies they are for (RFC 3261 §22.3).
func TestVerifyPicksRealm(t *testing.T) {
	a, other := newAuth(t), newAuth(t, secret(secretB))
	mine := answer(issue(t, a, Proxy), MD5, 1)
	mine.method, mine.uri = "INVITE", "sip:bob@example.com"
	theirs := mine
	theirs.realm, theirs.nonce = "carrier.example", nonceOf(t, other.AppendChallenge(nil, Proxy, "carrier.example", false))
	m := request(t, "INVITE", "sip:bob@example.com",
		"Proxy-Authorization: "+theirs.header(),
		"Proxy-Authorization: Digest garbage",
		"Proxy-Authorization: "+mine.header())
	if res := a.Verify(context.Background(), m, Proxy, realm, newUsers().lookup); !res.OK {
		t.Errorf("Verify = %+v", res)
	}
}

func TestVerifyURI(t *testing.T) {
	tests := []struct {
		ruri, uri string
		check     URICheck
		ok        bool
	}{
		{"sip:example.com", "sip:example.com", URICheckUserHost, true},
		{"sip:example.com:5060", "sip:example.com", URICheckUserHost, true},
		{"sip:example.com", "sip:example.com:5060", URICheckUserHost, true},
		{"sip:example.com;transport=tcp", "sip:EXAMPLE.com", URICheckUserHost, true},
		{"sips:bob@example.com", "sip:bob@example.com:5061", URICheckUserHost, true},
		{"sip:bob@example.com", "sip:bob@example.com;user=phone", URICheckUserHost, true},
		{"sip:bob@example.com", "sip:Bob@example.com", URICheckUserHost, false},
		{"sip:bob@example.com", "sip:example.com", URICheckUserHost, false},
		{"sip:example.com", "sip:127.0.0.1:5060", URICheckUserHost, false},
		{"sip:example.com", "tel:+15551234", URICheckUserHost, false},
		{"tel:+15551234", "tel:+15551234", URICheckUserHost, true},
		{"tel:+15551234", "sip:+15551234@example.com", URICheckUserHost, false},
		{"sip:example.com", "sip:127.0.0.1:5060", URICheckNone, true},
		{"sip:example.com", "anything at all", URICheckNone, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s vs %s/%d", tt.ruri, tt.uri, tt.check), func(t *testing.T) {
			a := newAuth(t, uriCheck(tt.check))
			c := answer(issue(t, a, WWW), MD5, 1)
			c.uri = tt.uri
			res := a.Verify(context.Background(), request(t, "REGISTER", tt.ruri, "Authorization: "+c.header()), WWW, realm, newUsers().lookup)
			if res.OK != tt.ok {
				t.Errorf("Verify = %+v, want OK %v", res, tt.ok)
			}
		})
	}
}

// TestVerifySIPp checks credentials as SIPp's [authentication] writes them
// (src/auth.cpp): uri "sip:<remote ip>:<remote port>" unless -auth_uri is
// given, cnonce as %x of rand(), no spaces after commas.
func TestVerifySIPp(t *testing.T) {
	sipp := func(c creds) string {
		return fmt.Sprintf(`Digest username="%s",realm="%s",cnonce="%s",nc=%08x,qop=%s,uri="%s",nonce="%s",response="%s",algorithm=MD5,opaque="%s"`,
			c.user, c.realm, c.cnonce, c.nc, c.qop, c.uri, c.nonce, c.response(), "RUuBDu5edRRf0KJ9")
	}
	tests := []struct {
		name, uri string
		check     URICheck
		ok        bool
	}{
		{"default uri, strict check", "sip:127.0.0.1:5060", URICheckUserHost, false},
		{"default uri, no check", "sip:127.0.0.1:5060", URICheckNone, true},
		{"-auth_uri example.com", "sip:example.com", URICheckUserHost, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAuth(t, algs(MD5), uriCheck(tt.check))
			c := answer(issue(t, a, WWW), MD5, 1)
			c.uri, c.cnonce = tt.uri, "6b8b4567"
			res := a.Verify(context.Background(), request(t, "REGISTER", "sip:example.com", "Authorization: "+sipp(c)), WWW, realm, newUsers().lookup)
			if res.OK != tt.ok {
				t.Errorf("Verify = %+v, want OK %v", res, tt.ok)
			}
		})
	}
}

// TestLookupOnlyWhenNeeded: the store is not asked about requests refused
// on their face.
func TestLookupOnlyWhenNeeded(t *testing.T) {
	a, u := newAuth(t), newUsers()
	c := answer(issue(t, a, WWW), MD5, 1)
	for _, h := range []string{
		"", "Authorization: Digest nonsense", "Authorization: " + strings.Replace(c.header(), c.nonce, "x"+c.nonce[1:], 1),
		"Authorization: " + strings.Replace(c.header(), "qop=auth", "qop=auth-int", 1),
	} {
		var hs []string
		if h != "" {
			hs = append(hs, h)
		}
		if res := a.Verify(context.Background(), request(t, "REGISTER", "sip:example.com", hs...), WWW, realm, u.lookup); res.OK {
			t.Fatalf("%q accepted", h)
		}
	}
	if n := u.calls.Load(); n != 0 {
		t.Errorf("%d lookups", n)
	}
}

func TestVerifyResponse(t *testing.T) {
	a := newAuth(t)
	var m = request(t, "REGISTER", "sip:example.com")
	resp := []byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n")
	if err := m.Parse(resp); err != nil {
		t.Fatal(err)
	}
	if res := a.Verify(context.Background(), m, WWW, realm, newUsers().lookup); res.OK || res.Reason != "not a request" {
		t.Errorf("Verify(response) = %+v", res)
	}
}
