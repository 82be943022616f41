package e2e

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/auth"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/testenv"
)

// The proxy's end-to-end tests (issue 5, "Tests"): the seed's whole path
// with every node a real `sipfleet` process on one SQLite database — an
// LB, a registrar and a proxy — and the phones hand-driven UDP sockets or
// SIPp.
//
// Loopback addresses: 127.0.0.30 to .50 and .238 to .253, seven per
// test (see registrar_test.go for the other tests' blocks).

// fleet is an LB, a registrar and a proxy sharing one database.
type fleet struct {
	lb    *lbNode
	db    *regDB
	reg   *regNode
	proxy netip.AddrPort
	admin string
}

// fleetOptions are what a test sets.
type fleetOptions struct {
	base  int  // the first of the test's loopback addresses: LB .base and .base+1, registrar +2, proxy +3
	auth  bool // the proxy challenges local callers
	extra string
}

func startFleet(t *testing.T, o fleetOptions) *fleet {
	t.Helper()
	f := &fleet{db: regFreshDB(t, "sqlite")}
	regMigrate(t, f.db, "alice", "bob", "carol")
	f.reg = startRegistrar(t, regOptions{ip: lbIP(t, o.base, 2), dsn: f.db.dsn})
	pip := lbIP(t, o.base, 3)
	f.proxy = testenv.AddrPort(pip, testenv.FreeUDPPort(t, pip))
	// The LB's addresses are chosen by startLB; the proxy must know the
	// LB's private one, so pick them the same way first.
	privIP := lbIP(t, o.base, 1)
	adminAddr := testenv.AddrPort(pip, testenv.FreeTCPPort(t, pip))
	f.admin = "http://" + adminAddr.String()
	list := fmt.Sprintf("1 sip:%s 0 0\n2 sip:%s 0 0\n", f.proxy, f.reg.sip)
	f.lb = startLB(t, lbOptions{base: o.base, list: list})
	cfg := fmt.Sprintf(`log:
  level: debug
admin:
  listen: %s
listeners:
  - name: udp
    side: private
    proto: udp
    listen: %s
proxy:
  db: %q
  domain: %s
  auth: %t
  auth_algorithms: [MD5]
  secret: %s
  edges: [%s, %s]
  timer_c: 5s
%s`, adminAddr, f.proxy, f.db.dsn, regDomain, o.auth, regSecret, f.lb.priv, privIP, o.extra)
	path := testenv.WriteFile(t, "proxy.yaml", cfg)
	testenv.StartNode(t, f.admin+"/readyz", "proxy", "--config", path)
	return f
}

// phone is a hand-driven UA: it registers through the LB, makes and
// answers calls, and checks what arrives.
type phone struct {
	*regUA
	t *testing.T
}

func newPhone(t *testing.T, ip netip.Addr, user string) *phone {
	return &phone{regUA: newRegUA(t, ip, user), t: t}
}

// invite builds an INVITE from the phone to user@example.com.
func (p *phone) invite(to, callID string, extra ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "INVITE sip:%s@%s SIP/2.0\n", to, regDomain)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\n", p.c.Addr(), callID)
	fmt.Fprintf(&b, "Max-Forwards: 70\nFrom: <sip:%s@%s>;tag=from-%s\nTo: <sip:%s@%s>\n", p.user, regDomain, callID, to, regDomain)
	fmt.Fprintf(&b, "Call-ID: %s\nCSeq: 1 INVITE\nContact: <%s>\n", callID, p.contact)
	for _, h := range extra {
		b.WriteString(h + "\n")
	}
	b.WriteString("Content-Length: 0\n\n")
	return testenv.CRLF(b.String())
}

