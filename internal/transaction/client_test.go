package transaction

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// RFC 3261 Figure 5 with RFC 6026 Figure 5's Accepted state.
func TestClientInviteFigure5(t *testing.T) {
	runScripts(t, []scriptCase{{
		name:  "Timer A doubles without cap, Timer B informs the TU",
		steps: []step{{0, "start client-invite.sip"}},
		end:   sec(33),
		want: []string{
			"0s send INVITE",
			"500ms send INVITE", "1.5s send INVITE", "3.5s send INVITE",
			"7.5s send INVITE", "15.5s send INVITE", "31.5s send INVITE",
			"32s tu INVITE error timer B fired: transaction timed out",
			"32s tu INVITE terminated",
		},
	}, {
		name:     "reliable: no Timer A",
		reliable: true,
		steps:    []step{{0, "start client-invite.sip"}},
		end:      sec(33),
		want: []string{
			"0s send INVITE",
			"32s tu INVITE error timer B fired: transaction timed out",
			"32s tu INVITE terminated",
		},
	}, {
		name: "1xx stops Timers A and B; non-2xx is ACKed by the transaction; Timer D",
		steps: []step{
			{0, "start client-invite.sip"},
			{ms(200), "recv client-100.sip"},
			{sec(1), "recv client-180.sip"},
			{sec(40), "recv client-486.sip"},
			{sec(41), "recv client-486.sip"}, // retransmission: ACK again, TU not told
			{sec(41), "state client"},
		},
		end: sec(73),
		want: []string{
			"0s send INVITE",
			"200ms tu INVITE 100",
			"1s tu INVITE 180",
			"40s send ACK",
			"40s tu INVITE 486",
			"41s send ACK",
			"41s state Completed",
			"1m12s tu INVITE terminated", // Timer D = 32 s
		},
	}, {
		name: "2xx: Accepted passes every 2xx up, never ACKs, Timer M",
		steps: []step{
			{0, "start client-invite.sip"},
			{ms(100), "recv client-180.sip"},
			{sec(1), "recv client-200.sip"},
			{sec(1.5), "recv client-200.sip"},
			{sec(2), "recv client-200-fork.sip"},
			{sec(2), "recv client-486.sip"}, // not a 2xx: ignored in Accepted
			{sec(2), "state client"},
			{sec(33.5), "recv client-200.sip"},
		},
		end: sec(34),
		want: []string{
			"0s send INVITE",
			"100ms tu INVITE 180",
			"1s tu INVITE 200",
			"1.5s tu INVITE 200",
			"2s tu INVITE 200",
			"2s state Accepted",
			"33s tu INVITE terminated", // Timer M = 64*T1
			"33.5s unmatched 200",      // now the TU core's (RFC 6026)
		},
	}, {
		name:     "reliable: Timer D is 0",
		reliable: true,
		steps: []step{
			{0, "start client-invite.sip"},
			{sec(1), "recv client-486.sip"},
			{sec(2), "recv client-486.sip"},
		},
		end: sec(3),
		want: []string{
			"0s send INVITE",
			"1s send ACK", "1s tu INVITE 486", "1s tu INVITE terminated",
			"2s unmatched 486",
		},
	}, {
		name: "transport error on a retransmission",
		steps: []step{
			{0, "start client-invite.sip"},
			{ms(100), "fail"},
		},
		end: sec(1),
		want: []string{
			"0s send INVITE",
			"500ms send INVITE failed",
			"500ms tu INVITE error send: connection refused",
			"500ms tu INVITE terminated",
		},
	}, {
		name:  "the first send fails: NewClientTx returns it, the TU hears nothing",
		steps: []step{{0, "fail"}, {0, "start client-invite.sip"}},
		end:   sec(40),
		want: []string{
			"0s send INVITE failed",
			"0s start error new client transaction: send: connection refused",
		},
	}})
}

