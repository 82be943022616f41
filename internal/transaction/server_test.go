package transaction

import (
	"testing"
)

// RFC 3261 Figure 7 with RFC 6026 Figure 7's Accepted state.
func TestServerInviteFigure7(t *testing.T) {
	runScripts(t, []scriptCase{{
		name: "100 Trying at 200ms, 486 retransmitted by Timer G, ACK, Timer I",
		steps: []step{
			{0, "recv invite.sip"},
			{ms(150), "recv invite.sip"}, // nothing to resend yet: absorbed
			{ms(300), "recv invite.sip"}, // resend the 100
			{sec(1), "respond 486"},
			{sec(2), "recv invite.sip"}, // resend the final
			{sec(4), "recv ack-non2xx.sip"},
			{sec(4), "state"},
			{sec(4.5), "recv ack-non2xx.sip"}, // ACK retransmission absorbed
			{sec(8.99), "state"},
			{sec(9), "state"},
		},
		end: sec(10),
		want: []string{
			"0s serve INVITE",
			"200ms send 100",
			"300ms send 100",
			"1s send 486",
			"1.5s send 486", // G = T1
			"2s send 486",   // retransmitted INVITE
			"2.5s send 486", // G = 2*T1
			"4s state Confirmed",
			"8.99s state Confirmed",
			"9s state Terminated", // Timer I = T4
		},
	}, {
		name: "TU answers within 200ms: no 100 Trying",
		steps: []step{
			{0, "recv invite.sip"},
			{ms(100), "respond 180"},
			{ms(400), "recv invite.sip"},
			{sec(1), "respond 486"},
			{sec(1), "recv ack-non2xx.sip"},
		},
		end: sec(7),
		want: []string{
			"0s serve INVITE",
			"100ms send 180",
			"400ms send 180",
			"1s send 486",
		},
	}, {
		name:  "Timer G doubles up to T2, Timer H informs the TU",
		steps: []step{{0, "recv invite.sip"}, {0, "respond 486"}},
		end:   sec(33),
		want: []string{
			"0s serve INVITE", "0s send 486",
			"500ms send 486", "1.5s send 486", "3.5s send 486", "7.5s send 486",
			"11.5s send 486", "15.5s send 486", "19.5s send 486", "23.5s send 486",
			"27.5s send 486", "31.5s send 486",
			"32s txerror timer H fired: transaction timed out",
		},
	}, {
		name: "2xx: Accepted absorbs INVITEs, passes ACKs, sends TU 2xx, Timer L",
		steps: []step{
			{0, "recv invite.sip"},
			{ms(50), "respond 200"},
			{ms(500), "recv invite.sip"}, // absorbed, not to the TU, not answered
			{sec(1), "respond 200"},      // the TU's own 2xx retransmission
			{sec(1.5), "recv ack-2xx-same-branch.sip"},
			{sec(1.5), "recv ack-2xx.sip"},
			{sec(1.5), "state"},
			{sec(32.04), "state"},
			{sec(32.05), "state"},
		},
		end: sec(33),
		want: []string{
			"0s serve INVITE",
			"50ms send 200",
			"1s send 200",
			"1.5s unhandled ACK", // matched the Accepted tx: to the TU
			"1.5s unhandled ACK", // new branch: to the TU
			"1.5s state Accepted",
			"32.04s state Accepted",
			"32.05s state Terminated", // Timer L = 64*T1
		},
	}, {
		name:     "reliable: no Timer G, Timer I is 0",
		reliable: true,
		steps: []step{
			{0, "recv invite.sip"},
			{0, "respond 486"},
			{sec(3), "recv ack-non2xx.sip"},
			{sec(3), "state"},
		},
		end:  sec(4),
		want: []string{"0s serve INVITE", "0s send 486", "3s state Terminated"},
	}, {
		name:     "reliable: Timer H stays 64*T1",
		reliable: true,
		steps:    []step{{0, "recv invite.sip"}, {sec(1), "respond 486"}},
		end:      sec(34),
		want: []string{
			"0s serve INVITE", "200ms send 100", "1s send 486",
			"33s txerror timer H fired: transaction timed out",
		},
	}, {
		name: "transport error on a Timer G retransmission",
		steps: []step{
			{0, "recv invite.sip"},
			{0, "respond 486"},
			{ms(100), "fail"},
			{sec(1), "state"},
		},
		want: []string{
			"0s serve INVITE", "0s send 486",
			"500ms send 486 failed",
			"500ms txerror send: connection refused",
			"1s state Terminated",
		},
	}, {
		name: "transport error on a TU 2xx in Accepted keeps the transaction",
		steps: []step{
			{0, "recv invite.sip"},
			{0, "respond 200"},
			{sec(1), "fail"},
			{sec(1), "respond 200"},
			{sec(1), "state"},
		},
		end: sec(33),
		want: []string{
			"0s serve INVITE", "0s send 200",
			"1s send 200 failed",
			"1s respond error send: connection refused",
			"1s state Accepted",
		},
	}, {
		name:  "response after the final",
		steps: []step{{0, "recv invite.sip"}, {0, "respond 486"}, {0, "respond 200"}, {0, "recv ack-non2xx.sip"}},
		end:   sec(6),
		want: []string{
			"0s serve INVITE", "0s send 486",
			"0s respond error final response already sent",
		},
	}})
}

