package auth

import (
	"strings"
	"testing"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// TestNonceFormatPinned pins the nonce format and key derivation: nodes of
// different versions verify each other's nonces during a rolling upgrade,
// so a change here needs a new format version.
func TestNonceFormatPinned(t *testing.T) {
	a := newAuth(t, zeroRand) // secret A, t0, zero random part
	const want = "EWmkKkABLAAAAAAAAAAArGl7uHSHIBm9w56y"
	if got := issue(t, a, WWW); got != want {
		t.Errorf("nonce %s, want %s", got, want)
	}
	if a.opaque != "RUuBDu5edRRf0KJ9" {
		t.Errorf("opaque %s", a.opaque)
	}
}

func TestAppendChallenge(t *testing.T) {
	tests := []struct {
		name  string
		opts  []func(*Config)
		kind  Kind
		realm string
		stale bool
		want  string
	}{
		{"registrar, both algorithms", nil, WWW, realm, false,
			`WWW-Authenticate: Digest realm="example.com", nonce="N", opaque="O", algorithm=SHA-256, qop="auth"` + "\r\n" +
				`WWW-Authenticate: Digest realm="example.com", nonce="N", opaque="O", algorithm=MD5, qop="auth"` + "\r\n"},
		{"proxy, stale, MD5 only", []func(*Config){algs(MD5)}, Proxy, realm, true,
			`Proxy-Authenticate: Digest realm="example.com", nonce="N", opaque="O", algorithm=MD5, qop="auth", stale=true` + "\r\n"},
		{"MD5 preferred", []func(*Config){algs(MD5, SHA256)}, WWW, realm, false,
			`WWW-Authenticate: Digest realm="example.com", nonce="N", opaque="O", algorithm=MD5, qop="auth"` + "\r\n" +
				`WWW-Authenticate: Digest realm="example.com", nonce="N", opaque="O", algorithm=SHA-256, qop="auth"` + "\r\n"},
		{"realm escaped", []func(*Config){algs(SHA256)}, WWW, "a\"b\\c\r\nX: y", false,
			`WWW-Authenticate: Digest realm="a\"b\\cX: y", nonce="N", opaque="O", algorithm=SHA-256, qop="auth"` + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAuth(t, append(tt.opts, zeroRand)...)
			got := string(a.AppendChallenge([]byte("prefix\r\n"), tt.kind, tt.realm, tt.stale))
			n := nonceOf(t, []byte(got))
			want := "prefix\r\n" + strings.NewReplacer(`nonce="N"`, `nonce="`+n+`"`, `opaque="O"`, `opaque="`+a.opaque+`"`).Replace(tt.want)
			if got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if _, st := a.checkNonce([]byte(n), tt.realm, t0.Unix()); st != nonceValid {
				t.Errorf("challenge nonce %q: state %v", n, st)
			}
		})
	}
}

// TestChallengeParses builds a whole 401 and 407 and reads the challenges
// back with the message layer.
func TestChallengeParses(t *testing.T) {
	a := newAuth(t)
	req := request(t, "INVITE", "sip:bob@example.com")
	for _, k := range []Kind{WWW, Proxy} {
		resp := sip.AppendResponseHead(nil, req, k.StatusCode(), "", []byte("totag"))
		resp = a.AppendChallenge(resp, k, realm, true)
		resp = sip.AppendBody(resp, nil)
		var m sip.Msg
		if err := m.Parse(resp); err != nil {
			t.Fatalf("%s", resp)
		}
		hdr := sip.HdrWWWAuthenticate
		if k == Proxy {
			hdr = sip.HdrProxyAuthenticate
		}
		var got []string
		m.Values(hdr, func(v []byte) bool {
			au, err := sip.ParseAuth(v)
			if err != nil || !au.IsDigest() {
				t.Fatalf("ParseAuth(%q): %v", v, err)
			}
			for _, name := range []string{"realm", "nonce", "opaque", "algorithm", "qop", "stale"} {
				if _, ok := au.Params.Get(name); !ok {
					t.Errorf("%q lacks %s", v, name)
				}
			}
			alg, _ := au.Params.Get("algorithm")
			got = append(got, string(alg))
			return true
		})
		if strings.Join(got, ",") != "SHA-256,MD5" {
			t.Errorf("%v: algorithms %v, want SHA-256 then MD5", k, got)
		}
		if m.StatusCode() != k.StatusCode() {
			t.Errorf("status %d", m.StatusCode())
		}
	}
}

func TestKind(t *testing.T) {
	if WWW.StatusCode() != 401 || WWW.ChallengeHeader() != "WWW-Authenticate" || WWW.CredentialsHeader() != sip.HdrAuthorization {
		t.Error("WWW")
	}
	if Proxy.StatusCode() != 407 || Proxy.ChallengeHeader() != "Proxy-Authenticate" || Proxy.CredentialsHeader() != sip.HdrProxyAuthorization {
		t.Error("Proxy")
	}
}
