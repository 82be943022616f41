package auth

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Authenticator issues challenges and verifies credentials. It is safe
// for concurrent use; build it with New.
type Authenticator struct {
	keys      []*macKey // current secret first, then the previous ones
	key       *macKey   // keys[0], the one nonces are issued under
	ttl       int64     // seconds
	skew      int64     // seconds
	algs      []Algorithm
	noQop     bool
	bindRealm bool
	uriCheck  URICheck
	counter   NonceCounter
	clock     func() time.Time
	rand      io.Reader
	opaque    string
	dummyHA1  [2 * sha256.Size]byte // hashed for unknown users, so they cost what a wrong password does
}

// New validates cfg and builds an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("auth config: %w", err)
	}
	a := &Authenticator{
		ttl:       int64(cmp.Or(cfg.NonceTTL, defaultTTL) / time.Second),
		skew:      int64(cmp.Or(cfg.ClockSkew, defaultSkew) / time.Second),
		algs:      slices.Clone(cfg.Algorithms),
		noQop:     cfg.AllowNoQop,
		bindRealm: !cfg.UnboundNonces,
		uriCheck:  cfg.URICheck,
		counter:   cfg.Counter,
		clock:     cfg.Clock,
		rand:      cfg.Rand,
	}
	if len(a.algs) == 0 {
		a.algs = []Algorithm{SHA256, MD5}
	}
	if a.counter == nil {
		a.counter = NewMemoryCounter(cmp.Or(cfg.MaxNonces, defaultMaxNonces))
	}
	if a.clock == nil {
		a.clock = time.Now
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	for _, s := range append([][]byte{cfg.Secret}, cfg.PreviousSecrets...) {
		a.keys = append(a.keys, newMACKey(s))
	}
	a.key = a.keys[0]
	a.opaque = deriveOpaque(cfg.Secret)
	copy(a.dummyHA1[:], strings.Repeat("0", len(a.dummyHA1)))
	return a, nil
}

// deriveOpaque makes the opaque directive: the same on every node of the
// fleet, so it survives a retry landing elsewhere, and never checked,
// since the nonce carries all the state (RFC 7616 §3.3 lets the server
// put anything there).
func deriveOpaque(secret []byte) string {
	d := hmac.New(sha256.New, secret)
	d.Write([]byte("sipfleet digest opaque v1"))
	return base64.RawURLEncoding.EncodeToString(d.Sum(nil)[:12])
}
