package proxy

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
)

func TestBetter(t *testing.T) {
	tests := []struct {
		code, best int
		want       bool
	}{
		{486, 0, true},
		{404, 486, false}, // same class: the first stays
		{407, 486, true},  // a challenge beats other 4xx
		{486, 407, false},
		{302, 486, true},  // lowest class
		{503, 486, false}, // lowest class
		{603, 486, true},  // 6xx over everything
		{486, 603, false},
		{200, 603, false},
		{408, 503, true},
	}
	for _, tt := range tests {
		if got := better(tt.code, tt.best); got != tt.want {
			t.Errorf("better(%d, %d) = %v, want %v", tt.code, tt.best, got, tt.want)
		}
	}
}

func TestPSTNNumbers(t *testing.T) {
	ps := &PSTN{Pattern: regexp.MustCompile(`^\+?[0-9]{7,15}$`), CountryCode: "44", NationalPrefix: "0", InternationalPrefix: "00", Plus: true}
	tests := []struct {
		user   string
		number bool
		e164   string
	}{
		{"+15550100234", true, "+15550100234"},
		{"0015550100234", true, "+15550100234"},
		{"02079460000", true, "+442079460000"},
		{"020-7946-0000", true, "+442079460000"},
		{"(020)%207946%200000", true, "+442079460000"},
		{"442079460000", true, "+442079460000"},
		{"+15550100234;phone-context=+1", true, "+15550100234"},
		{"alice", false, ""},
		{"1001", false, ""},
	}
	for _, tt := range tests {
		if got := ps.isNumber([]byte(tt.user)); got != tt.number {
			t.Errorf("isNumber(%q) = %v", tt.user, got)
		}
		if tt.number {
			if got := ps.normalise([]byte(tt.user)); got != tt.e164 {
				t.Errorf("normalise(%q) = %q, want %q", tt.user, got, tt.e164)
			}
		}
	}
	noPlus := *ps
	noPlus.Plus = false
	if got := noPlus.normalise([]byte("02079460000")); got != "442079460000" {
		t.Errorf("without plus: %q", got)
	}
	national := *ps
	national.CountryCode = ""
	if got := national.normalise([]byte("02079460000")); got != "02079460000" {
		t.Errorf("without a country code a national number is kept: %q", got)
	}
}

func TestAvoidOrder(t *testing.T) {
	a := avoidList{m: map[netip.AddrPort]time.Time{}, ttl: time.Minute}
	now := time.Unix(1000, 0)
	t1 := target{dst: netip.MustParseAddrPort("192.0.2.1:5060")}
	t2 := target{dst: netip.MustParseAddrPort("192.0.2.2:5060")}
	t3 := target{dst: netip.MustParseAddrPort("192.0.2.3:5060")}
	a.add(t1.dst, now)
	got := a.order([]group{{t1}, {t2}, {t3}}, now.Add(time.Second))
	if got[0][0].dst != t2.dst || got[1][0].dst != t3.dst || got[2][0].dst != t1.dst {
		t.Errorf("avoided gateway not last: %v", got)
	}
	got = a.order([]group{{t1}, {t2}}, now.Add(2*time.Minute))
	if got[0][0].dst != t1.dst {
		t.Errorf("gateway still avoided after its time: %v", got)
	}
}

// The routing tests run a real proxy on 127.0.0.1 with UDP "phones" and
// an in-memory location table.

func TestRouteToBinding(t *testing.T) {
	p := startProxy(t, Rules{})
	alice, bob := newUA(t), newUA(t)
	p.store.bind("bob", binding(bob, store.QUnset))

	alice.send(p.addr, alice.invite("bob", "c1"))
	alice.response(100)
	inv, from := bob.request("INVITE")
	if got, want := string(inv.RequestURIBytes()), "sip:bob@"+bob.addr.String(); got != want {
		t.Errorf("Request-URI %s, want %s", got, want)
	}
	if v, _ := inv.Get(sip.HdrRecordRoute); string(v) != fmt.Sprintf("<sip:%s;lr;sft=%s>", p.addr, p.rrToken([]byte("c1"))) {
		t.Errorf("Record-Route %q", v)
	}
	if mf, _, _ := inv.MaxForwards(); mf != 69 {
		t.Errorf("Max-Forwards %d, want 69", mf)
	}
	bob.answer(from, inv, 180, "b")
	alice.response(180)
	bob.answer(from, inv, 200, "b", "Contact: <sip:bob@"+bob.addr.String()+">")
	ok := alice.response(200)
	if ok.Count(sip.HdrVia) != 1 {
		t.Errorf("200 at the caller still has the proxy's Via:\n%s", ok.Bytes())
	}
	// The 2xx is retransmitted by Bob; it goes upstream again.
	bob.answer(from, inv, 200, "b")
	alice.response(200)
}

