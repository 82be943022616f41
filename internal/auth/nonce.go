package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"io"
	"sync"
)

// Nonce layout; see the package doc.
const (
	nonceVersion = 0x10
	nonceRealm   = 0x01 // flag: the realm is in the MAC
	nonceBody    = 15   // format, issued, lifetime, random
	nonceMACLen  = 12
	nonceLen     = nonceBody + nonceMACLen
	nonceTextLen = nonceLen * 4 / 3 // 27 bytes are 36 base64 characters, no padding
)

var nonceEncoding = base64.RawURLEncoding.Strict()

// macKey computes nonce MACs under one derived key. Hashes are pooled:
// hmac.New allocates, Reset does not.
type macKey struct{ pool sync.Pool }

// keyLabel separates the nonce key from other uses of the shared secret.
const keyLabel = "sipfleet digest nonce v1"

func newMACKey(secret []byte) *macKey {
	d := hmac.New(sha256.New, secret)
	d.Write([]byte(keyLabel))
	key := d.Sum(nil)
	k := &macKey{}
	k.pool.New = func() any { return &macState{h: hmac.New(sha256.New, key)} }
	return k
}

// macState is a pooled HMAC with room for its input and output, so that
// nothing escapes per call.
type macState struct {
	h   hash.Hash
	in  []byte
	sum [sha256.Size]byte
	raw [nonceLen]byte
}

// compute returns the MAC of body, followed by realm when body's format
// byte says the nonce is bound to it.
func (s *macState) compute(body []byte, realm string) []byte {
	s.in = append(s.in[:0], body...)
	if body[0]&nonceRealm != 0 {
		s.in = append(s.in, realm...)
	}
	s.h.Reset()
	s.h.Write(s.in)
	return s.h.Sum(s.sum[:0])
}

// mac writes the MAC of body (and realm, when bound) into out.
func (k *macKey) mac(out []byte, body []byte, realm string) {
	s := k.pool.Get().(*macState)
	copy(out, s.compute(body, realm))
	k.pool.Put(s)
}

// nonce is what a verified nonce tells.
type nonce struct {
	id      uint64 // first MAC bytes: a per-nonce identifier for the nc table
	issued  int64  // Unix seconds
	expires int64  // Unix seconds: valid while now < expires
}

type nonceState uint8

const (
	nonceInvalid nonceState = iota
	nonceValid
	nonceStale // authentic, but expired or not yet valid
)

// appendNonce mints a nonce at now (Unix seconds) and appends its text.
func (a *Authenticator) appendNonce(dst []byte, realm string, now int64) []byte {
	s := a.key.pool.Get().(*macState)
	raw := s.raw[:]
	raw[0] = nonceVersion
	if a.bindRealm {
		raw[0] |= nonceRealm
	}
	binary.BigEndian.PutUint32(raw[1:5], uint32(now))
	binary.BigEndian.PutUint16(raw[5:7], uint16(a.ttl))
	a.random(raw[7:nonceBody])
	copy(raw[nonceBody:], s.compute(raw[:nonceBody], realm))
	dst = nonceEncoding.AppendEncode(dst, raw)
	a.key.pool.Put(s)
	return dst
}

// checkNonce authenticates text as a nonce of this fleet for realm and
// places now (Unix seconds) in its validity window.
func (a *Authenticator) checkNonce(text []byte, realm string, now int64) (nonce, nonceState) {
	var raw [nonceLen]byte
	if len(text) != nonceTextLen {
		return nonce{}, nonceInvalid
	}
	if n, err := nonceEncoding.Decode(raw[:], text); err != nil || n != nonceLen {
		return nonce{}, nonceInvalid
	}
	if raw[0]&^nonceRealm != nonceVersion || !a.authentic(&raw, realm) {
		return nonce{}, nonceInvalid
	}
	n := nonce{
		id:     binary.BigEndian.Uint64(raw[nonceBody:]),
		issued: int64(binary.BigEndian.Uint32(raw[1:5])),
	}
	n.expires = n.issued + min(int64(binary.BigEndian.Uint16(raw[5:7])), a.ttl)
	if now >= n.expires || n.issued > now+a.skew {
		return n, nonceStale
	}
	return n, nonceValid
}

// authentic checks the MAC under the current secret, then the previous
// ones, in constant time each.
func (a *Authenticator) authentic(raw *[nonceLen]byte, realm string) bool {
	var want [sha256.Size]byte
	for _, k := range a.keys {
		k.mac(want[:], raw[:nonceBody], realm)
		if hmac.Equal(want[:nonceMACLen], raw[nonceBody:]) {
			return true
		}
	}
	return false
}

// random fills b from Config.Rand or crypto/rand.
func (a *Authenticator) random(b []byte) {
	if _, err := io.ReadFull(a.rand, b); err != nil {
		panic("auth: random source failed: " + err.Error()) // crypto/rand never fails; a test reader must not
	}
}
