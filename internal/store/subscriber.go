package store

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
)

// Subscriber is one row of the subscriber table: a user that may
// register and call, with its digest secrets.
type Subscriber struct {
	User, Domain string
	// Password is the plain password, or "" when only the hashes are
	// kept. Kamailio's table has no column for a SHA-256 HA1, so digest
	// with algorithm=SHA-256 (RFC 7616) needs this column: the registrar
	// computes HA1(..., SHA256) from it on the fly. A subscriber stored
	// without it can use MD5 only.
	Password string
	// HA1 is MD5(user:realm:password) and HA1B is
	// MD5(user@domain:realm:password), as Kamailio's auth_db reads them.
	HA1, HA1B string
}

// Digest algorithms of RFC 7616 §6.1.
const (
	MD5    = "MD5"
	SHA256 = "SHA-256"
)

// HA1 is the RFC 7616 §3.4.2 A1 hash, H(user:realm:password), in lower
// hex, for alg MD5 or SHA-256.
func HA1(user, realm, password, alg string) (string, error) {
	var h hash.Hash
	switch alg {
	case MD5:
		h = md5.New()
	case SHA256:
		h = sha256.New()
	default:
		return "", fmt.Errorf("ha1: unknown digest algorithm %q", alg)
	}
	h.Write([]byte(user + ":" + realm + ":" + password))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// NewSubscriber makes the record for user@domain with password, realm =
// domain, as `sipfleet user add` stores it. keepPassword keeps the plain
// password too, as Kamailio does, so that SHA-256 digest works.
func NewSubscriber(aor AOR, password string, keepPassword bool) Subscriber {
	ha1, _ := HA1(aor.User, aor.Domain, password, MD5)
	ha1b, _ := HA1(aor.User+"@"+aor.Domain, aor.Domain, password, MD5)
	s := Subscriber{User: aor.User, Domain: aor.Domain, HA1: ha1, HA1B: ha1b}
	if keepPassword {
		s.Password = password
	}
	return s
}