func TestRouteAnswers(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(*memStore)
		user     string
		extra    []string
		wantCode int
		dbErrors uint64
	}{
		{"unknown user", func(*memStore) {}, "nobody", nil, 404, 0},
		{"not registered", func(s *memStore) { s.addUser("carol") }, "carol", nil, 480, 0},
		{"database down", func(s *memStore) { s.fail(store.ErrUnavailable) }, "bob", nil, 503, 1},
		// No binding, and the subscriber table cannot tell 404 from 480.
		{"subscribers down", func(s *memStore) { s.failGet(store.ErrUnavailable) }, "carol", nil, 480, 1},
		{"max-forwards zero", func(*memStore) {}, "bob", []string{"Max-Forwards: 0"}, 483, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startProxy(t, Rules{})
			tt.setup(p.store)
			alice := newUA(t)
			msg := alice.invite(tt.user, "c-"+strings.ReplaceAll(tt.name, " ", "-"))
			for _, h := range tt.extra {
				name, _, _ := strings.Cut(h, ":")
				msg = regexp.MustCompile("(?m)^"+name+":.*\n").ReplaceAllString(msg, h+"\n")
			}
			alice.send(p.addr, msg)
			if f := alice.final(); f.StatusCode() != tt.wantCode {
				t.Errorf("got %s, want %d", f.StartLine(), tt.wantCode)
			}
			if got := p.Stats()["db_errors"]; got != tt.dbErrors {
				t.Errorf("db_errors %d, want %d", got, tt.dbErrors)
			}
		})
	}
}

func TestLoopDetected(t *testing.T) {
	p := startProxy(t, Rules{})
	alice := newUA(t)
	// The proxy's own Via with this request's hash below the caller's:
	// the request has been here before, unchanged.
	msg := alice.invite("bob", "loop")
	var m sip.Msg
	if err := m.Parse(crlf(msg)); err != nil {
		t.Fatal(err)
	}
	h := loopHash(&m)
	own := fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=%s.7\n", p.addr, p.newBranch(h)[:len(branchPrefix)+16])
	msg = strings.Replace(msg, "Max-Forwards", own+"Max-Forwards", 1)
	alice.send(p.addr, msg)
	if f := alice.final(); f.StatusCode() != 482 {
		t.Errorf("got %s, want 482", f.StartLine())
	}
	// A spiral (same Via, different Request-URI) is not a loop.
	p.store.addUser("carol")
	alice.send(p.addr, strings.Replace(strings.Replace(msg, "sip:bob@", "sip:carol@", 1), "branch=z9hG4bK-loop", "branch=z9hG4bK-spiral", 1))
	// (The 482 above is retransmitted until an ACK that never comes.)
	f, _ := alice.recv("final to the spiral", func(m *sip.Msg) bool {
		v, err := m.TopVia()
		return !m.IsRequest() && m.StatusCode() >= 200 && err == nil && string(v.Branch()) == "z9hG4bK-spiral"
	})
	if f.StatusCode() != 480 {
		t.Errorf("spiral: got %s, want 480", f.StartLine())
	}
}

func TestSerialForkingByQ(t *testing.T) {
	p := startProxy(t, Rules{})
	alice, desk, mobile := newUA(t), newUA(t), newUA(t)
	p.store.bind("bob", binding(mobile, 0.5), binding(desk, 1))

	alice.send(p.addr, alice.invite("bob", "serial"))
	inv, from := desk.request("INVITE") // q=1 first, alone
	mobile.silent(100*time.Millisecond, func(m *sip.Msg) bool { return m.IsRequest() })
	desk.answer(from, inv, 486, "d")
	inv2, from2 := mobile.request("INVITE")
	mobile.answer(from2, inv2, 603, "m")
	if f := alice.final(); f.StatusCode() != 603 {
		t.Errorf("got %s, want the 603", f.StartLine())
	}
}

