package natping

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// Payload is what a keepalive carries.
type Payload uint8

// The payloads a pinger can send.
const (
	// CRLF is the 4-byte "\r\n\r\n": the smallest thing a SIP stack
	// takes as a keepalive and ignores (RFC 5626 §4.4.1 uses it on
	// connections; phones ignore it on UDP as they ignore any stray
	// CRLFs, RFC 3261 §7.5).
	CRLF Payload = iota + 1
	// OPTIONS is a SIP OPTIONS request to the binding's contact, as
	// Kamailio's nathelper sends with sipping: some NATs and phones only
	// count real SIP as traffic, and the phone's answer proves it is
	// there. The answer goes to the LB, which absorbs it (BranchPrefix).
	OPTIONS
)

// ParsePayload reads a payload name as the config writes it: "crlf" or
// "options".
func ParsePayload(s string) (Payload, error) {
	switch s {
	case "crlf":
		return CRLF, nil
	case "options":
		return OPTIONS, nil
	}
	return 0, fmt.Errorf("payload %q: want crlf or options", s)
}

func (p Payload) String() string {
	switch p {
	case CRLF:
		return "crlf"
	case OPTIONS:
		return "options"
	}
	return "payload(" + strconv.Itoa(int(p)) + ")"
}

// BranchPrefix starts the Via branch of every OPTIONS keepalive. The
// pinger sends as the LB, so the phones' answers arrive at the LB's public
// socket with only the LB's address in their Via; the LB recognises this
// prefix and counts and drops those answers without logging or relaying
// them. The LB holds the same literal (roles do not import each other);
// a test on each side pins it.
const BranchPrefix = "z9hG4bK-sfping-"

var crlfcrlf = []byte("\r\n\r\n")

// optionsWriter writes OPTIONS keepalives. Each gets its own branch and
// Call-ID, from a random per-process tag and a sequence number, so that
// the answers of two pingers, or of two runs, are never taken for each
// other's.
type optionsWriter struct {
	tag string
	seq uint64
	req sip.Request
}

func newOptionsWriter() *optionsWriter {
	var r [6]byte
	_, _ = rand.Read(r[:])
	return &optionsWriter{tag: hex.EncodeToString(r[:])}
}

// append writes the OPTIONS for contact sent from src, the LB's public
// address, which is what the Via and From name (RFC 3261 §8.1.1): the
// answer must come back to the LB, never to the pinger.
func (w *optionsWriter) append(dst []byte, src netip.AddrPort, contact string) []byte {
	w.seq++
	seq := strconv.FormatUint(w.seq, 16)
	hostport := src.String()
	w.req = sip.Request{
		Method: "OPTIONS",
		URI:    contact,
		Via:    "SIP/2.0/UDP " + hostport + ";branch=" + BranchPrefix + w.tag + "." + seq + ";rport",
		From:   "<sip:natping@" + hostport + ">;tag=" + w.tag,
		To:     "<" + contact + ">",
		CallID: "natping-" + w.tag + "-" + seq,
		CSeq:   1,
	}
	return sip.AppendRequest(dst, &w.req)
}
