package lb

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/dchest/siphash"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// branchPrefix marks the LB's branches: the RFC 3261 magic cookie, then a
// tag that no UA is likely to use.
const branchPrefix = "z9hG4bK-sf"

// signer makes and checks the LB's Via branches. A branch is a keyed MAC
// (SipHash-2-4, a PRF made for short inputs, ~20 ns) over what identifies
// the request in the hop before the LB: that Via's branch and sent-by and
// the Call-ID. So the branch is the same for an INVITE, its CANCEL and its
// non-2xx ACK, as a stateless proxy's must be (RFC 3261 §16.11), and a
// response can be checked against the Via below the LB's own: one whose top
// Via names the LB with a branch the LB did not compute is forged and
// dropped, so the LB cannot be made to reflect it.
type signer struct{ k0, k1 uint64 }

func newSigner(secret []byte) signer {
	sum := sha256.Sum256(append([]byte("sipfleet lb branch\x00"), secret...))
	return signer{binary.LittleEndian.Uint64(sum[0:]), binary.LittleEndian.Uint64(sum[8:])}
}

// mac computes the tag for a request whose Via before the LB is prev, for
// the given failover attempt (0 for a stateless forward). For an RFC 2543
// request (no magic cookie) the CSeq number stands in for the branch, as
// in the matching rules of RFC 3261 §17.2.3.
func (s signer) mac(prev *sip.Via, callID []byte, seq uint32, attempt, sock int) uint64 {
	var stack [512]byte
	b := append(stack[:0], byte(attempt), byte(sock))
	// One lookup of the branch (a scan of the Via's parameters) serves
	// both the test and the MAC.
	if br := prev.Branch(); sip.IsRFC3261Branch(br) {
		b = append(b, br...)
	} else {
		b = binary.LittleEndian.AppendUint32(b, seq)
	}
	b = append(b, 0)
	b = append(b, prev.SentBy...)
	b = append(b, 0)
	b = append(b, callID...)
	return siphash.Hash(s.k0, s.k1, b)
}

const hexDigits = "0123456789abcdef"

// appendBranch writes the branch for mac, attempt and the index of the
// socket the request came in on: a response relayed by this branch leaves
// through that socket again, with no state kept.
func appendBranch(dst []byte, mac uint64, attempt, sock int) []byte {
	dst = append(dst, branchPrefix...)
	dst = append(dst, hexDigits[attempt&15], hexDigits[(sock>>4)&15], hexDigits[sock&15])
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[(mac>>uint(shift))&15])
	}
	return dst
}

// branchTag is what a branch says besides its MAC.
type branchTag struct {
	attempt int // 0: stateless forward; 1..14: failover attempt; probeAttempt
	sock    int // index of the socket the request came in on
}

// parseBranch splits one of our branches into its tag and MAC.
func parseBranch(b []byte) (tag branchTag, mac uint64, ok bool) {
	if len(b) != len(branchPrefix)+19 || string(b[:len(branchPrefix)]) != branchPrefix {
		return tag, 0, false
	}
	var v [19]int
	for i, c := range b[len(branchPrefix):] {
		if v[i] = hexValue(c); v[i] < 0 {
			return tag, 0, false
		}
	}
	tag = branchTag{attempt: v[0], sock: v[1]<<4 | v[2]}
	for _, x := range v[3:] {
		mac = mac<<4 | uint64(x)
	}
	return tag, mac, true
}

func hexValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// verify checks that top, a Via naming the LB, carries a branch the LB
// computed for the request that prev (the next Via down) and callID
// (and seq) describe.
func (s signer) verify(top, prev *sip.Via, callID []byte, seq uint32) (branchTag, bool) {
	tag, mac, ok := parseBranch(top.Branch())
	if !ok {
		return tag, false
	}
	return tag, s.mac(prev, callID, seq, tag.attempt, tag.sock) == mac
}
