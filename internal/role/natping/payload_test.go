package natping

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// TestBranchPrefixIsPinned: the LB recognises the pinger's answers by
// this literal (internal/role/lb holds its own copy; roles do not import
// each other), so changing it here alone would flood the LB's forged
// response counter instead.
func TestBranchPrefixIsPinned(t *testing.T) {
	if BranchPrefix != "z9hG4bK-sfping-" {
		t.Fatalf("BranchPrefix is %q; the LB expects z9hG4bK-sfping-", BranchPrefix)
	}
}

func TestOptionsPayload(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		contact string
		sentBy  string
	}{
		{"ipv4", "203.0.113.10:5060", "sip:alice@192.168.1.10:5060;transport=udp", "203.0.113.10:5060"},
		{"ipv6", "[2001:db8::10]:5060", "sip:alice@[fd00::10]:5060", "[2001:db8::10]:5060"},
	}
	w := newOptionsWriter()
	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 {
				raw := w.append([]byte("x"), netip.MustParseAddrPort(tc.src), tc.contact)[1:]
				var m sip.Msg
				if err := m.Parse(raw); err != nil {
					t.Fatalf("parse: %v\n%s", err, raw)
				}
				if err := m.ValidateRequest(sip.Limits{}); err != nil {
					t.Fatalf("invalid request: %v\n%s", err, raw)
				}
				if m.Method() != sip.OPTIONS || string(m.RequestURIBytes()) != tc.contact {
					t.Errorf("start line %q %q", m.MethodBytes(), m.RequestURIBytes())
				}
				if m.Count(sip.HdrVia) != 1 {
					t.Errorf("%d Vias; the LB absorbs answers with only its own", m.Count(sip.HdrVia))
				}
				via, err := m.TopVia()
				if err != nil {
					t.Fatal(err)
				}
				if string(via.SentBy) != tc.sentBy || !bytes.EqualFold(via.Transport, []byte("UDP")) {
					t.Errorf("Via %q: want sent-by %s over UDP", via.Raw, tc.sentBy)
				}
				if _, ok := via.RPort(); !ok {
					t.Error("Via without rport")
				}
				br := string(via.Branch())
				if !strings.HasPrefix(br, BranchPrefix) || seen[br] {
					t.Errorf("branch %q: want %s..., unique", br, BranchPrefix)
				}
				seen[br] = true
				if id := string(m.CallID()); seen[id] {
					t.Errorf("Call-ID %q repeated", id)
				} else {
					seen[id] = true
				}
				if to, _ := m.To(); string(to.URI.Raw) != tc.contact {
					t.Errorf("To %q, want the contact", to.URI.Raw)
				}
				if len(m.FromTag()) == 0 {
					t.Error("From without tag")
				}
				if len(raw) > maxPayload {
					t.Errorf("%d bytes, above %d", len(raw), maxPayload)
				}
			}
		})
	}
}

func TestParsePayload(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Payload
		ok   bool
	}{{"crlf", CRLF, true}, {"options", OPTIONS, true}, {"CRLF", 0, false}, {"", 0, false}} {
		got, err := ParsePayload(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParsePayload(%q) = %v, %v", tc.in, got, err)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}
