package registrar

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// reg builds a REGISTER for alice@example.com.
func reg(callID string, cseq int, extra ...string) *sip.Msg {
	var b strings.Builder
	b.WriteString("REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n")
	b.WriteString("From: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\n")
	fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d REGISTER\r\n", callID, cseq)
	for _, x := range extra {
		b.WriteString(x + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	var m sip.Msg
	if err := m.Parse([]byte(b.String())); err != nil {
		panic(err)
	}
	return &m
}

// run parses and applies m against cur with the default rules.
func run(t *testing.T, m *sip.Msg, cur []store.Binding, tweak func(*Rules)) (outcome, *failure) {
	t.Helper()
	rules := DefaultRules()
	if tweak != nil {
		tweak(&rules)
	}
	r, f := parseRegister(m, &rules, t0)
	if f != nil {
		return outcome{}, f
	}
	return apply(r, cur, &rules), nil
}

// existing is a binding stored by an earlier REGISTER.
func existing(contact, callID string, cseq int, expiresIn time.Duration) store.Binding {
	aor := store.AOR{User: "alice", Domain: "example.com"}
	return store.Binding{
		AOR: aor, Contact: contact, CallID: callID, CSeq: cseq,
		RUID: store.RUID(aor, contact, "", 0), Expires: t0.Add(expiresIn), LastModified: t0.Add(-time.Minute), Q: -1,
	}
}

func TestRegisterRules(t *testing.T) {
	a := existing("sip:alice@192.0.2.1:5060", "c1", 5, time.Hour)
	b := existing("sip:alice@192.0.2.2:5060", "c2", 9, time.Hour)
	tests := []struct {
		name      string
		m         *sip.Msg
		cur       []store.Binding
		tweak     func(*Rules)
		status    int
		nCurrent  int
		nPut      int
		nDel      int
		wantCheck func(t *testing.T, o outcome)
	}{
		{name: "new binding, default expiry", m: reg("c1", 1, "Contact: <sip:alice@192.0.2.1:5060>"),
			status: 200, nCurrent: 1, nPut: 1, wantCheck: func(t *testing.T, o outcome) {
				if got := o.put[0].Expires.Sub(t0); got != time.Hour {
					t.Errorf("expires in %v", got)
				}
			}},
		{name: "Expires header", m: reg("c1", 1, "Contact: <sip:alice@h>", "Expires: 120"),
			status: 200, nPut: 1, nCurrent: 1, wantCheck: func(t *testing.T, o outcome) {
				if got := o.put[0].Expires.Sub(t0); got != 120*time.Second {
					t.Errorf("expires in %v", got)
				}
			}},
		{name: "contact param wins over header", m: reg("c1", 1, "Contact: <sip:alice@h>;expires=300", "Expires: 120"),
			status: 200, nPut: 1, nCurrent: 1, wantCheck: func(t *testing.T, o outcome) {
				if got := o.put[0].Expires.Sub(t0); got != 300*time.Second {
					t.Errorf("expires in %v", got)
				}
			}},
		{name: "clamped to max", m: reg("c1", 1, "Contact: <sip:alice@h>;expires=999999"),
			status: 200, nPut: 1, nCurrent: 1, wantCheck: func(t *testing.T, o outcome) {
				if got := o.put[0].Expires.Sub(t0); got != 86400*time.Second {
					t.Errorf("expires in %v", got)
				}
			}},
		{name: "q value", m: reg("c1", 1, "Contact: <sip:alice@h>;q=0.5"),
			status: 200, nPut: 1, nCurrent: 1, wantCheck: func(t *testing.T, o outcome) {
				if o.put[0].Q != 0.5 {
					t.Errorf("q = %v", o.put[0].Q)
				}
			}},
		{name: "refresh with same Call-ID, higher CSeq", m: reg("c1", 6, "Contact: <sip:alice@192.0.2.1:5060>"),
			cur: []store.Binding{a}, status: 200, nPut: 1, nCurrent: 1},
		{name: "out of order CSeq", m: reg("c1", 4, "Contact: <sip:alice@192.0.2.1:5060>"),
			cur: []store.Binding{a}, status: 500},
		{name: "retransmission tolerated", m: reg("c1", 5, "Contact: <sip:alice@192.0.2.1:5060>"),
			cur: []store.Binding{a}, status: 200, nCurrent: 1},
		{name: "other Call-ID replaces", m: reg("other", 1, "Contact: <sip:alice@192.0.2.1:5060>"),
			cur: []store.Binding{a}, status: 200, nPut: 1, nCurrent: 1},
		{name: "URI comparison per 19.1.4", m: reg("c1", 6, "Contact: <sip:alice@192.0.2.1:5060;transport=udp>"),
			cur:    []store.Binding{existing("sip:alice@192.0.2.1:5060;transport=UDP", "c1", 5, time.Hour)},
			status: 200, nPut: 1, nCurrent: 1},
		{name: "expires=0 removes", m: reg("c1", 6, "Contact: <sip:alice@192.0.2.1:5060>;expires=0"),
			cur: []store.Binding{a, b}, status: 200, nDel: 1, nCurrent: 1},
		{name: "star removes all", m: reg("x", 1, "Contact: *", "Expires: 0"),
			cur: []store.Binding{a, b}, status: 200, nDel: 2},
		{name: "star needs Expires 0", m: reg("x", 1, "Contact: *", "Expires: 10"), status: 400},
		{name: "star without Expires", m: reg("x", 1, "Contact: *"), status: 400},
		{name: "star with another contact", m: reg("x", 1, "Contact: *, <sip:a@b>", "Expires: 0"), status: 400},
		{name: "star out of order", m: reg("c1", 3, "Contact: *", "Expires: 0"), cur: []store.Binding{a}, status: 500},
		{name: "too brief", m: reg("c1", 1, "Contact: <sip:alice@h>;expires=10"), status: 423},
		{name: "zero is not too brief", m: reg("c1", 1, "Contact: <sip:alice@h>;expires=0"), status: 200},
		{name: "query only", m: reg("q", 1), cur: []store.Binding{a, b}, status: 200, nCurrent: 2},
		{name: "max contacts replaces oldest", m: reg("n", 1, "Contact: <sip:alice@new>"), cur: []store.Binding{a, b},
			tweak: func(r *Rules) { r.MaxContacts = 2 }, status: 200, nCurrent: 2, nPut: 1, nDel: 1},
		{name: "max contacts 503", m: reg("n", 1, "Contact: <sip:alice@new>"), cur: []store.Binding{a, b},
			tweak: func(r *Rules) { r.MaxContacts = 2; r.OnMaxContacts = Reject503 }, status: 503},
		{name: "non-SIP AoR", m: mustMsg("REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <tel:+15555550100>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nl: 0\r\n\r\n"),
			status: 400},
		{name: "domain not served", m: reg("c1", 1, "Contact: <sip:alice@h>"), tweak: func(r *Rules) { r.Domains = []string{"other.org"} },
			status: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, f := run(t, tc.m, tc.cur, tc.tweak)
			status := o.status
			if f != nil {
				status = f.status
			}
			if status != tc.status {
				t.Fatalf("status %d (%v %q), want %d", status, f, o.reason, tc.status)
			}
			if status != 200 {
				return
			}
			if len(o.current) != tc.nCurrent || len(o.put) != tc.nPut || len(o.del) != tc.nDel {
				t.Fatalf("current %d put %d del %d, want %d %d %d", len(o.current), len(o.put), len(o.del), tc.nCurrent, tc.nPut, tc.nDel)
			}
			if tc.wantCheck != nil {
				tc.wantCheck(t, o)
			}
		})
	}
}

func mustMsg(s string) *sip.Msg {
	var m sip.Msg
	if err := m.Parse([]byte(s)); err != nil {
		panic(err)
	}
	return &m
}

func TestPathRules(t *testing.T) {
	path := "Path: <sip:10.0.0.1:5060;lr;received=sip:198.51.100.7:40000%3Btransport%3Dtcp>"
	m := reg("c1", 1, "Contact: <sip:alice@192.168.1.20:5060>", path)
	o, f := run(t, m, nil, nil)
	if f != nil || o.status != 200 {
		t.Fatalf("%v %d", f, o.status)
	}
	b := o.put[0]
	if b.Received != "sip:198.51.100.7:40000;transport=tcp" || !b.Keepalive {
		t.Fatalf("received %q keepalive %v", b.Received, b.Keepalive)
	}
	if b.Path != "<sip:10.0.0.1:5060;lr;received=sip:198.51.100.7:40000%3Btransport%3Dtcp>" {
		t.Fatalf("path %q", b.Path)
	}
	// path_mode 2 without Supported: path.
	_, f = run(t, m, nil, func(r *Rules) { r.PathMode = PathRequire })
	if f == nil || f.status != 420 || f.unsupported != "path" {
		t.Fatalf("path_mode 2: %+v", f)
	}
	// path_use_received off: stored path, no received.
	o, _ = run(t, m, nil, func(r *Rules) { r.PathUseReceived = false })
	if o.put[0].Received != "" || o.put[0].Keepalive {
		t.Fatalf("received used although off: %q", o.put[0].Received)
	}
}

func TestOutboundFlows(t *testing.T) {
	flow := func(contact string, regID int, cseq int) *sip.Msg {
		return reg("c1", cseq, fmt.Sprintf(`Contact: <%s>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=%d`, contact, regID),
			"Supported: path, outbound")
	}
	o, f := run(t, flow("sip:alice@192.0.2.1:1111", 1, 1), nil, nil)
	if f != nil || len(o.put) != 1 || o.put[0].Instance != "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>" || o.put[0].RegID != 1 {
		t.Fatalf("%v %+v", f, o.put)
	}
	// The same flow from a new address replaces the binding (RFC 5626 §6).
	cur := o.put
	o, _ = run(t, flow("sip:alice@192.0.2.1:2222", 1, 2), cur, nil)
	if len(o.current) != 1 || len(o.put) != 1 || o.put[0].RUID != cur[0].RUID || o.put[0].Contact != "sip:alice@192.0.2.1:2222" {
		t.Fatalf("flow not replaced: current %d put %+v", len(o.current), o.put)
	}
	// A second flow (reg-id 2) is a second binding.
	o, _ = run(t, flow("sip:alice@192.0.2.9:3333", 2, 3), cur, nil)
	if len(o.current) != 2 {
		t.Fatalf("second flow: %d bindings", len(o.current))
	}
}

func TestOKListsBindings(t *testing.T) {
	m := reg("c1", 1, "Contact: <sip:alice@192.0.2.1:5060>;q=0.7", "Expires: 600")
	rules := DefaultRules()
	r, f := parseRegister(m, &rules, t0)
	if f != nil {
		t.Fatal(f)
	}
	other := existing("sip:alice@192.0.2.2:5060", "c2", 1, 100*time.Second)
	o := apply(r, []store.Binding{other}, &rules)
	out := mustMsg(string(appendOK(nil, m, r, &o, &rules, []byte("tag"))))
	var got []string
	_ = out.NameAddrs(sip.HdrContact, func(n sip.NameAddr) bool {
		e, _, _ := n.Expires()
		got = append(got, fmt.Sprintf("%s %d", n.URI.Raw, e))
		return true
	})
	want := []string{"sip:alice@192.0.2.2:5060 100", "sip:alice@192.0.2.1:5060 600"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("contacts %q, want %q", got, want)
	}
	if d, ok := out.Get(sip.HdrDate); !ok || !strings.HasSuffix(string(d), "GMT") {
		t.Errorf("Date = %q", d)
	}
	if out.ToTag() == nil {
		t.Error("no To tag")
	}
}

func TestUseDomainOff(t *testing.T) {
	rules := DefaultRules()
	rules.UseDomain = false
	r, f := parseRegister(reg("c1", 1, "Contact: <sip:alice@h>"), &rules, t0)
	if f != nil {
		t.Fatal(f)
	}
	if r.aor.Domain != "" || r.realm != "example.com" {
		t.Fatalf("aor %+v realm %q", r.aor, r.realm)
	}
}
