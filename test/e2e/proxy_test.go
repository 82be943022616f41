package e2e

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/auth"
	"github.com/sipfleet/sipfleet/internal/resolver/dnstest"
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
	base int  // the first of the test's loopback addresses: LB .base and .base+1, registrar +2, proxy +3
	auth bool // the proxy challenges local callers
	// proxyExtra is more of the proxy section, indented by two spaces;
	// t1 the proxy's sip.t1 (500ms when zero).
	proxyExtra string
	t1         time.Duration
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
	if o.t1 == 0 {
		o.t1 = 500 * time.Millisecond
	}
	cfg := fmt.Sprintf(`log:
  level: debug
admin:
  listen: %s
sip:
  t1: %s
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
%s`, adminAddr, o.t1, f.proxy, f.db.dsn, regDomain, o.auth, regSecret, f.lb.priv, privIP, o.proxyExtra)
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
	if len(rr) != 5 {
		t.Fatalf("Record-Route at Bob: %v, want 5 entries (LB, LB, proxy, LB, LB)", rr)
	}
	proxyRR := rr[2] // the proxy's, with its dialog token (checked below)
	if !strings.HasPrefix(proxyRR, fmt.Sprintf("<sip:%s;lr;sft=", f.proxy)) {
		t.Errorf("the proxy's Record-Route %s lacks its token", proxyRR)
	}
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
	// Credentials for a proxy further on ride along; the proxy takes
	// only those for its own realm (RFC 3261 §22.3).
	upstream := `Digest username="alice", realm="upstream.example", nonce="abc", uri="sip:bob@` + regDomain + `", response="00112233445566778899aabbccddeeff"`
	inv := alice.invite("bob", "call-6b", "Proxy-Authorization: "+upstream, "Proxy-Authorization: "+cred)
	alice.c.Send(f.lb.pub, inv)
	got, from := expectRequest(t, bob.c, "INVITE")
	var passed []string
	got.Values(sip.HdrProxyAuthorization, func(v []byte) bool { passed = append(passed, string(v)); return true })
	if len(passed) != 1 || passed[0] != upstream {
		t.Errorf("Proxy-Authorization passed on: %q, want only the other realm's %q", passed, upstream)
	}
	reply(bob.c, from, got, 486, "bob-tag")
	expectResponse(t, alice.c, 486)

	// Alice's credentials do not let her call as Carol (the From is who
	// gets billed).
	carol := newPhone(t, lbIP(t, base, 6), "carol")
	cred, err = auth.Answer(v, "alice", regPassword, "INVITE", "sip:bob@"+regDomain, 2, "cn0nce2")
	if err != nil {
		t.Fatal(err)
	}
	carol.c.Send(f.lb.pub, carol.invite("bob", "call-6c", "Proxy-Authorization: "+cred))
	expectResponse(t, carol.c, 403)
}

// gateway is a SIPp UAS standing in for a PSTN gateway on a fixed port,
// named in DNS.
func startGateway(t *testing.T, name, scenario string, ip netip.Addr, calls int) *testenv.Sipp {
	t.Helper()
	return testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, scenario), Name: name,
		Local: ip, Port: testenv.FreeUDPPort(t, ip), MaxCalls: calls, TraceMessages: true})
}

