package testenv

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// These tests run SIPp itself: they check the runner and, with it, the
// facts about SIPp's exit status and statistics that doc.go states.

// ping and pong are the smallest scenarios: one OPTIONS transaction per
// call. (SIPp's built-in uas ends each call with 4 s of timewait, which
// also fails its last call when a TCP peer closes meanwhile.)
const (
	ping = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="ping">
  <send retrans="500"><![CDATA[

      OPTIONS sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:ping@[local_ip]:[local_port]>;tag=[call_number]
      To: <sip:[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
`
	pong = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="pong">
  <recv request="OPTIONS"/>
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

  ]]></send>
</scenario>
`
)

// TestSippCalls runs ping against pong over UDP and TCP.
func TestSippCalls(t *testing.T) {
	for _, transport := range []string{"u1", "t1"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			uas := StartUAS(t, SippOptions{Scenario: WriteFile(t, "pong.xml", pong), Local: LoopbackIP(t, 31),
				Transport: transport, MaxCalls: 3})
			uac := RunUAC(t, SippOptions{Scenario: WriteFile(t, "ping.xml", ping), Remote: uas.Addr(),
				Local: LoopbackIP(t, 32), Transport: transport, MaxCalls: 3, Rate: 50})
			if err := uac.Check(3, 0); err != nil || uac.ExitCode != 0 || uac.Source != "stat" {
				t.Errorf("uac: %v (exit %d, source %q)", err, uac.ExitCode, uac.Source)
			}
			// The UAS exits by itself after its MaxCalls calls.
			r, err := uas.Wait(waitCtx(t))
			if err != nil || r.Check(3, 0) != nil || r.ExitCode != 0 || r.Stopped {
				t.Errorf("uas: %s, %v", r, err)
			}
		})
	}
}

// TestSippUnanswered: a call nobody answers fails, and SIPp exits 1.
func TestSippUnanswered(t *testing.T) {
	t.Parallel()
	silent := silentPeer(t, 33)
	r := RunUAC(t, SippOptions{Scenario: "uac", Remote: silent, Local: LoopbackIP(t, 34),
		MaxCalls: 1, RecvTimeout: 300 * time.Millisecond})
	if r.Check(0, 1) != nil || r.ExitCode != 1 || r.Causes["TimeoutOnRecv"] != 1 {
		t.Errorf("got %s; want 1 failed call (TimeoutOnRecv), exit 1", r)
	}
}

// TestSippIdleTimeout: -timeout with no call completed exits 97.
func TestSippIdleTimeout(t *testing.T) {
	t.Parallel()
	uas := StartUAS(t, SippOptions{Scenario: "uas", Local: LoopbackIP(t, 35), MaxCalls: 1, Timeout: time.Second})
	r, err := uas.Wait(waitCtx(t))
	if err != nil || r.ExitCode != 97 || r.Created != 0 || r.Stopped {
		t.Errorf("got %s, %v; want exit 97, no calls, no error", r, err)
	}
}

// TestSippDeadline: -timeout alone does not end a call in progress, so
// the runner kills SIPp after its grace period.
func TestSippDeadline(t *testing.T) {
	t.Parallel()
	silent := silentPeer(t, 36)
	s := StartSipp(t, SippOptions{Scenario: "uac", Remote: silent, Local: LoopbackIP(t, 37),
		MaxCalls: 1, Timeout: time.Second, RecvTimeout: -1, killGrace: 500 * time.Millisecond})
	r, err := s.Wait(waitCtx(t))
	if err == nil || !r.TimedOut || !r.Killed || r.Current != 1 {
		t.Errorf("got %s, %v; want a kill at the deadline with the call still current", r, err)
	}
}

// TestSippBindError: a port in use makes SIPp exit 254, an error.
func TestSippBindError(t *testing.T) {
	t.Parallel()
	taken := silentPeer(t, 38)
	s := StartSipp(t, SippOptions{Scenario: "uas", Local: taken.Addr(), Port: int(taken.Port()), MaxCalls: 1})
	if err := s.WaitReady(waitCtx(t)); err == nil {
		t.Error("WaitReady succeeded on a port another socket holds")
	}
	r, err := s.Wait(waitCtx(t))
	if err == nil || r.ExitCode != 254 {
		t.Errorf("got %s, %v; want exit 254 and an error", r, err)
	}
}

// TestSippUnobservedErrorFails: a SIPp that could not run fails its
// test when the test ends, even if the test never waited for it.
func TestSippUnobservedErrorFails(t *testing.T) {
	t.Parallel()
	taken := silentPeer(t, 44)
	f := runFake(t, func(tb testing.TB) {
		s := StartSipp(tb, SippOptions{Scenario: "uas", Local: taken.Addr(), Port: int(taken.Port()), MaxCalls: 1})
		<-s.done
	})
	if !f.errored || !strings.Contains(f.msg, "exit 254") {
		t.Errorf("errored=%v %q; want the test failed with SIPp's exit 254", f.errored, f.msg)
	}
}

// TestSippScenarioError: a keyword without its -key stops SIPp before
// the scenario runs, with exit status 1 and no failed call: an error.
func TestSippScenarioError(t *testing.T) {
	t.Parallel()
	xml := WriteFile(t, "bad.xml", `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="bad">
  <send><![CDATA[

      OPTIONS sip:[no_such_key]@[remote_ip]:[remote_port] SIP/2.0
      Content-Length: 0

  ]]></send>
</scenario>
`)
	s := StartSipp(t, SippOptions{Scenario: xml, Remote: silentPeer(t, 39), Local: LoopbackIP(t, 40), MaxCalls: 1})
	r, err := s.Wait(waitCtx(t))
	if err == nil || r.ExitCode != 1 || !strings.Contains(err.Error(), "no_such_key") {
		t.Errorf("got %s, %v; want exit 1 and an error quoting SIPp's complaint", r, err)
	}
}

// TestSippStop: SIGTERM ends SIPp at once with exit status 0 and its
// final statistics.
func TestSippStop(t *testing.T) {
	t.Parallel()
	uas := StartUAS(t, SippOptions{Scenario: "uas", Local: LoopbackIP(t, 41), MaxCalls: 1})
	r, err := uas.Stop()
	if err != nil || r.ExitCode != 0 || !r.Stopped || r.Source != "stat" {
		t.Errorf("got %s (source %q), %v; want exit 0, stopped, from the stat file", r, r.Source, err)
	}
	if again, _ := uas.Stop(); again.ExitCode != r.ExitCode {
		t.Errorf("a second Stop gave %s", again)
	}
}

// TestSippKill: SIGKILL is reported as a kill, not an error.
func TestSippKill(t *testing.T) {
	t.Parallel()
	uas := StartUAS(t, SippOptions{Scenario: "uas", Local: LoopbackIP(t, 42), MaxCalls: 1})
	r, err := uas.Kill()
	if err != nil || r.ExitCode != -1 || !r.Killed || r.TimedOut {
		t.Errorf("got %s, %v; want exit -1, killed", r, err)
	}
}

// TestSippWaitContext: a context ending first kills SIPp.
func TestSippWaitContext(t *testing.T) {
	t.Parallel()
	uas := StartUAS(t, SippOptions{Scenario: "uas", Local: LoopbackIP(t, 43), MaxCalls: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	r, err := uas.Wait(ctx)
	if err == nil || !r.Killed {
		t.Errorf("got %s, %v; want a kill and an error", r, err)
	}
}

func TestSippRefusesNonLoopback(t *testing.T) {
	f := runFake(t, func(tb testing.TB) {
		StartSipp(tb, SippOptions{Scenario: "uac", Remote: AddrPort(netip.MustParseAddr("192.0.2.1"), 5060), MaxCalls: 1})
	})
	if !f.fatal || !strings.Contains(f.msg, "loopback") {
		t.Errorf("fatal=%v %q; want a refusal", f.fatal, f.msg)
	}
}

// silentPeer binds a UDP socket on 127.0.0.n that never answers, for
// the test's lifetime, and returns its address.
func silentPeer(t *testing.T, n int) netip.AddrPort {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(AddrPort(LoopbackIP(t, n), 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// waitCtx bounds a wait in a test.
func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