// RFC 3261 Figure 8.
func TestServerNonInviteFigure8(t *testing.T) {
	runScripts(t, []scriptCase{{
		name: "Trying, Proceeding, Completed, Timer J",
		steps: []step{
			{0, "recv register.sip"},
			{ms(100), "recv register.sip"}, // Trying: discarded
			{ms(200), "respond 100"},
			{ms(300), "recv register.sip"}, // Proceeding: last provisional
			{sec(1), "respond 200"},
			{sec(1.5), "recv register.sip"}, // Completed: the final
			{sec(1.5), "respond 200"},
			{sec(32.99), "state"},
			{sec(33), "state"},
		},
		end: sec(34),
		want: []string{
			"0s serve REGISTER",
			"200ms send 100",
			"300ms send 100",
			"1s send 200",
			"1.5s send 200",
			"1.5s respond error final response already sent",
			"32.99s state Completed",
			"33s state Terminated", // Timer J = 64*T1
		},
	}, {
		name:     "reliable: Timer J is 0",
		reliable: true,
		steps:    []step{{0, "recv register.sip"}, {ms(10), "respond 200"}, {ms(10), "state"}},
		end:      sec(1),
		want:     []string{"0s serve REGISTER", "10ms send 200", "10ms state Terminated"},
	}, {
		name: "transport error answering a retransmission",
		steps: []step{
			{0, "recv register.sip"},
			{0, "respond 200"},
			{ms(100), "fail"},
			{ms(200), "recv register.sip"},
			{ms(200), "state"},
		},
		want: []string{
			"0s serve REGISTER", "0s send 200",
			"200ms send 200 failed",
			"200ms txerror send: connection refused",
			"200ms state Terminated",
		},
	}, {
		name:  "the final response fails: Respond returns the error",
		steps: []step{{0, "recv register.sip"}, {0, "fail"}, {0, "respond 200"}, {0, "state"}},
		want: []string{
			"0s serve REGISTER",
			"0s send 200 failed",
			"0s respond error send: connection refused",
			"0s state Terminated",
		},
	}})
}

// §17.2.1: the 100 Trying carries no To tag; §8.2.6.2: every other
// response of the transaction carries the same one, which ToTag reports.
func TestServerResponseTags(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("recv invite.sip")
	h.advanceTo(ms(200))
	trying := parseMsg(t, h.lastSent())
	h.do("respond 180")
	ringing := parseMsg(t, h.lastSent())
	h.do("respond 486")
	busy := parseMsg(t, h.lastSent())
	if trying.StatusCode() != 100 || trying.ToTag() != nil {
		t.Errorf("100 Trying: %q with To tag %q", trying.StartLine(), trying.ToTag())
	}
	tag := string(h.srv.ToTag())
	if len(tag) != tagLen || string(ringing.ToTag()) != tag || string(busy.ToTag()) != tag {
		t.Errorf("To tags: 180 %q, 486 %q, ToTag %q", ringing.ToTag(), busy.ToTag(), tag)
	}
	if string(busy.Reason()) != "Busy Here" {
		t.Errorf("reason %q", busy.Reason())
	}
	h.do("recv ack-non2xx.sip")
}
