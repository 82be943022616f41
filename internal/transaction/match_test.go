package transaction

import (
	"testing"
)

// §17.2.3: server transactions match on branch, sent-by and method (ACK as
// INVITE), or on the RFC 2543 fields without the magic cookie.
func TestServerMatching(t *testing.T) {
	runScripts(t, []scriptCase{{
		name:  "same branch, other sent-by: a new transaction",
		steps: []step{{0, "recv invite.sip"}, {0, "respond 200"}, {0, "recv invite-other-sentby.sip"}, {0, "respond 200"}},
		end:   sec(40),
		want:  []string{"0s serve INVITE", "0s send 200", "0s serve INVITE", "0s send 200"},
	}, {
		name:  "same branch, other method: a new transaction",
		steps: []step{{0, "recv invite.sip"}, {0, "recv options-same-branch.sip"}, {0, "respond 200"}, {ms(300), "recv invite.sip"}, {ms(400), "respondto 0 200"}},
		end:   sec(40),
		want:  []string{"0s serve INVITE", "0s serve OPTIONS", "0s send 200", "200ms send 100", "300ms send 100", "400ms send 200"},
	}, {
		name:  "CANCEL is a transaction of its own",
		steps: []step{{0, "recv invite.sip"}, {ms(300), "recv cancel.sip"}, {ms(300), "respond 200"}, {ms(300), "recv cancel.sip"}, {ms(300), "respondto 0 487"}, {ms(400), "recv ack-non2xx.sip"}},
		end:   sec(40),
		want: []string{
			"0s serve INVITE", "200ms send 100", "300ms serve CANCEL", "300ms send 200", "300ms send 200", "300ms send 487",
		},
	}, {
		name:  "stray ACK goes to the TU",
		steps: []step{{0, "recv ack-2xx.sip"}, {0, "recv ack-non2xx.sip"}},
		want:  []string{"0s unhandled ACK", "0s unhandled ACK"},
	}, {
		name: "RFC 2543: retransmission, To tag of the response on the ACK, new CSeq",
		steps: []step{
			{0, "recv invite-2543.sip"},
			{ms(100), "recv invite-2543.sip"},
			{ms(100), "respondfile response-486-2543.sip"},
			{ms(300), "recv invite-2543.sip"},
			{ms(400), "recv ack-2543-wrongtag.sip"},
			{ms(450), "state"},
			{ms(500), "recv ack-2543.sip"},
			{ms(500), "state"},
			{sec(1), "recv invite-2543-newcseq.sip"},
			{sec(1), "respond 486"},
			{sec(1), "recv invite-2543.sip"}, // the first one: still absorbed in Confirmed
		},
		end: sec(34),
		want: []string{
			"0s serve INVITE",
			"100ms send 486",
			"300ms send 486",
			"400ms unhandled ACK",
			"450ms state Completed",
			"500ms state Confirmed",
			"1s serve INVITE",
			"1s send 486",
			"1.5s send 486", "2.5s send 486", "4.5s send 486", "8.5s send 486",
			"12.5s send 486", "16.5s send 486", "20.5s send 486", "24.5s send 486",
			"28.5s send 486", "32.5s send 486",
			"33s txerror timer H fired: transaction timed out",
		},
	}})
}

// §9.2: the TU finds the INVITE transaction a CANCEL cancels.
func TestCancelTarget(t *testing.T) {
	h := newHarness(t, Config{})
	cases := []struct {
		invite, cancel string
		found          bool
	}{
		{"invite.sip", "cancel.sip", true},
		{"invite.sip", "cancel-other-branch.sip", false},
		{"invite-2543.sip", "cancel-2543.sip", true},
	}
	for _, c := range cases {
		t.Run(c.invite+" "+c.cancel, func(t *testing.T) {
			h.do("recv " + c.invite)
			inv := h.srv
			inv.SetValue("proxy context")
			h.do("recv " + c.cancel)
			got := h.l.CancelTarget(h.srv.Request())
			if c.found && (got != inv || got.Value() != "proxy context") {
				t.Errorf("CancelTarget = %p, want %p", got, inv)
			}
			if !c.found && got != nil {
				t.Errorf("CancelTarget = %p, want nil", got)
			}
		})
	}
}

func TestClientMatching(t *testing.T) {
	runScripts(t, []scriptCase{{
		name: "CSeq method tells the CANCEL response from the INVITE's",
		steps: []step{
			{0, "start client-invite.sip"},
			{ms(100), "recv client-200-cancel.sip"},
			{ms(100), "recv client-options-200.sip"},
			{ms(200), "recv client-487.sip"},
		},
		end:  sec(33),
		want: []string{"0s send INVITE", "100ms unmatched 200", "100ms unmatched 200", "200ms send ACK", "200ms tu INVITE 487", "32.2s tu INVITE terminated"},
	}})
}

func TestTopVia(t *testing.T) {
	cases := []struct {
		name, via, sentBy, branch string
		ok                        bool
	}{
		{"plain", "SIP/2.0/UDP host.example.com:5060;branch=z9hG4bKx;rport", "host.example.com:5060", "z9hG4bKx", true},
		{"LWS and case", "SIP / 2.0 / TCP  [2001:db8::1]:5061 ; BRANCH = z9hG4bKy", "[2001:db8::1]:5061", "z9hG4bKy", true},
		{"list", "SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP b.example.com;branch=z9hG4bK2", "a.example.com", "z9hG4bK1", true},
		{"no branch", "SIP/2.0/UDP a.example.com", "a.example.com", "", true},
		{"cookie alone is RFC 2543", "SIP/2.0/UDP a.example.com;branch=z9hG4bK", "a.example.com", "z9hG4bK", true},
		{"garbage", "nonsense", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := parseMsg(t, []byte("OPTIONS sip:a@b SIP/2.0\r\nVia: "+c.via+"\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"))
			v, ok := topVia(m)
			if ok != c.ok || string(v.sentBy) != c.sentBy || string(v.branch) != c.branch || v.rfc3261 != (len(c.branch) > 7) {
				t.Errorf("got %q %q %v, want %q %q %v", v.sentBy, v.branch, ok, c.sentBy, c.branch, c.ok)
			}
		})
	}
}
