package auth

import (
	"bytes"
	"crypto/sha256"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// credentials are the directives of one Digest credentials value
// (RFC 7616 §3.4; RFC 3261 §25.1 dig-resp), unquoted. They alias the
// message, except a value with quoted-pairs, which is copied unescaped.
type credentials struct {
	username, realm, nonce, uri, response []byte
	algorithm, qop, cnonce, nc, userhash  []byte

	alg   Algorithm
	count uint32 // nc as a number; 1 without qop
}

// find reads the first Digest credentials of kind k whose realm is realm
// (RFC 3261 §22.3: other realms are for other proxies, and are left). It
// returns a failure reason, or "".
func (c *credentials) find(m *sip.Msg, k Kind, realm string) string {
	reason := reasonNoCredentials
	m.Values(k.CredentialsHeader(), func(v []byte) bool {
		parsed, ours := c.read(v, realm)
		switch {
		case !parsed:
			reason = reasonMalformed
			return true
		case !ours:
			return true
		}
		reason = ""
		return false
	})
	return reason
}

// read fills c from v, one credentials value, when it is Digest
// credentials. It reports whether v parsed, and whether it is Digest
// credentials for realm.
func (c *credentials) read(v []byte, realm string) (parsed, ours bool) {
	au, err := sip.ParseAuth(v)
	if err != nil {
		return false, false
	}
	if !au.IsDigest() {
		return true, false
	}
	*c = credentials{}
	au.Params.Each(c.set)
	return true, c.realm != nil && unescapedEqual(c.realm, realm)
}

// ForRealm reports whether v, the value of an Authorization or
// Proxy-Authorization header, is Digest credentials for realm. A proxy
// of that realm consumes those and removes them before forwarding; it
// must leave credentials for other realms to the proxies they are for
// (RFC 3261 §22.3).
func ForRealm(v []byte, realm string) bool {
	var c credentials
	_, ours := c.read(v, realm)
	return ours
}

// set keeps the first value of each directive it knows.
func (c *credentials) set(name, val []byte) bool {
	var dst *[]byte
	switch {
	case is(name, "username"):
		dst = &c.username
	case is(name, "realm"):
		dst = &c.realm
	case is(name, "nonce"):
		dst = &c.nonce
	case is(name, "uri"):
		dst = &c.uri
	case is(name, "response"):
		dst = &c.response
	case is(name, "algorithm"):
		dst = &c.algorithm
	case is(name, "qop"):
		dst = &c.qop
	case is(name, "cnonce"):
		dst = &c.cnonce
	case is(name, "nc"):
		dst = &c.nc
	case is(name, "userhash"):
		dst = &c.userhash
	default:
		return true // opaque is not checked; unknown auth-params are ignored
	}
	if *dst == nil {
		*dst = val
	}
	return true
}

func is(name []byte, want string) bool { return bytes.EqualFold(name, []byte(want)) }

// check validates the directives against what a offers, fills alg and
// count, and resolves quoted-pairs in the values that are hashed. It
// returns a failure reason, or "".
func (c *credentials) check(a *Authenticator) string {
	switch {
	case len(c.username) == 0:
		return "missing username" // username* (RFC 7616 §3.4.4) is not supported
	case len(c.nonce) == 0:
		return "missing nonce"
	case len(c.uri) == 0:
		return "missing uri"
	case len(c.response) == 0:
		return "missing response"
	case c.userhash != nil && is(c.userhash, "true"):
		return "userhash not supported"
	}
	if reason := c.checkAlgorithm(a); reason != "" {
		return reason
	}
	if reason := c.checkQop(a); reason != "" {
		return reason
	}
	c.username, c.uri, c.cnonce = unescape(c.username), unescape(c.uri), unescape(c.cnonce)
	return ""
}

func (c *credentials) checkAlgorithm(a *Authenticator) string {
	c.alg = MD5 // RFC 7616 §3.3: absent means MD5
	if c.algorithm != nil {
		c.alg = lookupAlgorithm(c.algorithm)
	}
	found := false
	for _, alg := range a.algs {
		found = found || alg == c.alg
	}
	if !found {
		return "algorithm not offered"
	}
	if len(c.response) != 2*c.alg.size() || !isHex(c.response) {
		return "malformed response"
	}
	return ""
}

// checkQop accepts qop=auth with cnonce and nc, or, when allowed, no qop
// (RFC 2617 §3.2.2: then cnonce and nc are ignored and the nonce is good
// for one request).
func (c *credentials) checkQop(a *Authenticator) string {
	if c.qop == nil {
		if !a.noQop {
			return "missing qop"
		}
		c.cnonce, c.nc, c.count = nil, nil, 1
		return ""
	}
	if !is(c.qop, "auth") {
		return "qop not offered"
	}
	if len(c.cnonce) == 0 {
		return "missing cnonce"
	}
	n, ok := parseNC(c.nc)
	if !ok {
		return "malformed nc"
	}
	c.count = n
	return ""
}

// parseNC reads nc-value = 8LHEX (RFC 7616 §3.4), accepting 1 to 8 hex
// digits of either case; 0 is not a count.
func parseNC(b []byte) (uint32, bool) {
	if len(b) == 0 || len(b) > 8 || !isHex(b) {
		return 0, false
	}
	var n uint32
	for _, c := range b {
		n = n<<4 | uint32(unhex(c))
	}
	return n, n != 0
}

func isHex[T string | []byte](b T) bool {
	for i := range len(b) {
		if unhex(b[i]) > 15 {
			return false
		}
	}
	return true
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}

// lowerHex writes hex digits b, validated by isHex, in lowercase.
func lowerHex[T string | []byte](dst *[2 * sha256.Size]byte, b T) []byte {
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'F' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
	return dst[:len(b)]
}

// unescape resolves the quoted-pairs sip.AuthParams.Get leaves in a
// quoted-string's inside (RFC 3261 §25.1); most values have none and come
// back as they are.
func unescape(v []byte) []byte {
	if bytes.IndexByte(v, '\\') < 0 {
		return v
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		out = append(out, v[i])
	}
	return out
}

// unescapedEqual compares the inside of a quoted-string with s,
// resolving quoted-pairs, without copying.
func unescapedEqual(v []byte, s string) bool {
	j := 0
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		if j >= len(s) || v[i] != s[j] {
			return false
		}
		j++
	}
	return j == len(s)
}
