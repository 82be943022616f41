package auth

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
)

var (
	t0      = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	secretA = []byte("fleet secret A, 32 bytes long!!!")
	secretB = []byte("fleet secret B, 32 bytes long!!!")
)

const realm = "example.com"

// testClock is a settable clock; tests move it between calls, never
// during one.
type testClock struct{ ns atomic.Int64 }

func newClock(t time.Time) *testClock {
	c := &testClock{}
	c.set(t)
	return c
}

func (c *testClock) set(t time.Time)        { c.ns.Store(t.UnixNano()) }
func (c *testClock) add(d time.Duration)    { c.ns.Add(int64(d)) }
func (c *testClock) now() time.Time         { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) config(cfg *Config)     { cfg.Clock = c.now }
func zeroRand(cfg *Config)                  { cfg.Rand = zeroReader{} }
func algs(a ...Algorithm) func(cfg *Config) { return func(cfg *Config) { cfg.Algorithms = a } }
func uriCheck(u URICheck) func(cfg *Config) { return func(cfg *Config) { cfg.URICheck = u } }
func secret(s []byte) func(cfg *Config)     { return func(cfg *Config) { cfg.Secret = s } }
func ttl(d time.Duration) func(cfg *Config) { return func(cfg *Config) { cfg.NonceTTL = d } }
func allowNoQop(cfg *Config)                { cfg.AllowNoQop = true }
func unbound(cfg *Config)                   { cfg.UnboundNonces = true }
func previous(s []byte) func(cfg *Config) {
	return func(cfg *Config) { cfg.PreviousSecrets = [][]byte{s} }
}
func counter(n NonceCounter) func(*Config)   { return func(cfg *Config) { cfg.Counter = n } }
func clockAt(c *testClock) func(cfg *Config) { return c.config }

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// newAuth builds an Authenticator with secret A on a clock at t0, then
// the options.
func newAuth(tb testing.TB, opts ...func(*Config)) *Authenticator {
	tb.Helper()
	cfg := Config{Secret: secretA, Clock: func() time.Time { return t0 }}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return a
}

// users is an HA1 store of plain passwords that counts its lookups.
type users struct {
	passwords map[string]string
	calls     atomic.Int64
}

func newUsers() *users {
	return &users{passwords: map[string]string{"alice": "secret", "bob": "hunter2", `a"b`: "quoted"}}
}

func (u *users) lookup(_ context.Context, user, realm string, alg Algorithm) (string, error) {
	u.calls.Add(1)
	pw, ok := u.passwords[user]
	if !ok {
		return "", fmt.Errorf("subscriber %s@%s: %w", user, realm, ErrUnknownUser)
	}
	return HA1(user, realm, pw, alg), nil
}

// nonceOf returns the nonce of the first challenge line in b.
func nonceOf(tb testing.TB, b []byte) string {
	tb.Helper()
	_, rest, ok := bytes.Cut(b, []byte(`nonce="`))
	if !ok {
		tb.Fatalf("no nonce in %q", b)
	}
	n, _, _ := bytes.Cut(rest, []byte(`"`))
	return string(n)
}

// issue returns a fresh nonce from a.
func issue(tb testing.TB, a *Authenticator, k Kind) string {
	tb.Helper()
	return nonceOf(tb, a.AppendChallenge(nil, k, realm, false))
}

// creds is what a client puts in its credentials.
type creds struct {
	user, password, realm, nonce, uri, method string
	alg                                       Algorithm
	nc                                        uint32
	cnonce, qop                               string
}

// answer is a well-behaved client's credentials to a nonce.
func answer(nonce string, alg Algorithm, nc uint32) creds {
	return creds{
		user: "alice", password: "secret", realm: realm, nonce: nonce,
		uri: "sip:example.com", method: "REGISTER", alg: alg, nc: nc,
		cnonce: "0a4f113b", qop: "auth",
	}
}

func (c creds) response() string {
	in := digestInput{
		alg: c.alg, ha1: []byte(HA1(c.user, c.realm, c.password, c.alg)),
		nonce: []byte(c.nonce), nc: []byte(fmt.Sprintf("%08x", c.nc)), cnonce: []byte(c.cnonce),
		method: []byte(c.method), uri: []byte(c.uri),
	}
	if c.qop != "" {
		in.qop = []byte(c.qop)
	}
	var out [64]byte
	return string(in.response(&out))
}

// header writes the credentials as a client would.
func (c creds) header() string {
	user := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(c.user)
	h := fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=%v`,
		user, c.realm, c.nonce, c.uri, c.response(), c.alg)
	if c.qop != "" {
		h += fmt.Sprintf(`, qop=%s, nc=%08x, cnonce="%s"`, c.qop, c.nc, c.cnonce)
	}
	return h
}

// request builds and parses a request with the given extra header lines.
func request(tb testing.TB, method, ruri string, headers ...string) *sip.Msg {
	tb.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", method, ruri)
	b.WriteString("Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds\r\n")
	b.WriteString("Max-Forwards: 70\r\n")
	b.WriteString("From: <sip:alice@example.com>;tag=1928301774\r\n")
	b.WriteString("To: <sip:alice@example.com>\r\n")
	b.WriteString("Call-ID: a84b4c76e66710@pc33.example.com\r\n")
	fmt.Fprintf(&b, "CSeq: 314159 %s\r\n", method)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	var m sip.Msg
	if err := m.Parse([]byte(b.String())); err != nil {
		tb.Fatalf("parse request: %v\n%s", err, b.String())
	}
	return &m
}

// register is a REGISTER to sip:example.com carrying c as Authorization.
func register(tb testing.TB, c creds) *sip.Msg {
	tb.Helper()
	return request(tb, "REGISTER", "sip:example.com", "Authorization: "+c.header())
}
