package sip

import (
	"strings"
	"testing"
)

const digestResponse = `Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"`

func TestParseAuth(t *testing.T) {
	tests := []struct {
		name, in        string
		scheme, token68 string
		key, want       string
	}{
		{"digest response (RFC 3261 22.4)", digestResponse, "Digest", "", "uri", "sip:bob@biloxi.com"},
		{"token value", digestResponse, "Digest", "", "nc", "00000001"},
		{"case-insensitive name", digestResponse, "Digest", "", "CNONCE", "0a4f113b"},
		{"challenge with quoted list (RFC 7616 3.3)", `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", stale=FALSE`,
			"Digest", "", "qop", "auth, auth-int"},
		{"lws and folding", "digest\r\n  username = \"bob\" ,\r\n realm= biloxi.com ", "digest", "", "realm", "biloxi.com"},
		{"escaped quote kept", `Digest username="a\"b", realm="r"`, "Digest", "", "username", `a\"b`},
		{"extended username (RFC 7616 3.4.4)", `Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm="r"`, "Digest", "", "username*", "UTF-8''J%C3%A4s%C3%B8n%20Doe"},
		{"unknown scheme (RFC 4475 3.3.7)", "NoOneKnowsThisScheme opaque-data=here", "NoOneKnowsThisScheme", "", "opaque-data", "here"},
		{"token68", "Bearer mF_9.B5f-4.1JqM/x+y==", "Bearer", "mF_9.B5f-4.1JqM/x+y==", "x", ""},
		{"scheme only", " Digest ", "Digest", "", "realm", ""},
		{"token68 with trailing equals", "Basic realm=", "Basic", "realm=", "realm", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAuth([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseAuth(%q): %v", tt.in, err)
			}
			if string(a.Scheme) != tt.scheme || string(a.Token68) != tt.token68 {
				t.Errorf("scheme %q token68 %q, want %q %q", a.Scheme, a.Token68, tt.scheme, tt.token68)
			}
			if got, _ := a.Params.Get(tt.key); string(got) != tt.want {
				t.Errorf("Get(%q) = %q, want %q", tt.key, got, tt.want)
			}
			if a.IsDigest() != strings.EqualFold(tt.scheme, "digest") {
				t.Errorf("IsDigest = %v", a.IsDigest())
			}
		})
	}
}

func TestParseAuthErrors(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "bad auth: missing scheme"},
		{"quoted scheme", `"Digest" realm=x`, "bad auth: missing scheme"},
		{"comma after scheme", "Digest,realm=x", "bad auth: bad scheme"},
		{"unterminated quote", `Digest realm="x, nonce=y`, "bad auth: bad parameter value"},
		{"empty element", "Digest realm=x,,nonce=y", "bad auth: empty parameter"},
		{"trailing comma", "Digest realm=x,", "bad auth: empty parameter"},
		{"missing equals", "Digest realm=x, stale", "bad auth: missing ="},
		{"two words", "Digest realm nonce=x", "bad auth: bad parameter name"},
		{"space in value", "Digest realm=a b", "bad auth: bad parameter value"},
		{"empty value", "Digest realm=", "bad auth: bad parameter value"},
		{"digest has no token68", "Digest abc", "bad auth: missing ="},
		{"junk after quote", `Digest realm="a"b`, "bad auth: bad parameter value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			_, err := ParseAuth(in)
			if err == nil {
				t.Fatalf("ParseAuth(%q) accepted", tt.in)
			}
			checkParseError(t, in, err)
			if err.Error() != tt.reason {
				t.Errorf("error %q, want %q", err, tt.reason)
			}
		})
	}
}

func TestAuthParamsEach(t *testing.T) {
	a, err := ParseAuth([]byte(`Digest realm="r", qop="auth,auth-int", nc=1`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	a.Params.Each(func(n, v []byte) bool {
		got = append(got, string(n)+"="+string(v))
		return string(n) != "qop"
	})
	if want := "realm=r qop=auth,auth-int"; strings.Join(got, " ") != want {
		t.Errorf("Each = %q, want %q", strings.Join(got, " "), want)
	}
	if _, ok := a.Params.Get("nonce"); ok {
		t.Error("absent param found")
	}
}

func TestParseAuthNoAllocs(t *testing.T) {
	in := []byte(digestResponse)
	checkNoAllocs(t, "ParseAuth", func() {
		a, _ := ParseAuth(in)
		a.Params.Get("response")
	})
}

func FuzzAuth(f *testing.F) {
	for _, s := range []string{
		digestResponse, "NoOneKnowsThisScheme opaque-data=here", "Bearer abc==",
		`Digest realm="a\"b", qop="auth,auth-int"`, "Digest\r\n realm = x ,\r\n nonce=y", "Digest realm=x,,",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAuth(b)
		if err != nil {
			checkParseError(t, b, err)
			return
		}
		for _, field := range [][]byte{a.Raw, a.Scheme, a.Params, a.Token68} {
			if !isSubSlice(b, field) {
				t.Fatalf("field %q not inside input", field)
			}
		}
		if _, err := ParseAuth(unfoldSP(b)); err != nil {
			t.Fatalf("%q accepted but not with CR and LF as SP: %v", b, err)
		}
		if !isTokenBytes(a.Scheme) {
			t.Fatalf("scheme %q is not a token", a.Scheme)
		}
		a.Params.Each(func(n, v []byte) bool {
			if !isTokenBytes(n) || !isSubSlice(b, v) {
				t.Fatalf("param %q=%q", n, v)
			}
			if got, ok := a.Params.Get(string(n)); !ok || !isSubSlice(b, got) {
				t.Fatalf("Get(%q) failed", n)
			}
			return true
		})
	})
}