// RFC 3261 Figure 6.
func TestClientNonInviteFigure6(t *testing.T) {
	runScripts(t, []scriptCase{{
		name:  "Timer E doubles up to T2, Timer F informs the TU",
		steps: []step{{0, "start client-options.sip"}},
		end:   sec(33),
		want: []string{
			"0s send OPTIONS",
			"500ms send OPTIONS", "1.5s send OPTIONS", "3.5s send OPTIONS",
			"7.5s send OPTIONS", "11.5s send OPTIONS", "15.5s send OPTIONS",
			"19.5s send OPTIONS", "23.5s send OPTIONS", "27.5s send OPTIONS",
			"31.5s send OPTIONS",
			"32s tu OPTIONS error timer F fired: transaction timed out",
			"32s tu OPTIONS terminated",
		},
	}, {
		name: "Proceeding retransmits every T2; Completed absorbs; Timer K",
		steps: []step{
			{0, "start client-options.sip"},
			{ms(700), "recv client-options-100.sip"},
			{sec(10), "recv client-options-200.sip"},
			{sec(10.5), "recv client-options-200.sip"},
			{sec(10.5), "state client"},
		},
		end: sec(16),
		want: []string{
			"0s send OPTIONS",
			"500ms send OPTIONS",
			"700ms tu OPTIONS 100",
			"1.5s send OPTIONS", // E was 2*T1 when armed
			"5.5s send OPTIONS", // then T2
			"9.5s send OPTIONS",
			"10s tu OPTIONS 200",
			"10.5s state Completed",
			"15s tu OPTIONS terminated", // Timer K = T4
		},
	}, {
		name:     "reliable: no Timer E, Timer K is 0",
		reliable: true,
		steps:    []step{{0, "start client-options.sip"}, {sec(1), "recv client-options-200.sip"}},
		end:      sec(2),
		want:     []string{"0s send OPTIONS", "1s tu OPTIONS 200", "1s tu OPTIONS terminated"},
	}, {
		name:     "reliable: Timer F stays 64*T1",
		reliable: true,
		steps:    []step{{0, "start client-options.sip"}, {sec(1), "recv client-options-100.sip"}},
		end:      sec(33),
		want: []string{
			"0s send OPTIONS", "1s tu OPTIONS 100",
			"32s tu OPTIONS error timer F fired: transaction timed out",
			"32s tu OPTIONS terminated",
		},
	}})
}

// §9.1: CANCEL only after a provisional, as its own transaction; a
// response with CSeq method CANCEL matches it, not the INVITE (§17.1.3).
func TestClientCancel(t *testing.T) {
	runScripts(t, []scriptCase{{
		name: "in Calling the CANCEL waits for the first provisional",
		steps: []step{
			{0, "start client-invite.sip"},
			{ms(100), "cancel"},
			{ms(600), "recv client-180.sip"},
			{ms(700), "recv client-200-cancel.sip"},
			{sec(1), "recv client-487.sip"},
		},
		end: sec(34),
		want: []string{
			"0s send INVITE",
			"500ms send INVITE",
			"600ms tu INVITE 180",
			"600ms send CANCEL",
			"700ms tu CANCEL 200",
			"1s send ACK",
			"1s tu INVITE 487",
			"5.7s tu CANCEL terminated",
			"33s tu INVITE terminated",
		},
	}, {
		name: "in Proceeding the CANCEL leaves at once",
		steps: []step{
			{0, "start client-invite.sip"},
			{ms(100), "recv client-100.sip"},
			{ms(200), "cancel"},
			{ms(300), "recv client-487.sip"},
			{ms(400), "recv client-200-cancel.sip"},
		},
		end: sec(33),
		want: []string{
			"0s send INVITE",
			"100ms tu INVITE 100",
			"200ms send CANCEL",
			"300ms send ACK",
			"300ms tu INVITE 487",
			"400ms tu CANCEL 200",
			"5.4s tu CANCEL terminated",
			"32.3s tu INVITE terminated",
		},
	}, {
		name: "no final response 64*T1 after the CANCEL: the INVITE gives up",
		steps: []step{
			{0, "start client-invite.sip"},
			{ms(100), "recv client-180.sip"},
			{sec(1), "cancel"},
			{sec(1.1), "recv client-200-cancel.sip"},
		},
		end: sec(34),
		want: []string{
			"0s send INVITE",
			"100ms tu INVITE 180",
			"1s send CANCEL",
			"1.1s tu CANCEL 200",
			"6.1s tu CANCEL terminated",
			"33s tu INVITE error no final response 64*T1 after CANCEL: transaction timed out",
			"33s tu INVITE terminated",
		},
	}, {
		name: "a final response first: nothing to cancel",
		steps: []step{
			{0, "start client-invite.sip"},
			{ms(100), "cancel"},
			{ms(200), "recv client-200.sip"},
			{ms(300), "cancel"},
		},
		end: sec(33),
		want: []string{
			"0s send INVITE",
			"200ms tu INVITE 200",
			"300ms cancel error transaction not cancellable",
			"32.2s tu INVITE terminated",
		},
	}})
}