func TestParallelBestResponse(t *testing.T) {
	p := startProxy(t, Rules{})
	alice, a, b := newUA(t), newUA(t), newUA(t)
	p.store.bind("bob", binding(a, 1), binding(b, 1))

	alice.send(p.addr, alice.invite("bob", "best"))
	ia, fa := a.request("INVITE")
	ib, fb := b.request("INVITE")
	a.answer(fa, ia, 503, "a")
	b.answer(fb, ib, 404, "b")
	if f := alice.final(); f.StatusCode() != 404 {
		t.Errorf("got %s, want 404 (the lowest class)", f.StartLine())
	}
}

func TestChallengesAggregated(t *testing.T) {
	p := startProxy(t, Rules{})
	alice, a, b := newUA(t), newUA(t), newUA(t)
	p.store.bind("bob", binding(a, 1), binding(b, 1))

	alice.send(p.addr, alice.invite("bob", "auth"))
	ia, fa := a.request("INVITE")
	ib, fb := b.request("INVITE")
	a.answer(fa, ia, 401, "a", `WWW-Authenticate: Digest realm="a.example", nonce="1"`)
	b.answer(fb, ib, 401, "b", `WWW-Authenticate: Digest realm="b.example", nonce="2"`)
	f := alice.final()
	if f.StatusCode() != 401 {
		t.Fatalf("got %s, want 401", f.StartLine())
	}
	var realms []string
	f.Values(sip.HdrWWWAuthenticate, func(v []byte) bool { realms = append(realms, string(v)); return true })
	if len(realms) != 2 {
		t.Errorf("401 carries %d challenges, want both: %q", len(realms), realms)
	}
}

func TestAllBranchesFail503Becomes500(t *testing.T) {
	p := startProxy(t, Rules{})
	alice, a := newUA(t), newUA(t)
	p.store.bind("bob", binding(a, 1))
	alice.send(p.addr, alice.invite("bob", "five03"))
	ia, fa := a.request("INVITE")
	a.answer(fa, ia, 503, "a")
	if f := alice.final(); f.StatusCode() != 500 {
		t.Errorf("got %s, want 500 (§16.7 step 6)", f.StartLine())
	}
}

func TestTimerC(t *testing.T) {
	p := startProxy(t, Rules{TimerC: 300 * time.Millisecond})
	alice, a := newUA(t), newUA(t)
	p.store.bind("bob", binding(a, 1))
	alice.send(p.addr, alice.invite("bob", "timerc"))
	ia, fa := a.request("INVITE")
	a.answer(fa, ia, 180, "a")
	alice.response(180)
	// Ringing past Timer C: the branch is cancelled, the caller gets 408.
	c, fc := a.request("CANCEL")
	a.answer(fc, c, 200, "a")
	a.answer(fa, ia, 487, "a")
	if f := alice.final(); f.StatusCode() != 408 {
		t.Errorf("got %s, want 408", f.StartLine())
	}
}

func TestCancelBeforeAnswer(t *testing.T) {
	p := startProxy(t, Rules{})
	alice, a := newUA(t), newUA(t)
	p.store.bind("bob", binding(a, 1))
	inv := alice.invite("bob", "cancel")
	alice.send(p.addr, inv)
	ia, fa := a.request("INVITE")
	a.answer(fa, ia, 180, "a")
	alice.response(180)
	var m sip.Msg
	if err := m.Parse(crlf(inv)); err != nil {
		t.Fatal(err)
	}
	alice.sendBytes(p.addr, sip.AppendCANCEL(nil, &m))
	alice.response(200)
	c, fc := a.request("CANCEL")
	a.answer(fc, c, 200, "a")
	a.answer(fa, ia, 487, "a")
	if f := alice.final(); f.StatusCode() != 487 {
		t.Errorf("got %s, want 487", f.StartLine())
	}
	// A CANCEL matching nothing gets 481.
	alice.send(p.addr, strings.NewReplacer("INVITE sip", "CANCEL sip", "1 INVITE", "1 CANCEL", "z9hG4bK-cancel", "z9hG4bK-other").Replace(inv))
	alice.response(481)
}