// inDialog builds a request within a dialog: Request-URI the remote
// target, Route the route set, tags as given.
func (p *phone) inDialog(method, target string, routeSet []string, callID, fromTag, toTag, fromUser, toUser string, cseq int, branch string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\n", method, target)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\n", p.c.Addr(), branch)
	fmt.Fprintf(&b, "Max-Forwards: 70\nFrom: <sip:%s@%s>;tag=%s\nTo: <sip:%s@%s>;tag=%s\n", fromUser, regDomain, fromTag, toUser, regDomain, toTag)
	fmt.Fprintf(&b, "Call-ID: %s\nCSeq: %d %s\n", callID, cseq, method)
	if len(routeSet) > 0 {
		fmt.Fprintf(&b, "Route: %s\n", strings.Join(routeSet, ", "))
	}
	b.WriteString("Content-Length: 0\n\n")
	return testenv.CRLF(b.String())
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// TestProxyCallThroughFleet: the seed's whole path. Alice and Bob
// register through the LB from their own addresses; Alice calls Bob: the
// INVITE goes LB → proxy → (location lookup) → LB → Bob. 180 and 200 come
// back the same way; the ACK and Bob's BYE follow the Record-Route set,
// through the LB, the proxy and the LB again.
func TestProxyCallThroughFleet(t *testing.T) {
	t.Parallel()
	const base = 238
	f := startFleet(t, fleetOptions{base: base})
	alice := newPhone(t, lbIP(t, base, 4), "alice")
	bob := newPhone(t, lbIP(t, base, 5), "bob")
	alice.register(f.lb.pub, 300)
	bob.register(f.lb.pub, 300)

	alice.c.Send(f.lb.pub, alice.invite("bob", "call-1"))
	inv, lbAddr := expectRequest(t, bob.c, "INVITE")
	if lbAddr != f.lb.pub {
		t.Errorf("INVITE came from %s, want the LB's public socket %s", lbAddr, f.lb.pub)
	}
	if got := string(inv.RequestURIBytes()); got != bob.contact {
		t.Errorf("INVITE Request-URI %s, want Bob's contact %s", got, bob.contact)
	}
	rr := routes(t, inv, sip.HdrRecordRoute)
	proxyRR := fmt.Sprintf("<sip:%s;lr>", f.proxy)
	want := []string{rrEntry(f.lb.pub), rrEntry(f.lb.priv), proxyRR, rrEntry(f.lb.priv), rrEntry(f.lb.pub)}
	if strings.Join(rr, ", ") != strings.Join(want, ", ") {
		t.Errorf("Record-Route at Bob:\n got %v\nwant %v", rr, want)
	}
	if n := inv.Count(sip.HdrVia); n != 4 {
		t.Errorf("INVITE at Bob has %d Vias, want 4 (LB, proxy, LB, Alice)", n)
	}
	rrHdr := "Record-Route: " + strings.Join(rr, ", ")
	bobContact := "Contact: <" + bob.contact + ">"
	reply(bob.c, lbAddr, inv, 180, "bob-tag", rrHdr, bobContact)
	expectResponse(t, alice.c, 180)
	reply(bob.c, lbAddr, inv, 200, "bob-tag", rrHdr, bobContact)
	ok := expectResponse(t, alice.c, 200)
	aliceRoutes := reversed(routes(t, ok, sip.HdrRecordRoute))

	// ACK for the 2xx: a transaction of its own, forwarded statelessly.
	alice.c.Send(f.lb.pub, alice.inDialog("ACK", bob.contact, aliceRoutes, "call-1", "from-call-1", "bob-tag", "alice", "bob", 1, "ack-1"))
	ack, _ := expectRequest(t, bob.c, "ACK")
	if got := string(ack.RequestURIBytes()); got != bob.contact {
		t.Errorf("ACK Request-URI %s, want %s", got, bob.contact)
	}

	// Bob hangs up along his route set (the Record-Route as received).
	bob.c.Send(f.lb.pub, bob.inDialog("BYE", alice.contact, rr, "call-1", "bob-tag", "from-call-1", "bob", "alice", 1, "bye-1"))
	bye, from := expectRequest(t, alice.c, "BYE")
	if from != f.lb.pub {
		t.Errorf("BYE came from %s, want %s", from, f.lb.pub)
	}
	reply(alice.c, from, bye, 200, "")
	expectResponse(t, bob.c, 200)
}

// TestProxyCancel: Alice gives up while Bob rings: the proxy answers her
// CANCEL, cancels its branch (Bob gets a CANCEL through the LB), and
// Bob's 487 reaches Alice.
func TestProxyCancel(t *testing.T) {
	t.Parallel()
	const base = 246
	f := startFleet(t, fleetOptions{base: base})
	alice := newPhone(t, lbIP(t, base, 4), "alice")
	bob := newPhone(t, lbIP(t, base, 5), "bob")
	bob.register(f.lb.pub, 300)

	invite := alice.invite("bob", "call-2")
	alice.c.Send(f.lb.pub, invite)
	inv, lbAddr := expectRequest(t, bob.c, "INVITE")
	reply(bob.c, lbAddr, inv, 180, "bob-tag")
	expectResponse(t, alice.c, 180)

	var m sip.Msg
	if err := m.Parse(invite); err != nil {
		t.Fatal(err)
	}
	alice.c.Send(f.lb.pub, sip.AppendCANCEL(nil, &m))
	expectResponse(t, alice.c, 200)
	cancel, from := expectRequest(t, bob.c, "CANCEL")
	if topBranch(t, cancel) != topBranch(t, inv) {
		t.Errorf("CANCEL branch %s, want the INVITE's %s", topBranch(t, cancel), topBranch(t, inv))
	}
	reply(bob.c, from, cancel, 200, "bob-tag")
	reply(bob.c, from, inv, 487, "bob-tag")
	final := expectResponse(t, alice.c, 487)
	if !strings.Contains(header(final, "CSeq"), "INVITE") {
		t.Errorf("487 is not for the INVITE: %s", final.Bytes())
	}
}

