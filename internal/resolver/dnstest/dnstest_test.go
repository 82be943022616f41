package dnstest

import (
	"fmt"
	"testing"

	"github.com/miekg/dns"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ask(t *testing.T, s *Server, network, name string, qtype uint16, edns int) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if edns > 0 {
		m.SetEdns0(uint16(edns), false)
	}
	c := &dns.Client{Net: network}
	r, _, err := c.Exchange(m, s.Addr())
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], network, err)
	}
	return r
}

func TestAnswers(t *testing.T) {
	s := Start(t,
		"_sip._udp.example.com. 60 IN SRV 10 60 5060 gw.example.com.",
		`example.com. 60 IN NAPTR 10 10 "s" "SIP+D2U" "" _sip._udp.example.com.`,
		"gw.example.com. 60 IN A 192.0.2.1",
		"gw.example.com. 60 IN AAAA 2001:db8::1",
		"alias.example.com. 60 IN CNAME gw.example.com.",
	)
	tests := []struct {
		name    string
		qtype   uint16
		rcode   int
		answers int
	}{
		{"gw.example.com.", dns.TypeA, dns.RcodeSuccess, 1},
		{"GW.Example.COM.", dns.TypeAAAA, dns.RcodeSuccess, 1},
		{"gw.example.com.", dns.TypeTXT, dns.RcodeSuccess, 0},   // NODATA
		{"_udp.example.com.", dns.TypeSRV, dns.RcodeSuccess, 0}, // an empty non-terminal
		{"missing.example.com.", dns.TypeA, dns.RcodeNameError, 0},
		{"alias.example.com.", dns.TypeA, dns.RcodeSuccess, 2}, // CNAME and A
		{"_sip._udp.example.com.", dns.TypeSRV, dns.RcodeSuccess, 1},
	}
	for _, tt := range tests {
		r := ask(t, s, "udp", tt.name, tt.qtype, 0)
		if r.Rcode != tt.rcode || len(r.Answer) != tt.answers || !r.Authoritative {
			t.Errorf("%s %s: rcode %s, %d answers, aa %v; want %s, %d, aa",
				tt.name, dns.TypeToString[tt.qtype], dns.RcodeToString[r.Rcode], len(r.Answer), r.Authoritative,
				dns.RcodeToString[tt.rcode], tt.answers)
		}
		if len(r.Extra) != 0 {
			t.Errorf("%s: additional section without Additional: %v", tt.name, r.Extra)
		}
	}
	if n := s.Queries(); n != len(tests) {
		t.Errorf("Queries() = %d, want %d", n, len(tests))
	}

	s.Additional = true
	s.Set(
		"_sip._udp.example.com. 60 IN SRV 10 60 5060 gw.example.com.",
		`example.com. 60 IN NAPTR 10 10 "s" "SIP+D2U" "" _sip._udp.example.com.`,
		"gw.example.com. 60 IN A 192.0.2.1",
		"gw.example.com. 60 IN AAAA 2001:db8::1",
	)
	if r := ask(t, s, "udp", "_sip._udp.example.com.", dns.TypeSRV, 0); len(r.Extra) != 2 {
		t.Errorf("SRV answer: additional %v, want A and AAAA", r.Extra)
	}
	if r := ask(t, s, "tcp", "example.com.", dns.TypeNAPTR, 0); len(r.Extra) != 3 {
		t.Errorf("NAPTR answer: additional %v, want SRV, A and AAAA", r.Extra)
	}
	s.Set("other.example. 60 IN A 192.0.2.2")
	if r := ask(t, s, "udp", "gw.example.com.", dns.TypeA, 0); r.Rcode != dns.RcodeNameError {
		t.Errorf("after Set: %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
}

func TestTruncation(t *testing.T) {
	var records []string
	for i := range 60 { // about 1000 bytes: over 512, under 1232
		records = append(records, fmt.Sprintf("big.example. 60 IN A 192.0.2.%d", i+1))
	}
	s := Start(t, records...)
	tests := []struct {
		network   string
		edns      int
		truncated bool
	}{
		{"udp", 0, true},
		{"udp", 1232, false},
		{"tcp", 0, false},
	}
	for _, tt := range tests {
		r := ask(t, s, tt.network, "big.example.", dns.TypeA, tt.edns)
		if r.Truncated != tt.truncated {
			t.Errorf("%s, EDNS %d: truncated %v, want %v", tt.network, tt.edns, r.Truncated, tt.truncated)
		}
		if !tt.truncated && len(r.Answer) != len(records) {
			t.Errorf("%s, EDNS %d: %d answers, want %d", tt.network, tt.edns, len(r.Answer), len(records))
		}
	}
}
