package transaction

import (
	"bytes"
	"strconv"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// Matching keys. A key is built in a caller's stack buffer, so a lookup
// (the common case: a retransmission or a response) allocates nothing; only
// a new transaction turns its key into a string.

// keyBufSize fits every RFC 3261 key seen in practice; longer keys spill
// to the heap through append.
const keyBufSize = 192

// appendServerKey writes the server transaction key of request m. An ACK
// is keyed as the INVITE it acknowledges (§17.2.3), and so is any request
// when asInvite is set: that is how a CANCEL finds the INVITE it cancels
// (§9.2).
//
// With an RFC 3261 branch the key is branch, sent-by and method (§17.2.3).
// Without the magic cookie it is the RFC 2543 tuple minus the To tag:
// Request-URI, From tag, Call-ID, CSeq number and the whole top Via. The To
// tag is compared after the lookup (see ServerTx.match2543), because for an
// ACK it must equal the tag of the response, not of the INVITE.
func appendServerKey(dst []byte, m *sip.Msg, v *via, asInvite bool) []byte {
	class := m.MethodBytes()
	if asInvite || m.Method() == sip.ACK {
		class = nil
	}
	if v.isRFC3261() {
		dst = appendClass(append(dst, '3', ' '), class)
		dst = append(dst, ' ')
		dst = append(dst, v.branch...)
		dst = append(dst, ' ')
		return append(dst, v.sentBy...)
	}
	seq, _, _ := m.CSeq()
	dst = appendClass(append(dst, '2', ' '), class)
	dst = append(dst, ' ')
	dst = append(dst, m.RequestURIBytes()...)
	dst = append(dst, ' ')
	dst = append(dst, m.FromTag()...)
	dst = append(dst, ' ')
	dst = append(dst, m.CallID()...)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(seq), 10)
	dst = append(dst, ' ')
	return append(dst, v.raw...)
}

// serverShardKey is what places a server transaction in a shard: fields
// that a retransmission, the ACK and the CANCEL share.
func serverShardKey(m *sip.Msg, v *via) []byte {
	if v.isRFC3261() {
		return v.branch
	}
	return m.CallID()
}

// appendClass writes the method a key is filed under; nil means INVITE.
func appendClass(dst, class []byte) []byte {
	if class == nil {
		return append(dst, "INVITE"...)
	}
	return append(dst, class...)
}

// appendClientKey writes the client transaction key: the branch of the top
// Via and the CSeq method (§17.1.3; the method tells an INVITE from the
// CANCEL that shares its branch).
func appendClientKey(dst, method, branch []byte) []byte {
	dst = append(dst, method...)
	dst = append(dst, ' ')
	return append(dst, branch...)
}

// match2543 finishes RFC 2543 matching (§17.2.3) with the To tag: an ACK
// must carry the tag of the response the transaction sent, any other
// request the tag of the request that created it.
func (tx *ServerTx) match2543(m *sip.Msg) bool {
	if m.Method() == sip.ACK {
		return bytes.Equal(m.ToTag(), tx.respToTag)
	}
	return bytes.Equal(m.ToTag(), tx.reqToTag)
}
