package auth

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Config sets up an Authenticator. Zero values take the defaults given
// with each field; out-of-range values are errors. Every node of a fleet
// needs the same Secret; the other fields may differ between nodes.
type Config struct {
	// Secret keys the nonce MACs; at least 16 bytes (32 random bytes is
	// right). Required.
	Secret []byte
	// PreviousSecrets are still accepted when verifying nonces, never used
	// to issue them: to rotate, make the new secret Secret and the old one
	// a previous secret on every node, and drop it after NonceTTL.
	PreviousSecrets [][]byte

	// NonceTTL is how long a nonce is good for; default 5m, at most
	// 65535s. A node accepts another's nonce for the shorter of the two
	// nodes' TTLs.
	NonceTTL time.Duration
	// ClockSkew is how far in the future a nonce's issue time may be
	// (another node's clock running ahead); default 10s.
	ClockSkew time.Duration

	// Algorithms are offered, in this order, and accepted; default
	// SHA-256 then MD5. Offer SHA-256 only if the HA1 lookup answers it.
	Algorithms []Algorithm
	// AllowNoQop accepts credentials without qop (RFC 2069, RFC 2617
	// §3.2.2.1 compatibility); each nonce is then good for one request.
	AllowNoQop bool
	// UnboundNonces leaves the realm out of the nonce MAC, so a nonce
	// issued for one realm is accepted for another. Bound by default.
	UnboundNonces bool
	// URICheck is how the digest uri must match the Request-URI.
	URICheck URICheck

	// Counter tracks nonce-counts; default a MemoryCounter of MaxNonces.
	Counter NonceCounter
	// MaxNonces bounds the default counter; default 1<<20 (about 45 MB
	// when full).
	MaxNonces int

	// Clock returns the time; default time.Now.
	Clock func() time.Time
	// Rand supplies nonce randomness; default crypto/rand.Reader.
	Rand io.Reader
}

// URICheck says how the digest uri must match the Request-URI.
type URICheck uint8

const (
	// URICheckUserHost wants a sip or sips uri with the Request-URI's user
	// and host; port, parameters and sip/sips may differ. A Request-URI
	// of another scheme (tel) must be repeated exactly.
	URICheckUserHost URICheck = iota
	// URICheckNone accepts any uri, as Kamailio does.
	URICheckNone
)

const (
	minSecret        = 16
	defaultTTL       = 5 * time.Minute
	maxTTL           = math.MaxUint16 * time.Second
	defaultSkew      = 10 * time.Second
	defaultMaxNonces = 1 << 20
)

// Validate reports every problem in c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Secret) < minSecret {
		bad("secret: %d bytes, want at least %d", len(c.Secret), minSecret)
	}
	for i, s := range c.PreviousSecrets {
		if len(s) < minSecret {
			bad("previous secret %d: %d bytes, want at least %d", i+1, len(s), minSecret)
		}
	}
	if c.NonceTTL != 0 && (c.NonceTTL < time.Second || c.NonceTTL > maxTTL) {
		bad("nonce TTL %v: want 1s to %v", c.NonceTTL, maxTTL)
	}
	if c.ClockSkew < 0 {
		bad("clock skew %v: must not be negative", c.ClockSkew)
	}
	seen := map[Algorithm]bool{}
	for _, a := range c.Algorithms {
		if !a.valid() {
			bad("algorithm %v: want MD5 or SHA-256", a)
		} else if seen[a] {
			bad("algorithm %v: listed twice", a)
		}
		seen[a] = true
	}
	if c.URICheck > URICheckNone {
		bad("uri check %d: unknown", c.URICheck)
	}
	if c.MaxNonces < 0 {
		bad("max nonces %d: must not be negative", c.MaxNonces)
	}
	return errors.Join(errs...)
}
