package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/testenv"
)

// These tests put a hand-driven peer on the other side of a scenario to
// check the details a role's tests will rely on: the route set a phone
// follows, the Record-Route a backend copies, CANCEL's branch, the Path a
// registrar fake checks.

// finish waits for a SIPp to end and checks it counted want successful
// calls and no failure.
func finish(t *testing.T, s *testenv.Sipp, successful int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := s.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Check(successful, 0); err != nil {
		t.Error(err)
	}
}

// TestUACCallFollowsRouteSet: the ACK and BYE of uac_call go to the 200's
// Contact through the Record-Route set reversed (RFC 3261 section
// 12.1.2), which is how a call through the LB tests its loose routing.
func TestUACCallFollowsRouteSet(t *testing.T) {
	t.Parallel()
	callee := testenv.NewSIPClient(t, testenv.AddrPort(testenv.LoopbackIP(t, 130), 0))
	uac := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_call"), Remote: callee.Addr(),
		Local: testenv.LoopbackIP(t, 131), Service: "bob", MaxCalls: 1})

	invite, from := expectRequest(t, callee, "INVITE")
	contact := fmt.Sprintf("<sip:bob@%s>", callee.Addr())
	rr := []string{"<sip:127.0.0.132:5060;lr;r2=on>", "<sip:127.0.0.133:5060;lr;r2=on>"}
	reply(callee, from, invite, 180, "b1", "Contact: "+contact)
	reply(callee, from, invite, 200, "b1", "Contact: "+contact, "Record-Route: "+strings.Join(rr, ", "))

	want := slices.Clone(rr)
	slices.Reverse(want)
	for _, method := range []string{"ACK", "BYE"} {
		m, src := expectRequest(t, callee, method)
		if got := string(m.RequestURIBytes()); got != strings.Trim(contact, "<>") {
			t.Errorf("%s Request-URI %s, want the Contact %s", method, got, contact)
		}
		if got := routes(t, m, sip.HdrRoute); !slices.Equal(got, want) {
			t.Errorf("%s Route %v, want %v", method, got, want)
		}
		if method == "BYE" {
			reply(callee, src, m, 200, "")
		}
	}
	finish(t, uac, 1)
}

// TestUASCallCopiesRecordRoute: uas_call returns every Record-Route of
// the INVITE, in order, in its 180 and 200 (RFC 3261 section 12.1.1),
// so the phone learns the LB's double Record-Route.
func TestUASCallCopiesRecordRoute(t *testing.T) {
	t.Parallel()
	uas := testenv.StartUAS(t, testenv.SippOptions{Scenario: Scenario(t, "uas_call"),
		Local: testenv.LoopbackIP(t, 134), MaxCalls: 1})
	caller := testenv.NewSIPClient(t, testenv.AddrPort(testenv.LoopbackIP(t, 135), 0))
	rr := []string{"<sip:127.0.0.136:5060;lr;r2=on>", "<sip:127.0.0.137:5060;lr;r2=on>"}
	d := dialog{from: fmt.Sprintf("<sip:alice@%s>;tag=a1", caller.Addr()), to: fmt.Sprintf("<sip:bob@%s>", uas.Addr()),
		callID: "rr-1@" + caller.Addr().String(), via: caller.Addr().String()}
	caller.Send(uas.Addr(), d.request("INVITE", "sip:bob@"+uas.Addr().String(), 1,
		"Record-Route: "+rr[0], "Record-Route: "+rr[1], "Contact: <sip:alice@"+caller.Addr().String()+">"))

	for _, code := range []int{180, 200} {
		m := expectResponse(t, caller, code)
		if got := routes(t, m, sip.HdrRecordRoute); !slices.Equal(got, rr) {
			t.Errorf("%d Record-Route %v, want %v", code, got, rr)
		}
		if len(m.ToTag()) == 0 {
			t.Fatalf("%d has no To tag", code)
		}
		d.to = header(m, "To")
	}
	// Straight to the UAS (no Route): this peer is the phone and the LB.
	caller.Send(uas.Addr(), d.request("ACK", "sip:uas@"+uas.Addr().String(), 1))
	caller.Send(uas.Addr(), d.request("BYE", "sip:uas@"+uas.Addr().String(), 2))
	if _, method, _ := expectResponse(t, caller, 200).CSeq(); string(method) != "BYE" {
		t.Errorf("200 for %s, want for the BYE", method)
	}
	finish(t, uas, 1)
}