// TestProxyForking: Bob has two phones registered; both ring at once, the
// first 200 wins and the other branch is cancelled.
func TestProxyForking(t *testing.T) {
	t.Parallel()
	const base = 30
	f := startFleet(t, fleetOptions{base: base})
	alice := newPhone(t, lbIP(t, base, 4), "alice")
	desk := newPhone(t, lbIP(t, base, 5), "bob")
	mobile := newPhone(t, lbIP(t, base, 6), "bob")
	desk.register(f.lb.pub, 300)
	mobile.register(f.lb.pub, 300)

	alice.c.Send(f.lb.pub, alice.invite("bob", "call-3"))
	inv1, from1 := expectRequest(t, desk.c, "INVITE")
	inv2, from2 := expectRequest(t, mobile.c, "INVITE")
	reply(desk.c, from1, inv1, 180, "desk")
	reply(mobile.c, from2, inv2, 180, "mobile")
	reply(mobile.c, from2, inv2, 200, "mobile", "Contact: <"+mobile.contact+">")
	ok := expectResponse(t, alice.c, 200)
	if !strings.Contains(header(ok, "To"), "mobile") {
		t.Errorf("200 at Alice is not the mobile's: %s", ok.Bytes())
	}
	cancel, cfrom := expectRequest(t, desk.c, "CANCEL")
	reply(desk.c, cfrom, cancel, 200, "desk")
	reply(desk.c, cfrom, inv1, 487, "desk")
	// The 487 of the cancelled branch never reaches Alice.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		b, _, err := alice.c.Recv(time.Until(deadline))
		if err != nil {
			break
		}
		var m sip.Msg
		if m.Parse(b) == nil && !m.IsRequest() && m.StatusCode() >= 300 {
			t.Errorf("Alice got %s after the 200", m.StartLine())
		}
	}
}

// TestProxyNoBinding: a known user not registered gets 480, an unknown
// one 404.
func TestProxyNoBinding(t *testing.T) {
	t.Parallel()
	const base = 37
	f := startFleet(t, fleetOptions{base: base})
	alice := newPhone(t, lbIP(t, base, 4), "alice")
	alice.c.Send(f.lb.pub, alice.invite("carol", "call-4"))
	expectResponse(t, alice.c, 480)
	alice.c.Send(f.lb.pub, alice.invite("nobody", "call-5"))
	expectResponse(t, alice.c, 404)
}

// TestProxyAuth: with authentication on, a local caller is challenged
// (407), and the call goes through once she answers the challenge.
func TestProxyAuth(t *testing.T) {
	t.Parallel()
	const base = 44
	f := startFleet(t, fleetOptions{base: base, auth: true})
	alice := newPhone(t, lbIP(t, base, 4), "alice")
	bob := newPhone(t, lbIP(t, base, 5), "bob")
	bob.register(f.lb.pub, 300)

	alice.c.Send(f.lb.pub, alice.invite("bob", "call-6"))
	ch := expectResponse(t, alice.c, 407)
	v, ok := ch.Get(sip.HdrProxyAuthenticate)
	if !ok {
		t.Fatalf("407 without Proxy-Authenticate:\n%s", ch.Bytes())
	}
	alice.c.Send(f.lb.pub, testenv.CRLF(fmt.Sprintf("ACK sip:bob@%s SIP/2.0\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-call-6;rport\nMax-Forwards: 70\nFrom: <sip:alice@%s>;tag=from-call-6\nTo: %s\nCall-ID: call-6\nCSeq: 1 ACK\nContent-Length: 0\n\n",
		regDomain, alice.c.Addr(), regDomain, header(ch, "To"))))
	cred, err := auth.Answer(v, "alice", regPassword, "INVITE", "sip:bob@"+regDomain, 1, "cn0nce")
	if err != nil {
		t.Fatal(err)
	}
	inv := alice.invite("bob", "call-6b", "Proxy-Authorization: "+cred)
	alice.c.Send(f.lb.pub, inv)
	got, from := expectRequest(t, bob.c, "INVITE")
	if _, has := got.Get(sip.HdrProxyAuthorization); has {
		t.Errorf("the proxy passed its own credentials on:\n%s", got.Bytes())
	}
	reply(bob.c, from, got, 486, "bob-tag")
	expectResponse(t, alice.c, 486)
}
