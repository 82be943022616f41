package proxy

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/dchest/siphash"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// The proxy's Record-Route carries a token (;sft=) keyed by the node's
// secret over the Call-ID. An in-dialog request from an untrusted source
// is routed only if its Route names this proxy with the token of its
// Call-ID: without it anyone could send "in-dialog" requests through the
// proxy to any host (a gateway that trusts the proxy, say) without ever
// authenticating.

// rrKey derives the token's key from the secret, or picks one.
func rrKey(secret []byte) [2]uint64 {
	var k [16]byte
	if len(secret) == 0 {
		_, _ = rand.Read(k[:])
	} else {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("sipfleet proxy record-route"))
		copy(k[:], m.Sum(nil))
	}
	return [2]uint64{binary.LittleEndian.Uint64(k[:8]), binary.LittleEndian.Uint64(k[8:])}
}

// rrToken is the token of a dialog's Call-ID: 16 hex digits.
func (p *Proxy) rrToken(callID []byte) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], siphash.Hash(p.rrKey[0], p.rrKey[1], callID))
	return hex.AppendEncode(make([]byte, 0, 16), b[:])
}

// ownDialog reports whether a request's Route starts with this proxy's
// Record-Route for its Call-ID: the request belongs to a dialog the proxy
// set up.
func (p *Proxy) ownDialog(m *sip.Msg, rt *routes) bool {
	return rt.n > 0 && hmac.Equal(rt.token, p.rrToken(m.CallID()))
}