// headerValues returns every value of header id, in order.
func headerValues(m *sip.Msg, id sip.HdrID) []string {
	var vs []string
	m.Values(id, func(v []byte) bool {
		vs = append(vs, string(v))
		return true
	})
	return vs
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// §17.1.1.3: the ACK to a non-2xx carries the INVITE's Request-URI, top Via
// only (same branch), From, Call-ID, Route set and CSeq number, the To of
// the response (its tag), and CSeq method ACK.
func TestClientACKForNonSuccess(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("start client-invite.sip")
	h.do("recv client-486.sip")
	inv := parseMsg(t, readMsg(t, "client-invite.sip"))
	resp := parseMsg(t, readMsg(t, "client-486.sip"))
	ack := parseMsg(t, h.lastSent())
	checks := []struct {
		name      string
		got, want []string
	}{
		{"start line", []string{string(ack.StartLine())}, []string{"ACK sip:bob@192.0.2.4 SIP/2.0"}},
		{"Via", headerValues(ack, sip.HdrVia), headerValues(inv, sip.HdrVia)[:1]},
		{"To", headerValues(ack, sip.HdrTo), headerValues(resp, sip.HdrTo)},
		{"From", headerValues(ack, sip.HdrFrom), headerValues(inv, sip.HdrFrom)},
		{"Call-ID", headerValues(ack, sip.HdrCallID), headerValues(inv, sip.HdrCallID)},
		{"CSeq", headerValues(ack, sip.HdrCSeq), []string{"2 ACK"}},
		{"Route", headerValues(ack, sip.HdrRoute), headerValues(inv, sip.HdrRoute)},
		{"Content-Length", headerValues(ack, sip.HdrContentLength), []string{"0"}},
	}
	for _, c := range checks {
		if !equalStrings(c.got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if !bytes.Contains(ack.Bytes(), []byte("tag=a6c85cf")) {
		t.Errorf("ACK lacks the response's To tag:\n%s", ack.Bytes())
	}
}

// §9.1: the CANCEL has the INVITE's Request-URI, Call-ID, To, From, CSeq
// number, a single Via equal to the INVITE's top Via, and its Route set.
func TestClientCancelRequest(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("start client-invite.sip")
	h.do("recv client-180.sip")
	h.do("cancel")
	inv := parseMsg(t, readMsg(t, "client-invite.sip"))
	c := parseMsg(t, h.lastSent())
	checks := []struct {
		name      string
		got, want []string
	}{
		{"start line", []string{string(c.StartLine())}, []string{"CANCEL sip:bob@192.0.2.4 SIP/2.0"}},
		{"Via", headerValues(c, sip.HdrVia), headerValues(inv, sip.HdrVia)[:1]},
		{"To", headerValues(c, sip.HdrTo), headerValues(inv, sip.HdrTo)},
		{"From", headerValues(c, sip.HdrFrom), headerValues(inv, sip.HdrFrom)},
		{"Call-ID", headerValues(c, sip.HdrCallID), headerValues(inv, sip.HdrCallID)},
		{"CSeq", headerValues(c, sip.HdrCSeq), []string{"2 CANCEL"}},
		{"Route", headerValues(c, sip.HdrRoute), headerValues(inv, sip.HdrRoute)},
	}
	for _, c := range checks {
		if !equalStrings(c.got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestNewClientTxErrors(t *testing.T) {
	h := newHarness(t, Config{})
	if _, err := h.l.NewClientTx(readMsg(t, "client-invite.sip"), h.send, false, nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		req  []byte
		want error
	}{
		{"duplicate branch and method", readMsg(t, "client-invite.sip"), ErrExists},
		{"ACK", readMsg(t, "ack-non2xx.sip"), errACKNotTx},
		{"RFC 2543 branch", readMsg(t, "invite-2543.sip"), errNoBranch},
		{"response", readMsg(t, "client-200.sip"), errNotRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.l.NewClientTx(c.req, h.send, false, nil)
			if !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	h.l.Close()
	if _, err := h.l.NewClientTx(readMsg(t, "client-options.sip"), h.send, false, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: got %v, want ErrClosed", err)
	}
}

// argTU records what OnResponseArg was given.
type argTU struct {
	ClientFuncs
	args []any
	resp []int
}

func (a *argTU) OnResponse(_ *ClientTx, resp *sip.Msg) {
	a.args, a.resp = append(a.args, nil), append(a.resp, resp.StatusCode())
}

func (a *argTU) OnResponseArg(_ *ClientTx, resp *sip.Msg, arg any) {
	a.args, a.resp = append(a.args, arg), append(a.resp, resp.StatusCode())
}

// HandleResponseArg hands its arg to a ClientTUArg, on the caller's
// goroutine, and HandleResponse still calls plain OnResponse.
func TestHandleResponseArg(t *testing.T) {
	h := newHarness(t, Config{})
	tu := &argTU{}
	if _, err := h.l.NewClientTx(readMsg(t, "client-invite.sip"), h.send, false, tu); err != nil {
		t.Fatal(err)
	}
	if !h.l.HandleResponseArg(parseMsg(t, readMsg(t, "client-180.sip")), "loop-1") {
		t.Fatal("180 not matched")
	}
	if !h.l.HandleResponse(parseMsg(t, readMsg(t, "client-200.sip"))) {
		t.Fatal("200 not matched")
	}
	if len(tu.args) != 2 || tu.args[0] != "loop-1" || tu.args[1] != nil || tu.resp[0] != 180 || tu.resp[1] != 200 {
		t.Errorf("TU got args %v for responses %v; want [loop-1 <nil>] for [180 200]", tu.args, tu.resp)
	}
}

// NewClientTxBuilt takes the request as built, with its method and branch
// from the caller, sends it as given, and matches responses by that
// branch, as NewClientTx does after parsing; it refuses what NewClientTx
// refuses.
func TestNewClientTxBuilt(t *testing.T) {
	h := newHarness(t, Config{})
	req := readMsg(t, "client-invite.sip")
	m := parseMsg(t, append([]byte(nil), req...))
	v, err := m.TopVia()
	if err != nil {
		t.Fatal(err)
	}
	id := RequestID{Method: m.Method(), MethodToken: m.MethodBytes(), Branch: v.Branch()}
	tu := &argTU{}
	if _, err := h.l.NewClientTxBuilt(req, id, h.send, false, tu); err != nil {
		t.Fatal(err)
	}
	if got := h.lastSent(); !bytes.Equal(got, req) {
		t.Errorf("sent %q; want the request as built", got)
	}
	if !h.l.HandleResponse(parseMsg(t, readMsg(t, "client-200.sip"))) || len(tu.resp) != 1 || tu.resp[0] != 200 {
		t.Errorf("the 200 did not reach the transaction's TU (got %v)", tu.resp)
	}
	ack, branch2543 := id, id
	ack.Method, ack.MethodToken = sip.ACK, []byte("ACK")
	branch2543.Branch = []byte("74bf9")
	cases := []struct {
		name string
		id   RequestID
		want error
	}{
		{"duplicate branch and method", id, ErrExists},
		{"ACK", ack, errACKNotTx},
		{"RFC 2543 branch", branch2543, errNoBranch},
		{"no method", RequestID{Branch: id.Branch}, errNotRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := h.l.NewClientTxBuilt(readMsg(t, "client-invite.sip"), c.id, h.send, false, nil); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
}
