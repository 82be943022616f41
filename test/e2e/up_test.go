package e2e

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/testenv"
)

// The first-run test (issue 7, "Done when"): what a newcomer does after
// the README's first command, against the `sipfleet up` binary. The fleet
// (an LB, two registrars, two proxies, SQLite) runs in one process on its
// own loopback address; SIPp phones register with the printed demo
// credentials through the LB and one calls the other.
//
// Loopback addresses: 127.0.0.120 to .129 (the fleet .120, the phones
// .121 to .123).

// upCredential is a line of the demo users up prints:
// "  user        alice@localhost password Xk3...".
var upCredential = regexp.MustCompile(`(?m)^\s+user\s+(\w+)@(\S+) password (\S+)$`)

// upWait bounds the wait for up's printed summary once it is ready.
const upWait = 10 * time.Second

func TestUpDemoCall(t *testing.T) {
	t.Parallel()
	testenv.RequireBinary(t, "sipp")
	fleetIP := testenv.LoopbackIP(t, 120)
	listen := upListen(t, fleetIP)
	admin := testenv.AddrPort(fleetIP, testenv.FreeTCPPort(t, fleetIP))
	data := t.TempDir()
	up := testenv.StartNode(t, "http://"+admin.String()+"/readyz", "up", "--demo",
		"--data", data, "--listen", listen.String(), "--admin", admin.String(), "--log-level", "info")
	pw := upPasswords(t, up)
	dsn := "sqlite:" + filepath.Join(data, "sipfleet.db")

	alice := upPhone(t, 121, listen, "alice", pw["alice"])
	bob := upPhone(t, 122, listen, "bob", pw["bob"])
	out := regCLI(t, "contacts", "list", "--db", dsn)
	for _, c := range []string{"sip:alice@" + alice.String(), "sip:bob@" + bob.String()} {
		if !strings.Contains(out, c) {
			t.Errorf("contacts list lacks %s:\n%s", c, out)
		}
	}

	// Bob answers on the address he registered from; Alice calls him and
	// answers the proxy's 407 with her password.
	callee := testenv.StartUAS(t, testenv.SippOptions{Scenario: Scenario(t, "uas_call"), Name: "bob-answers",
		Local: bob.Addr(), Port: int(bob.Port()), MaxCalls: 1})
	caller := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_call_auth"), Name: "alice-calls",
		Remote: listen, Local: alice.Addr(), Port: int(alice.Port()), Service: "bob",
		AuthUser: "alice", AuthPass: pw["alice"], AuthURI: "bob@localhost",
		Keys: map[string]string{"domain": "localhost", "caller": "alice"}, MaxCalls: 1, TraceMessages: true})
	if err := waitSipp(t, caller, 30*time.Second).Check(1, 0); err != nil {
		t.Fatalf("alice's call: %v", err)
	}
	if err := waitSipp(t, callee, 30*time.Second).Check(1, 0); err != nil {
		t.Fatalf("bob's side of the call: %v", err)
	}

	// The database commands work on the running fleet's file, and a user
	// added that way registers at once.
	regCLI(t, "user", "add", "--db", dsn, "carol@localhost", "car0l-pa55")
	carol := upPhone(t, 123, listen, "carol", "car0l-pa55")
	if out := regCLI(t, "contacts", "list", "--db", dsn, "carol@localhost"); !strings.Contains(out, "sip:carol@"+carol.String()) {
		t.Errorf("contacts list carol@localhost:\n%s", out)
	}

	if err := up.Stop(); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
	if logs := up.Logs(); !strings.Contains(logs, "sipfleet up: stopped") {
		t.Errorf("up did not say it stopped:\n%s", logs)
	}
}

// upListen picks the fleet's public port: free on UDP and TCP, with room
// above it for the backends, which up puts 10 to 22 ports higher on the
// same address (no other test uses that address).
func upListen(t *testing.T, ip netip.Addr) netip.AddrPort {
	t.Helper()
	for range 10 {
		if port := testenv.FreePort(t, ip); port+22 <= 65535 {
			return testenv.AddrPort(ip, port)
		}
	}
	t.Fatalf("no free port on %s with room for the backends above it", ip)
	return netip.AddrPort{}
}

// upPasswords waits for up's summary and returns the demo users'
// passwords: up prints it once every member serves, which may be just
// after /readyz first answers.
func upPasswords(t *testing.T, up *testenv.Node) map[string]string {
	t.Helper()
	deadline := time.Now().Add(upWait)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		pw := map[string]string{}
		for _, m := range upCredential.FindAllStringSubmatch(up.Logs(), -1) {
			if m[2] != "localhost" {
				t.Errorf("demo user %s@%s: want domain localhost", m[1], m[2])
			}
			pw[m[1]] = m[3]
		}
		if pw["alice"] != "" && pw["bob"] != "" {
			return pw
		}
		if time.Now().After(deadline) {
			t.Fatalf("no credentials for alice and bob in up's output after %s:\n%s", upWait, up.Logs())
		}
		<-tick.C
	}
}

// upPhone registers user (digest, through the LB at lb) from a SIPp on
// 127.0.0.n and returns the address it registered from.
func upPhone(t *testing.T, n int, lb netip.AddrPort, user, password string) netip.AddrPort {
	t.Helper()
	ip := testenv.LoopbackIP(t, n)
	o := testenv.SippOptions{Scenario: Scenario(t, "uac_register_auth"), Name: fmt.Sprintf("%s-registers", user),
		Remote: lb, Local: ip, Port: testenv.FreeUDPPort(t, ip), Service: user,
		AuthPass: password, AuthURI: "localhost",
		Keys: map[string]string{"domain": "localhost", "expires": "300"}}
	s := regSipp(t, o, 1)
	return s.Addr()
}