// dialog holds what a hand-written request repeats.
type dialog struct{ from, to, callID, via string }

// request writes a request of the dialog with extra header lines.
func (d dialog) request(method, uri string, cseq int, extra ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s-%d\n", method, uri, d.via, strings.ToLower(method), cseq)
	fmt.Fprintf(&b, "From: %s\nTo: %s\nCall-ID: %s\nCSeq: %d %s\nMax-Forwards: 70\n", d.from, d.to, d.callID, cseq, method)
	for _, h := range extra {
		b.WriteString(h + "\n")
	}
	b.WriteString("Content-Length: 0\n\n")
	return testenv.CRLF(b.String())
}

// TestUACCancel487First: uac_cancel sends its CANCEL and its ACK on the
// INVITE's branch (RFC 3261 sections 9.1, 17.1.1.3), and copes with the
// 487 arriving before the CANCEL's 200, as it may through an LB.
func TestUACCancel487First(t *testing.T) {
	t.Parallel()
	callee := testenv.NewSIPClient(t, testenv.AddrPort(testenv.LoopbackIP(t, 138), 0))
	uac := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_cancel"), Remote: callee.Addr(),
		Local: testenv.LoopbackIP(t, 139), Service: "bob", MaxCalls: 1})

	invite, from := expectRequest(t, callee, "INVITE")
	reply(callee, from, invite, 180, "b1")
	cancel, _ := expectRequest(t, callee, "CANCEL")
	reply(callee, from, invite, 487, "b1")
	reply(callee, from, cancel, 200, "b1")
	ack, _ := expectRequest(t, callee, "ACK")

	branch := topBranch(t, invite)
	for _, m := range []*sip.Msg{cancel, ack} {
		if got := topBranch(t, m); got != branch {
			t.Errorf("%s branch %s, want the INVITE's %s", m.MethodBytes(), got, branch)
		}
	}
	if seq, _, _ := cancel.CSeq(); seq != 1 {
		t.Errorf("CANCEL CSeq %d, want the INVITE's 1", seq)
	}
	finish(t, uac, 1)
}

// TestUASRegisterPath: uas_register_path accepts a Path with ;lr (the LB's,
// here with a received= parameter), echoes it and logs what it matched;
// it refuses a Path without ;lr with 403.
func TestUASRegisterPath(t *testing.T) {
	t.Parallel()
	uas := testenv.StartUAS(t, testenv.SippOptions{Scenario: Scenario(t, "uas_register_path"),
		Local: testenv.LoopbackIP(t, 140), MaxCalls: 2})
	phone := testenv.NewSIPClient(t, testenv.AddrPort(testenv.LoopbackIP(t, 141), 0))

	good := "<sip:127.0.0.142:5060;lr;received=sip:127.0.0.77:40000>"
	phone.Send(uas.Addr(), register(phone, 1, good))
	ok := expectResponse(t, phone, 200)
	if got := routes(t, ok, sip.HdrPath); !slices.Equal(got, []string{good}) {
		t.Errorf("200 Path %v, want %v", got, good)
	}

	phone.Send(uas.Addr(), register(phone, 2, "<sip:127.0.0.142:5060>"))
	expectResponse(t, phone, 403)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := uas.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Check(1, 1); err != nil || r.Causes["RegexpDoesntMatch"] != 1 {
		t.Errorf("uas: %v, causes %v; want the Path without ;lr failed as RegexpDoesntMatch", err, r.Causes)
	}
	if log := uas.ActionLog(); !strings.Contains(log, "path "+good) {
		t.Errorf("action log %q lacks %q", log, "path "+good)
	}
}

// register is a REGISTER for alice@localhost from phone with one Path.
func register(phone *testenv.SIPClient, n int, path string) []byte {
	return testenv.CRLF(fmt.Sprintf("REGISTER sip:localhost SIP/2.0\nVia: SIP/2.0/UDP %[1]s;branch=z9hG4bK-reg-%[2]d\n"+
		"Path: %[3]s\nFrom: <sip:alice@localhost>;tag=r%[2]d\nTo: <sip:alice@localhost>\nCall-ID: reg-%[2]d@%[1]s\n"+
		"CSeq: 1 REGISTER\nContact: <sip:alice@%[1]s>\nExpires: 60\nMax-Forwards: 70\nContent-Length: 0\n\n",
		phone.Addr(), n, path))
}