func TestInDialogLooseRouting(t *testing.T) {
	p := startProxy(t, Rules{})
	alice, bob := newUA(t), newUA(t)
	// A BYE with the proxy's Record-Route as its first Route, then Bob's
	// address: the proxy removes its entry and follows the next.
	bye := fmt.Sprintf(`
BYE sip:bob@192.0.2.99 SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bK-bye1
Route: <sip:%s;lr;sft=%s>, <sip:%s;lr>
Max-Forwards: 70
From: <sip:alice@example.com>;tag=a
To: <sip:bob@example.com>;tag=b
Call-ID: dialog-1
CSeq: 2 BYE
Content-Length: 0

`, alice.addr, p.addr, p.rrToken([]byte("dialog-1")), bob.addr)
	alice.send(p.addr, bye)
	m, from := bob.request("BYE")
	var rs []string
	_ = m.NameAddrs(sip.HdrRoute, func(n sip.NameAddr) bool { rs = append(rs, string(n.URI.Raw)); return true })
	if len(rs) != 1 || rs[0] != "sip:"+bob.addr.String()+";lr" {
		t.Errorf("Route at Bob %v, want only his own entry", rs)
	}
	if _, has := m.Get(sip.HdrRecordRoute); has {
		t.Error("in-dialog request Record-Routed")
	}
	bob.answer(from, m, 200, "b")
	alice.response(200)

	// The ACK for a 2xx goes statelessly the same way.
	alice.send(p.addr, strings.NewReplacer("BYE sip", "ACK sip", "2 BYE", "1 ACK", "bye1", "ack1").Replace(bye))
	if ack, _ := bob.request("ACK"); ack.Count(sip.HdrVia) != 2 {
		t.Errorf("ACK at Bob has %d Vias, want 2", ack.Count(sip.HdrVia))
	}
}

func TestKeepalive(t *testing.T) {
	p := startProxy(t, Rules{})
	u := newUA(t)
	u.send(p.addr, fmt.Sprintf(`
OPTIONS sip:%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bK-ka
Max-Forwards: 70
From: <sip:lb@example.com>;tag=k
To: <sip:%s>
Call-ID: ka-1
CSeq: 1 OPTIONS
Content-Length: 0

`, p.addr, u.addr, p.addr))
	u.response(200)
}

func TestForeignRelayForbidden(t *testing.T) {
	p := startProxy(t, Rules{})
	u := newUA(t)
	msg := strings.NewReplacer("sip:bob@example.com SIP", "sip:bob@elsewhere.example SIP", "<sip:alice@example.com>", "<sip:mallory@evil.example>").Replace(u.invite("bob", "relay"))
	u.send(p.addr, msg)
	if f := u.final(); f.StatusCode() != 403 {
		t.Errorf("got %s, want 403", f.StartLine())
	}
}

func TestPSTNStaticGateways(t *testing.T) {
	gw1, gw2 := newUA(t), newUA(t)
	p := startProxy(t, Rules{PSTN: &PSTN{
		Pattern: regexp.MustCompile(`^\+?[0-9]{7,15}$`), Plus: true, Avoid: time.Minute,
		Gateways: []string{"sip:" + gw1.addr.String(), "sip:" + gw2.addr.String()},
	}})
	alice := newUA(t)
	alice.send(p.addr, alice.invite("+4930123456", "gw"))
	inv, from := gw1.request("INVITE")
	if got, want := string(inv.RequestURIBytes()), "sip:+4930123456@"+gw1.addr.String()+";user=phone"; got != want {
		t.Errorf("Request-URI %s, want %s", got, want)
	}
	gw1.answer(from, inv, 503, "g1")
	inv2, from2 := gw2.request("INVITE")
	gw2.answer(from2, inv2, 486, "g2")
	if f := alice.final(); f.StatusCode() != 486 {
		t.Errorf("got %s, want the second gateway's 486", f.StartLine())
	}
	if n := p.Stats()["gateway_failovers"]; n != 1 {
		t.Errorf("%d failovers counted, want 1", n)
	}
	// The failed gateway is tried last now.
	alice.send(p.addr, alice.invite("+4930123456", "gw2"))
	inv3, from3 := gw2.request("INVITE")
	gw2.answer(from3, inv3, 200, "g2")
	alice.response(200)
}

