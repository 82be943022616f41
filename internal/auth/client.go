package auth

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// Answer is the client side, for tests of the roles and for probes: given
// one challenge value (a WWW-Authenticate or Proxy-Authenticate header
// value), it returns the Authorization or Proxy-Authorization value a UAC
// sends (RFC 7616 §3.4): qop=auth when offered, else the RFC 2069 form,
// with the challenge's algorithm (MD5 when absent) and opaque.
func Answer(challenge []byte, user, password, method, uri string, nc uint32, cnonce string) (string, error) {
	ch, err := sip.ParseAuth(challenge)
	if err != nil {
		return "", fmt.Errorf("answer challenge: %w", err)
	}
	if !ch.IsDigest() {
		return "", errors.New("answer challenge: not Digest")
	}
	realm, _ := ch.Params.Get("realm")
	nonce, _ := ch.Params.Get("nonce")
	alg := MD5
	if name, ok := ch.Params.Get("algorithm"); ok {
		if alg = lookupAlgorithm(name); alg == 0 {
			return "", fmt.Errorf("answer challenge: algorithm %q not supported", name)
		}
	}
	realmText := string(unescape(realm))
	in := digestInput{
		alg: alg, ha1: []byte(HA1(user, realmText, password, alg)), nonce: nonce,
		nc: fmt.Appendf(nil, "%08x", nc), cnonce: []byte(cnonce), method: []byte(method), uri: []byte(uri),
	}
	if qops, _ := ch.Params.Get("qop"); offersAuth(qops) {
		in.qop = []byte("auth")
	}
	var out [2 * sha256.Size]byte
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=%v`,
		escapeString(user), escapeString(realmText), nonce, uri, in.response(&out), alg)
	if in.qop != nil {
		fmt.Fprintf(&b, `, qop=auth, nc=%s, cnonce="%s"`, in.nc, escapeString(cnonce))
	}
	if opaque, ok := ch.Params.Get("opaque"); ok {
		fmt.Fprintf(&b, `, opaque="%s"`, opaque)
	}
	return b.String(), nil
}

// offersAuth reports whether a qop-options list has "auth".
func offersAuth(qops []byte) bool {
	for q := range bytes.SplitSeq(qops, []byte(",")) {
		if is(bytes.TrimSpace(q), "auth") {
			return true
		}
	}
	return false
}

func escapeString(s string) string { return string(appendEscaped(nil, s)) }