// TestProxyPSTNFailover: a call to a telephone number goes to the
// gateways DNS names for the PSTN domain (SRV by priority, from an
// in-process DNS server): the first answers 503, the second never answers
// (Timer B), the third takes the call, which then completes along the
// Record-Route set.
func TestProxyPSTNFailover(t *testing.T) {
	t.Parallel()
	const base = 51
	gwIP := lbIP(t, base, 5)
	gw1 := startGateway(t, "gw-503", "uas_503", gwIP, 1)
	gw2 := startGateway(t, "gw-silent", "uas_silent", gwIP, 1)
	gw3 := startGateway(t, "gw-answer", "uas_call", gwIP, 1)
	dns := dnstest.Start(t,
		fmt.Sprintf("_sip._udp.pstn.example. 60 IN SRV 10 10 %d gw1.pstn.example.", gw1.Addr().Port()),
		fmt.Sprintf("_sip._udp.pstn.example. 60 IN SRV 20 10 %d gw2.pstn.example.", gw2.Addr().Port()),
		fmt.Sprintf("_sip._udp.pstn.example. 60 IN SRV 30 10 %d gw3.pstn.example.", gw3.Addr().Port()),
		"gw1.pstn.example. 60 IN A "+gwIP.String(),
		"gw2.pstn.example. 60 IN A "+gwIP.String(),
		"gw3.pstn.example. 60 IN A "+gwIP.String(),
	)
	f := startFleet(t, fleetOptions{base: base, t1: 50 * time.Millisecond, proxyExtra: fmt.Sprintf(`  pstn:
    domain: pstn.example
    country_code: "1"
  dns:
    nameservers: [%s]
`, dns.Addr())})
	alice := newPhone(t, lbIP(t, base, 4), "alice")

	alice.c.Send(f.lb.pub, alice.invite("1-555-0100-234", "pstn-1"))
	ok, _ := expectMsg(t, alice.c, "200 from the third gateway", func(m *sip.Msg) bool {
		if !m.IsRequest() && m.StatusCode() >= 300 {
			t.Fatalf("call failed: %s", m.StartLine())
		}
		return !m.IsRequest() && m.StatusCode() == 200
	})
	aliceRoutes := reversed(routes(t, ok, sip.HdrRecordRoute))
	target := ""
	_ = ok.NameAddrs(sip.HdrContact, func(n sip.NameAddr) bool { target = string(n.URI.Raw); return false })
	if target == "" {
		t.Fatalf("200 without Contact:\n%s", ok.Bytes())
	}
	toTag := string(ok.ToTag())
	alice.c.Send(f.lb.pub, alice.inDialog("ACK", target, aliceRoutes, "pstn-1", "from-pstn-1", toTag, "alice", "+15550100234", 1, "pstn-ack"))
	alice.c.Send(f.lb.pub, alice.inDialog("BYE", target, aliceRoutes, "pstn-1", "from-pstn-1", toTag, "alice", "+15550100234", 2, "pstn-bye"))
	expectResponse(t, alice.c, 200)

	for _, g := range []*testenv.Sipp{gw1, gw2, gw3} {
		if err := waitSipp(t, g, 20*time.Second).Check(1, 0); err != nil {
			t.Errorf("%s: %v", g.Cmdline(), err)
		}
	}
	// The number reached the gateway normalised to E.164.
	if log := sippMessages(t, gw3); !strings.Contains(log, "INVITE sip:+15550100234@pstn.example;user=phone SIP/2.0") {
		t.Errorf("the answering gateway did not get the E.164 Request-URI:\n%s", log)
	}
}

// TestProxyPSTNWeights: three gateways of one SRV priority with weights
// 60, 30 and 10 share 100 calls in about that proportion (RFC 2782's
// weighted selection, per call).
func TestProxyPSTNWeights(t *testing.T) {
	t.Parallel()
	const base, calls = 58, 100
	var gws []*testenv.Sipp
	records := []string{}
	for i, w := range []int{60, 30, 10} {
		ip := lbIP(t, base, 5+i)
		g := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uas_call"), Name: fmt.Sprintf("gw-w%d", w),
			Local: ip, Port: testenv.FreeUDPPort(t, ip), MaxCalls: calls})
		gws = append(gws, g)
		records = append(records,
			fmt.Sprintf("_sip._udp.pstn.example. 60 IN SRV 10 %d %d gw%d.pstn.example.", w, g.Addr().Port(), i),
			fmt.Sprintf("gw%d.pstn.example. 60 IN A %s", i, ip))
	}
	dns := dnstest.Start(t, records...)
	phoneIP := lbIP(t, base, 4)
	f := startFleet(t, fleetOptions{base: base, proxyExtra: fmt.Sprintf(`  domains: [%s]
  trusted: [%s]
  pstn:
    domain: pstn.example
  dns:
    nameservers: [%s]
`, lbIP(t, base, 0), phoneIP, dns.Addr())})

	uac := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_call"), Name: "caller",
		Remote: f.lb.pub, Local: phoneIP, Service: "+15550100234", MaxCalls: calls, Rate: 25})
	if err := waitSipp(t, uac, 60*time.Second).Check(calls, 0); err != nil {
		t.Fatalf("caller: %v", err)
	}
	var got []int
	for _, g := range gws {
		got = append(got, stopSipp(t, g).Successful)
	}
	// Three standard deviations of a binomial over 100 calls is under 15.
	for i, want := range []int{60, 30, 10} {
		if d := got[i] - want; d < -15 || d > 15 {
			t.Errorf("gateway of weight %d took %d of %d calls; all: %v", want, got[i], calls, got)
		}
	}
	t.Logf("calls per gateway (weights 60/30/10): %v", got)
}