func TestDrainOnClose(t *testing.T) {
	p := startProxy(t, Rules{})
	alice, a := newUA(t), newUA(t)
	p.store.bind("bob", binding(a, 1))
	alice.send(p.addr, alice.invite("bob", "drain-1"))
	ia, fa := a.request("INVITE")
	a.answer(fa, ia, 180, "a")
	alice.response(180)

	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		closed <- p.Close(ctx)
	}()
	// Draining: a new call is turned away, the one ringing completes.
	poll := time.NewTicker(time.Millisecond)
	defer poll.Stop()
	for deadline := time.Now().Add(3 * time.Second); !p.draining.Load() && time.Now().Before(deadline); {
		<-poll.C
	}
	alice.send(p.addr, alice.invite("bob", "drain-2"))
	if f := alice.final(); f.StatusCode() != 503 {
		t.Errorf("new call while draining: %s, want 503", f.StartLine())
	}
	a.answer(fa, ia, 200, "a")
	alice.response(200)
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
}

// An "in-dialog" request that does not bring back the proxy's
// Record-Route token is not routed: it would let anyone use the proxy
// as a relay (the same for its ACK, dropped).
func TestInDialogWithoutTokenRefused(t *testing.T) {
	p := startProxy(t, Rules{})
	mallory, victim := newUA(t), newUA(t)
	for _, route := range []string{"", fmt.Sprintf("Route: <sip:%s;lr>, <sip:%s;lr>\n", p.addr, victim.addr),
		fmt.Sprintf("Route: <sip:%s;lr;sft=0123456789abcdef>, <sip:%s;lr>\n", p.addr, victim.addr)} {
		for _, method := range []string{"INVITE", "ACK"} {
			mallory.send(p.addr, fmt.Sprintf(`
%[1]s sip:+19005550100@%[2]s SIP/2.0
Via: SIP/2.0/UDP %[3]s;branch=z9hG4bK-relay-%[1]s-%[4]d
%[5]sMax-Forwards: 70
From: <sip:mallory@evil.example>;tag=m
To: <sip:gw@example.com>;tag=g
Call-ID: relay-%[4]d
CSeq: 1 %[1]s
Content-Length: 0

`, method, victim.addr, mallory.addr, len(route), route))
			if method == "INVITE" {
				if f := mallory.final(); f.StatusCode() != 403 {
					t.Errorf("route %q: got %s, want 403", route, f.StartLine())
				}
			}
		}
	}
	victim.silent(200*time.Millisecond, func(*sip.Msg) bool { return true })
}

// A response that matches no transaction is dropped, not relayed to the
// Via below the proxy's (a reflector otherwise).
func TestStrayResponseDropped(t *testing.T) {
	p := startProxy(t, Rules{})
	attacker, victim := newUA(t), newUA(t)
	attacker.send(p.addr, fmt.Sprintf(`
SIP/2.0 200 OK
Via: SIP/2.0/UDP %s;branch=z9hG4bK-sfp0000000000000000.1
Via: SIP/2.0/UDP %s;branch=z9hG4bK-victim
From: <sip:a@example.com>;tag=a
To: <sip:b@example.com>;tag=b
Call-ID: stray
CSeq: 1 INVITE
Content-Length: 0

`, p.addr, victim.addr))
	victim.silent(200*time.Millisecond, func(*sip.Msg) bool { return true })
}

// When every gateway fails, the caller (and an LB in front, which fails
// over to another proxy on 408, 500 and 503) hears that the gateways
// failed: 502 when they refused, 504 when they did not answer.
func TestPSTNAllGatewaysFail(t *testing.T) {
	gw := newUA(t)
	p := startProxy(t, Rules{PSTN: &PSTN{
		Pattern: regexp.MustCompile(`^\+?[0-9]{7,15}$`), Plus: true,
		Gateways: []string{"sip:" + gw.addr.String()},
	}})
	alice := newUA(t)
	alice.send(p.addr, alice.invite("+4930123456", "gw-503"))
	inv, from := gw.request("INVITE")
	gw.answer(from, inv, 503, "g")
	if f := alice.final(); f.StatusCode() != 502 {
		t.Errorf("gateway refused: got %s, want 502", f.StartLine())
	}
	alice.send(p.addr, alice.invite("+4930123456", "gw-silent"))
	gw.request("INVITE") // and never answered: Timer B (64*T1, 1.28 s here)
	if f, _ := alice.recv("final", func(m *sip.Msg) bool { return !m.IsRequest() && m.StatusCode() >= 200 && m.StatusCode() != 502 }); f.StatusCode() != 504 {
		t.Errorf("gateway silent: got %s, want 504", f.StartLine())
	}
}
