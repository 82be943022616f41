package auth

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestAnswer: the client side answers this package's challenges, and the
// RFC 7616 example challenge with the RFC's response.
func TestAnswer(t *testing.T) {
	for _, alg := range []Algorithm{SHA256, MD5} {
		t.Run(alg.String(), func(t *testing.T) {
			a := newAuth(t, algs(alg))
			line := a.AppendChallenge(nil, Proxy, realm, false)
			value := bytes.TrimSuffix(bytes.TrimPrefix(line, []byte("Proxy-Authenticate: ")), []byte("\r\n"))
			h, err := Answer(value, "alice", "secret", "INVITE", "sip:bob@example.com", 1, "abc")
			if err != nil {
				t.Fatal(err)
			}
			m := request(t, "INVITE", "sip:bob@example.com", "Proxy-Authorization: "+h)
			if res := a.Verify(context.Background(), m, Proxy, realm, newUsers().lookup); !res.OK {
				t.Errorf("Verify = %+v\n%s", res, h)
			}
		})
	}
	t.Run("RFC 7616 3.9.1", func(t *testing.T) {
		ch := `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`
		h, err := Answer([]byte(ch), "Mufasa", "Circle of Life", "GET", "/dir/index.html", 1, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"`, "qop=auth, nc=00000001", `opaque="FQhe/`} {
			if !strings.Contains(h, want) {
				t.Errorf("%s\nlacks %s", h, want)
			}
		}
	})
	t.Run("no qop (RFC 2069)", func(t *testing.T) {
		a := newAuth(t, allowNoQop)
		ch := `Digest realm="example.com", nonce="` + issue(t, a, WWW) + `"`
		h, err := Answer([]byte(ch), "alice", "secret", "REGISTER", "sip:example.com", 1, "x")
		if err != nil || strings.Contains(h, "qop") {
			t.Fatalf("%s, %v", h, err)
		}
		if res := a.Verify(context.Background(), request(t, "REGISTER", "sip:example.com", "Authorization: "+h), WWW, realm, newUsers().lookup); !res.OK {
			t.Errorf("Verify = %+v", res)
		}
	})
	for _, bad := range []string{"", "Basic realm=x", `Digest realm="r", nonce="n", algorithm=MD5-sess`} {
		if _, err := Answer([]byte(bad), "u", "p", "REGISTER", "sip:r", 1, "c"); err == nil {
			t.Errorf("Answer(%q) succeeded", bad)
		}
	}
}
