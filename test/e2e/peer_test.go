package e2e

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/testenv"
)

// A peer is a hand-driven SIP endpoint on a testenv.SIPClient, for the
// tests that check what a scenario puts on the wire byte by byte.

// peerWait bounds each wait for a message; a bound, never a sync.
const peerWait = 5 * time.Second

// expectRequest returns the next request with the given method, skipping
// anything else (SIPp's retransmissions, provisional responses).
func expectRequest(t *testing.T, c *testenv.SIPClient, method string) (*sip.Msg, netip.AddrPort) {
	t.Helper()
	return expectMsg(t, c, method, func(m *sip.Msg) bool {
		return m.IsRequest() && string(m.MethodBytes()) == method
	})
}

// expectResponse returns the next response with the given status code.
func expectResponse(t *testing.T, c *testenv.SIPClient, code int) *sip.Msg {
	t.Helper()
	m, _ := expectMsg(t, c, sip.ReasonPhrase(code), func(m *sip.Msg) bool {
		return !m.IsRequest() && m.StatusCode() == code
	})
	return m
}

func expectMsg(t *testing.T, c *testenv.SIPClient, what string, match func(*sip.Msg) bool) (*sip.Msg, netip.AddrPort) {
	t.Helper()
	deadline := time.Now().Add(peerWait)
	for {
		b, from, err := c.Recv(time.Until(deadline))
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("no %s within %s", what, peerWait)
		}
		if err != nil {
			t.Fatal(err)
		}
		m := new(sip.Msg)
		if err := m.Parse(b); err != nil {
			t.Fatalf("unparsable message from %s: %v\n%s", from, err, b)
		}
		if match(m) {
			return m, from
		}
		t.Logf("skipped while waiting for %s: %s", what, m.StartLine())
	}
}

// reply sends a response to req, built as RFC 3261 section 8.2.6.2 says,
// with extra header lines ("Name: value") and no body.
func reply(c *testenv.SIPClient, to netip.AddrPort, req *sip.Msg, code int, toTag string, extra ...string) {
	b := sip.AppendResponseHead(nil, req, code, sip.ReasonPhrase(code), []byte(toTag))
	for _, h := range extra {
		name, value, _ := strings.Cut(h, ": ")
		b = sip.AppendHeader(b, name, []byte(value))
	}
	c.Send(to, sip.AppendBody(b, nil))
}

// routes lists the name-addrs of a header (Route, Record-Route, Path) in
// order, whether they came in one header line or several.
func routes(t *testing.T, m *sip.Msg, id sip.HdrID) []string {
	t.Helper()
	var out []string
	if err := m.NameAddrs(id, func(na sip.NameAddr) bool {
		out = append(out, string(na.Raw))
		return true
	}); err != nil {
		t.Fatalf("%v: %v", id, err)
	}
	return out
}

// topBranch is the branch of a message's top Via.
func topBranch(t *testing.T, m *sip.Msg) string {
	t.Helper()
	v, err := m.TopVia()
	if err != nil {
		t.Fatalf("top Via: %v", err)
	}
	return string(v.Branch())
}

// header is the first value of a header, "" when absent.
func header(m *sip.Msg, name string) string {
	v, _ := m.GetName(name)
	return string(bytes.TrimSpace(v))
}
