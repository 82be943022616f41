package auth

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestNonceText(t *testing.T) {
	a := newAuth(t)
	for range 100 {
		n := issue(t, a, WWW)
		if len(n) != 36 {
			t.Fatalf("nonce %q: %d characters, want 36", n, len(n))
		}
		if strings.ContainsAny(n, `="+/\ `) {
			t.Fatalf("nonce %q: want base64url without padding", n)
		}
	}
	if issue(t, a, WWW) == issue(t, a, WWW) {
		t.Error("two nonces issued in the same second are equal")
	}
}

func TestNonceRoundTrip(t *testing.T) {
	a := newAuth(t)
	text := issue(t, a, WWW)
	n, state := a.checkNonce([]byte(text), realm, t0.Unix())
	if state != nonceValid {
		t.Fatalf("state %v, want valid", state)
	}
	if n.issued != t0.Unix() || n.expires != t0.Add(5*time.Minute).Unix() {
		t.Errorf("issued %d expires %d, want %d and +300", n.issued, n.expires, t0.Unix())
	}
	if m, _ := a.checkNonce([]byte(issue(t, a, WWW)), realm, t0.Unix()); m.id == n.id {
		t.Error("two nonces have the same id")
	}
}

// TestNonceAcrossNodes: any node holding the secret verifies any node's
// nonces, whatever else differs in their configs.
func TestNonceAcrossNodes(t *testing.T) {
	issuer := newAuth(t, ttl(10*time.Minute))
	text := []byte(issue(t, issuer, WWW))
	tests := []struct {
		name string
		node *Authenticator
		want nonceState
	}{
		{"same secret", newAuth(t, algs(MD5), allowNoQop), nonceValid},
		{"other secret", newAuth(t, secret(secretB)), nonceInvalid},
		{"rotated: old secret is previous", newAuth(t, secret(secretB), previous(secretA)), nonceValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := tt.node.checkNonce(text, realm, t0.Unix()+1); got != tt.want {
				t.Errorf("state %v, want %v", got, tt.want)
			}
		})
	}
	rotated := newAuth(t, secret(secretB), previous(secretA))
	if _, got := issuer.checkNonce([]byte(issue(t, rotated, WWW)), realm, t0.Unix()); got != nonceInvalid {
		t.Errorf("nonce issued under a new secret accepted by a node without it: %v", got)
	}
}

func TestNonceWindow(t *testing.T) {
	a := newAuth(t) // TTL 5m, skew 10s
	short := newAuth(t, ttl(time.Minute))
	text := []byte(issue(t, a, WWW))
	tests := []struct {
		name string
		node *Authenticator
		at   time.Duration // after issue
		want nonceState
	}{
		{"at issue", a, 0, nonceValid},
		{"last second", a, 5*time.Minute - time.Second, nonceValid},
		{"at expiry", a, 5 * time.Minute, nonceStale},
		{"long after", a, 48 * time.Hour, nonceStale},
		{"issuer clock ahead within skew", a, -10 * time.Second, nonceValid},
		{"issuer clock ahead beyond skew", a, -11 * time.Second, nonceStale},
		{"verifier with shorter TTL", short, time.Minute, nonceStale},
		{"verifier with shorter TTL, in time", short, time.Minute - time.Second, nonceValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := tt.node.checkNonce(text, realm, t0.Add(tt.at).Unix()); got != tt.want {
				t.Errorf("state %v, want %v", got, tt.want)
			}
		})
	}
}

// TestNonceTampered: any change to a nonce makes it invalid, never stale,
// even long after its expiry.
func TestNonceTampered(t *testing.T) {
	a := newAuth(t)
	text := issue(t, a, WWW)
	raw, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		t.Fatal(err)
	}
	later := t0.Add(time.Hour).Unix()
	for i := range raw {
		for bit := range 8 {
			b := append([]byte(nil), raw...)
			b[i] ^= 1 << bit
			tampered := base64.RawURLEncoding.EncodeToString(b)
			for _, now := range []int64{t0.Unix(), later} {
				if _, st := a.checkNonce([]byte(tampered), realm, now); st != nonceInvalid {
					t.Fatalf("byte %d bit %d flipped: state %v, want invalid", i, bit, st)
				}
			}
		}
	}
	for _, bad := range []string{
		"", text[:35], text + "A", text[:35] + "=", text[:35] + `"`, strings.ToUpper(text),
		"dcd98b7102dd2f0e8b11d0f600bfb0c093", strings.Repeat("A", 36),
	} {
		if _, st := a.checkNonce([]byte(bad), realm, t0.Unix()); st != nonceInvalid {
			t.Errorf("checkNonce(%q) = %v, want invalid", bad, st)
		}
	}
}

func TestNonceRealmBinding(t *testing.T) {
	bound, free := newAuth(t), newAuth(t, unbound)
	tests := []struct {
		name     string
		issuer   *Authenticator
		verifier *Authenticator
		realm    string
		want     nonceState
	}{
		{"bound, same realm", bound, bound, realm, nonceValid},
		{"bound, other realm", bound, bound, "other.example", nonceInvalid},
		{"bound, realm case differs", bound, bound, "Example.com", nonceInvalid},
		{"unbound, other realm", free, free, "other.example", nonceValid},
		{"unbound issuer, bound verifier", free, bound, "other.example", nonceValid},
		{"bound issuer, unbound verifier", bound, free, "other.example", nonceInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := issue(t, tt.issuer, WWW)
			if _, got := tt.verifier.checkNonce([]byte(text), tt.realm, t0.Unix()); got != tt.want {
				t.Errorf("state %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error, all reported at once
	}{
		{"defaults", Config{Secret: secretA}, nil},
		{"no secret", Config{}, []string{"secret: 0 bytes"}},
		{"everything wrong", Config{
			Secret: []byte("short"), PreviousSecrets: [][]byte{[]byte("old")},
			NonceTTL: time.Millisecond, ClockSkew: -time.Second,
			Algorithms: []Algorithm{MD5, MD5, 9}, URICheck: 7, MaxNonces: -1,
		}, []string{
			"secret: 5 bytes", "previous secret 1", "nonce TTL", "clock skew",
			"algorithm MD5: listed twice", "algorithm Algorithm(9)", "uri check 7", "max nonces -1",
		}},
		{"TTL too long", Config{Secret: secretA, NonceTTL: 24 * time.Hour}, []string{"nonce TTL 24h0m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if _, err := New(tt.cfg); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}
