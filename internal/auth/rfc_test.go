package auth

import "testing"

// TestRFCExamples checks the digest computation against the worked
// examples of the RFCs, to the hex digit.
func TestRFCExamples(t *testing.T) {
	tests := []struct {
		name                  string
		alg                   Algorithm
		user, realm, password string
		method, uri, nonce    string
		nc, cnonce, qop       string
		wantHA1, wantResponse string
	}{
		{
			name: "RFC 2617 3.5", alg: MD5,
			user: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life",
			method: "GET", uri: "/dir/index.html", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
			nc: "00000001", cnonce: "0a4f113b", qop: "auth",
			wantHA1:      "939e7578ed9e3c518a452acee763bce9",
			wantResponse: "6629fae49393a05397450978507c4ef1",
		},
		{
			// RFC 2069 has no qop, nc or cnonce; the response in its text
			// is wrong, the one here is its erratum's (password
			// "CircleOfLife").
			name: "RFC 2069 2.4", alg: MD5,
			user: "Mufasa", realm: "testrealm@host.com", password: "CircleOfLife",
			method: "GET", uri: "/dir/index.html", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
			wantResponse: "1949323746fe6a43ef61f9606e7febea",
		},
		{
			name: "RFC 7616 3.9.1 MD5", alg: MD5,
			user: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life",
			method: "GET", uri: "/dir/index.html", nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
			nc: "00000001", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop: "auth",
			wantResponse: "8ca523f5e9506fed4657c9700eebdbec",
		},
		{
			name: "RFC 7616 3.9.1 SHA-256", alg: SHA256,
			user: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life",
			method: "GET", uri: "/dir/index.html", nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
			nc: "00000001", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop: "auth",
			wantResponse: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ha1 := HA1(tt.user, tt.realm, tt.password, tt.alg)
			if tt.wantHA1 != "" && ha1 != tt.wantHA1 {
				t.Errorf("HA1 = %s, want %s", ha1, tt.wantHA1)
			}
			in := digestInput{
				alg: tt.alg, ha1: []byte(ha1), nonce: []byte(tt.nonce), nc: []byte(tt.nc),
				cnonce: []byte(tt.cnonce), method: []byte(tt.method), uri: []byte(tt.uri),
			}
			if tt.qop != "" {
				in.qop = []byte(tt.qop)
			}
			var out [64]byte
			if got := string(in.response(&out)); got != tt.wantResponse {
				t.Errorf("response = %s, want %s", got, tt.wantResponse)
			}
		})
	}
}

func TestParseAlgorithm(t *testing.T) {
	for in, want := range map[string]Algorithm{"MD5": MD5, "md5": MD5, "SHA-256": SHA256, "sha-256": SHA256} {
		if got, err := ParseAlgorithm(in); err != nil || got != want {
			t.Errorf("ParseAlgorithm(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MD5-sess", "SHA-256-sess", "SHA-512-256", "SHA256"} {
		if _, err := ParseAlgorithm(in); err == nil {
			t.Errorf("ParseAlgorithm(%q) succeeded", in)
		}
	}
}
