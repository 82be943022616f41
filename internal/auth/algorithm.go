package auth

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Algorithm is a digest algorithm (RFC 7616 §3.3, §6.1).
type Algorithm uint8

// The algorithms offered and accepted. The -sess variants are not.
const (
	MD5    Algorithm = iota + 1 // RFC 2617; the default when a client names none
	SHA256                      // "SHA-256", RFC 7616
)

// String returns the name used in the algorithm directive.
func (a Algorithm) String() string {
	switch a {
	case MD5:
		return "MD5"
	case SHA256:
		return "SHA-256"
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// ParseAlgorithm reads an algorithm name, case-insensitively, as written
// in a directive or a config file.
func ParseAlgorithm(s string) (Algorithm, error) {
	if a := lookupAlgorithm([]byte(s)); a != 0 {
		return a, nil
	}
	return 0, fmt.Errorf("digest algorithm %q: want MD5 or SHA-256", s)
}

func lookupAlgorithm(b []byte) Algorithm {
	switch {
	case strings.EqualFold(string(b), "MD5"):
		return MD5
	case strings.EqualFold(string(b), "SHA-256"):
		return SHA256
	}
	return 0
}

func (a Algorithm) valid() bool { return a == MD5 || a == SHA256 }

// size is the length of the algorithm's hash in bytes.
func (a Algorithm) size() int {
	if a == SHA256 {
		return sha256.Size
	}
	return md5.Size
}

// HA1 returns H(user ":" realm ":" password) in lowercase hex
// (RFC 7616 §3.4.2; for MD5, Kamailio's subscriber.ha1 column). It is what
// an HA1Func returns when it holds plain passwords.
func HA1(user, realm, password string, alg Algorithm) string {
	buf := make([]byte, 0, len(user)+len(realm)+len(password)+2)
	buf = append(append(append(buf, user...), ':'), realm...)
	buf = append(append(buf, ':'), password...)
	var out [2 * sha256.Size]byte
	return string(hexSum(&out, alg, buf))
}

// hexSum hashes data with alg and writes the lowercase hex digest into
// out, returning the used part.
func hexSum(out *[2 * sha256.Size]byte, alg Algorithm, data []byte) []byte {
	var sum [sha256.Size]byte
	n := alg.size()
	if alg == SHA256 {
		sum = sha256.Sum256(data)
	} else {
		m := md5.Sum(data)
		copy(sum[:], m[:])
	}
	hex.Encode(out[:], sum[:n])
	return out[:2*n]
}

// digestInput is what the request-digest covers (RFC 7616 §3.4.1,
// RFC 2617 §3.2.2.1). Every field is as the client sent it, unquoted.
type digestInput struct {
	alg               Algorithm
	ha1               []byte // lowercase hex
	nonce, nc, cnonce []byte
	qop               []byte // nil for RFC 2069 (no qop)
	method, uri       []byte
}

// response computes KD(HA1, nonce ":" nc ":" cnonce ":" qop ":" HA2) with
// HA2 = H(method ":" uri), or KD(HA1, nonce ":" HA2) without qop, into
// out as lowercase hex.
func (in *digestInput) response(out *[2 * sha256.Size]byte) []byte {
	var stack [256]byte
	buf := append(append(append(stack[:0], in.method...), ':'), in.uri...)
	var ha2 [2 * sha256.Size]byte
	h2 := hexSum(&ha2, in.alg, buf)

	buf = append(append(append(stack[:0], in.ha1...), ':'), in.nonce...)
	if in.qop != nil {
		buf = append(append(buf, ':'), in.nc...)
		buf = append(append(buf, ':'), in.cnonce...)
		buf = append(append(buf, ':'), in.qop...)
	}
	buf = append(append(buf, ':'), h2...)
	return hexSum(out, in.alg, buf)
}
