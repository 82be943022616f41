package lb

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sipfleet/sipfleet/internal/nat"
	"github.com/sipfleet/sipfleet/internal/sip"
)

func TestRegisterGetsPathWithReceived(t *testing.T) {
	f := newFixture(t, nil)
	f.ua.send(f.pubAddr, f.request("REGISTER", "sip:example.com", "Expires: 60"))
	req := f.registrar.recvRequest()
	path := hdr(req, sip.HdrPath)
	want := fmt.Sprintf("<sip:%v;lr;received=%s>", f.priv, nat.AppendReceived(nil, f.ua.addr(), "udp"))
	if path != want {
		t.Fatalf("Path = %q, want %q", path, want)
	}
	if !req.HasOptionTag(sip.HdrSupported, "path") {
		t.Error("Supported: path not added")
	}
	v, _ := req.TopVia()
	if !strings.HasPrefix(string(v.Branch()), branchPrefix) {
		t.Errorf("top Via %q is not the LB's", v.Raw)
	}
	var vias []sip.Via
	_ = req.Vias(func(v sip.Via) bool { vias = append(vias, v); return true })
	if rp, _ := vias[1].RPort(); rp != int(f.ua.addr().Port()) || string(vias[1].Received()) != "127.0.0.1" {
		t.Errorf("UA's Via lacks received/rport: %q", vias[1].Raw)
	}
	f.registrar.answer(f.priv, req, 200)
	resp := f.ua.recvFinal()
	if resp.StatusCode() != 200 || resp.Count(sip.HdrVia) != 1 {
		t.Fatalf("UA got %d with %d Vias", resp.StatusCode(), resp.Count(sip.HdrVia))
	}
}

func TestPathReceivedOnlyWhenNATed(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.PathReceived = ReceivedWhenNAT; o.NATTests = nat.ViaHost | nat.ViaPort })
	// The Via says exactly where the UA is: no NAT, no received.
	msg := f.request("REGISTER", "sip:example.com")
	msg = strings.Replace(msg, ";rport", "", 1)
	f.ua.send(f.pubAddr, msg)
	req := f.registrar.recvRequest()
	if path := hdr(req, sip.HdrPath); path != fmt.Sprintf("<sip:%v;lr>", f.priv) {
		t.Fatalf("Path = %q", path)
	}
	// A Via naming a private address behind a NAT: received.
	msg = strings.Replace(f.request("REGISTER", "sip:example.com"), f.ua.addr().String(), "192.168.1.20:5060", 1)
	f.ua.send(f.pubAddr, msg)
	req = f.registrar.recvRequest()
	if path := hdr(req, sip.HdrPath); !strings.Contains(path, ";received=sip:") {
		t.Fatalf("Path = %q", path)
	}
}

func TestRegisterOutboundGetsOb(t *testing.T) {
	f := newFixture(t, nil)
	msg := f.request("REGISTER", "sip:example.com", "Supported: path, outbound")
	msg = strings.Replace(msg, fmt.Sprintf("Contact: <sip:alice@%v>", f.ua.addr()),
		fmt.Sprintf("Contact: <sip:alice@%v>;reg-id=1;+sip.instance=\"<urn:uuid:1>\"", f.ua.addr()), 1)
	f.ua.send(f.pubAddr, msg)
	req := f.registrar.recvRequest()
	if path := hdr(req, sip.HdrPath); !strings.HasSuffix(path, ";ob>") {
		t.Fatalf("Path = %q, want ;ob", path)
	}
	if n := len(allValues(req, sip.HdrSupported)); n != 1 {
		t.Errorf("Supported added although the UA has path: %d headers", n)
	}
}

// TestCallThroughLB: INVITE is dispatched and double Record-Routed; the
// ACK and BYE follow the route set back to the proxy the INVITE went to;
// with the LB's blocking UDP readers (the default) and through the
// netpoller (NetpollRead).
func TestCallThroughLB(t *testing.T) {
	for _, netpoll := range []bool{false, true} {
		t.Run(fmt.Sprintf("netpoll=%v", netpoll), func(t *testing.T) { testCallThroughLB(t, netpoll) })
	}
}

func testCallThroughLB(t *testing.T, netpoll bool) {
	f := newFixture(t, func(o *Options) { o.NetpollRead = netpoll })
	f.ua.send(f.pubAddr, f.request("INVITE", "sip:bob@example.com"))
	proxy, inv := f.dispatched()
	rr := allValues(inv, sip.HdrRecordRoute)
	wantRR := []string{fmt.Sprintf("<sip:%v;lr;r2=on>", f.priv), fmt.Sprintf("<sip:%v;lr;r2=on>", f.pubAddr)}
	if strings.Join(rr, "|") != strings.Join(wantRR, "|") {
		t.Fatalf("Record-Route = %q, want %q", rr, wantRR)
	}
	if mf, _, _ := inv.MaxForwards(); mf != 69 {
		t.Errorf("Max-Forwards %d", mf)
	}
	proxy.answer(f.priv, inv, 180)
	if r := f.ua.recv(); r.StatusCode() != 180 {
		t.Fatalf("UA got %d", r.StatusCode())
	}
	proxy.answer(f.priv, inv, 200)
	ok := f.ua.recvFinal()
	if ok.StatusCode() != 200 {
		t.Fatalf("UA got %d", ok.StatusCode())
	}
	// The UA's route set is the Record-Route reversed: public entry first.
	route := fmt.Sprintf("Route: <sip:%v;lr;r2=on>, <sip:%v;lr;r2=on>", f.pubAddr, f.priv)
	for i, method := range []string{"ACK", "BYE"} {
		msg := f.inDialog(method, proxy, route, i+2)
		f.ua.send(f.pubAddr, msg)
		got := proxy.recvRequest()
		if got.Method().String() != method || got.Count(sip.HdrRoute) != 0 {
			t.Fatalf("%s reached the proxy as %q with %d Routes", method, got.MethodBytes(), got.Count(sip.HdrRoute))
		}
		if method == "BYE" {
			proxy.answer(f.priv, got, 200)
			if r := f.ua.recvFinal(); r.StatusCode() != 200 {
				t.Fatalf("BYE answered %d", r.StatusCode())
			}
		}
	}
}

// inDialog builds an in-dialog request from the UA toward the proxy's
// contact, carrying route.
func (f *fixture) inDialog(method string, proxy *peer, route string, cseq int) string {
	return fmt.Sprintf("%s sip:uas@%v SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %v;branch=z9hG4bK-ua-dlg-%s-%d;rport\r\n"+
		"%s\r\nMax-Forwards: 70\r\n"+
		"From: <sip:alice@example.com>;tag=ua-from\r\nTo: <sip:bob@example.com>;tag=uas-tag\r\n"+
		"Call-ID: call-%d@test\r\nCSeq: %d %s\r\nContent-Length: 0\r\n\r\n",
		method, proxy.addr(), f.ua.addr(), method, callSeq, route, callSeq, cseq, method)
}

func recvAsync(p *peer) <-chan *sip.Msg {
	ch := make(chan *sip.Msg, 1)
	go func() {
		buf := make([]byte, 65535)
		n, _, err := p.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		var m sip.Msg
		if m.Parse(buf[:n]) == nil {
			ch <- &m
		}
	}()
	return ch
}

// TestBackendReachesNATedPhone: a backend sends an INVITE with the Path
// the phone registered through; the LB sends it to the received= address
// from its public socket and Record-Routes it twice.
func TestBackendReachesNATedPhone(t *testing.T) {
	f := newFixture(t, nil)
	phone := newPeer(t)
	recv := nat.AppendReceived(nil, phone.addr(), "udp")
	msg := fmt.Sprintf("INVITE sip:bob@192.168.1.20:5060 SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %v;branch=z9hG4bK-prx-1\r\n"+
		"Route: <sip:%v;lr;received=%s>\r\nMax-Forwards: 69\r\n"+
		"From: <sip:alice@example.com>;tag=a\r\nTo: <sip:bob@example.com>\r\n"+
		"Call-ID: nat-1@test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
		f.proxy1.addr(), f.priv, recv)
	f.proxy1.send(f.priv, msg)
	got := phone.recvRequest()
	if got.Count(sip.HdrRoute) != 0 {
		t.Fatalf("LB left %d Route headers", got.Count(sip.HdrRoute))
	}
	if rr := allValues(got, sip.HdrRecordRoute); len(rr) != 2 || !strings.Contains(rr[0], f.pubAddr.String()) {
		t.Fatalf("Record-Route = %q", rr)
	}
	phone.answer(f.pubAddr, got, 200)
	if r := f.proxy1.recvFinal(); r.StatusCode() != 200 {
		t.Fatalf("proxy got %d", r.StatusCode())
	}
}

// TestNotAnOpenRelay tries every trick of issue 3 from the public side.
func TestNotAnOpenRelay(t *testing.T) {
	f := newFixture(t, nil)
	victim := newPeer(t)
	tricks := []struct {
		name string
		msg  string
	}{
		{"Route to a stranger", f.request("INVITE", "sip:bob@example.com", fmt.Sprintf("Route: <sip:%v;lr>", victim.addr()))},
		{"in-dialog to a stranger", strings.Replace(f.request("BYE", fmt.Sprintf("sip:x@%v", victim.addr())), "To: <sip:bob@example.com>", "To: <sip:bob@example.com>;tag=x", 1)},
		{"own Route with received", f.request("INVITE", "sip:bob@example.com",
			fmt.Sprintf("Route: <sip:%v;lr;received=%s>", f.pubAddr, nat.AppendReceived(nil, victim.addr(), "udp")))},
		{"own Route then a stranger", f.request("INVITE", "sip:bob@example.com",
			fmt.Sprintf("Route: <sip:%v;lr>, <sip:%v;lr>", f.pubAddr, victim.addr()))},
	}
	for i, tc := range tricks {
		t.Run(tc.name, func(t *testing.T) {
			f.ua.send(f.pubAddr, tc.msg)
			r := f.ua.recvFinal()
			if r.StatusCode() != 403 {
				t.Fatalf("got %d, want 403", r.StatusCode())
			}
			f.waitStat(t, "relay_denied", uint64(i+1))
		})
	}
	// A forged response naming the LB in its top Via is dropped, not
	// reflected to the Via below it.
	forged := fmt.Sprintf("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP %v;branch=%s0123456789abcdef0\r\n"+
		"Via: SIP/2.0/UDP %v;branch=z9hG4bK-v\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"+
		"Call-ID: forged\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", f.pubAddr, branchPrefix, victim.addr())
	f.ua.send(f.pubAddr, forged)
	f.waitStat(t, "dropped_forged_responses", 1)
}

func TestFailoverOn503(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxFailover = 2 })
	f.ua.send(f.pubAddr, f.request("INVITE", "sip:bob@example.com"))
	first, inv := f.dispatched()
	second := f.proxy1
	if first == f.proxy1 {
		second = f.proxy2
	}
	first.answer(f.priv, inv, 503)
	if ack := first.recvRequest(); ack.Method() != sip.ACK {
		t.Fatalf("first destination got %q, want the ACK for its 503", ack.MethodBytes())
	}
	inv2 := second.recvRequest()
	if inv2.Method() != sip.INVITE || string(inv2.CallID()) != string(inv.CallID()) {
		t.Fatalf("failover sent %q", inv2.MethodBytes())
	}
	second.answer(f.priv, inv2, 200)
	if r := f.ua.recvFinal(); r.StatusCode() != 200 {
		t.Fatalf("UA got %d after failover", r.StatusCode())
	}
	f.waitStat(t, "failovers", 1)
}

func TestCancelReachesTheDestination(t *testing.T) {
	f := newFixture(t, nil)
	invite := f.request("INVITE", "sip:bob@example.com")
	f.ua.send(f.pubAddr, invite)
	dst, inv := f.dispatched()
	dst.answer(f.priv, inv, 180)
	if r := f.ua.recv(); r.StatusCode() != 180 {
		t.Fatalf("UA got %d", r.StatusCode())
	}
	cancel := strings.Replace(strings.Replace(invite, "INVITE sip:", "CANCEL sip:", 1), "CSeq: 1 INVITE", "CSeq: 1 CANCEL", 1)
	f.ua.send(f.pubAddr, cancel)
	if r := f.ua.recvFinal(); r.StatusCode() != 200 {
		t.Fatalf("CANCEL answered %d", r.StatusCode())
	}
	c := dst.recvRequest()
	iv, _ := inv.TopVia()
	cv, _ := c.TopVia()
	if c.Method() != sip.CANCEL || string(cv.Branch()) != string(iv.Branch()) {
		t.Fatalf("destination got %q with branch %q, want CANCEL with %q", c.MethodBytes(), cv.Branch(), iv.Branch())
	}
}

func TestKeepaliveAndMaxForwards(t *testing.T) {
	f := newFixture(t, nil)
	f.ua.send(f.pubAddr, f.request("OPTIONS", fmt.Sprintf("sip:%v", f.pubAddr)))
	if r := f.ua.recvFinal(); r.StatusCode() != 200 {
		t.Fatalf("keepalive OPTIONS got %d", r.StatusCode())
	}
	msg := strings.Replace(f.request("INVITE", "sip:bob@example.com"), "Max-Forwards: 70", "Max-Forwards: 0", 1)
	f.ua.send(f.pubAddr, msg)
	if r := f.ua.recvFinal(); r.StatusCode() != 483 {
		t.Fatalf("Max-Forwards 0 got %d", r.StatusCode())
	}
}

func TestMalformedGets400(t *testing.T) {
	f := newFixture(t, nil)
	msg := strings.Replace(f.request("INVITE", "sip:bob@example.com"), "CSeq: 1 INVITE", "CSeq: 99999999999 INVITE", 1)
	f.ua.send(f.pubAddr, msg)
	r := f.ua.recvFinal()
	if r.StatusCode() != 400 || !strings.Contains(string(r.Reason()), "CSeq") {
		t.Fatalf("got %d %q", r.StatusCode(), r.Reason())
	}
	f.ua.send(f.pubAddr, "garbage\r\n\r\n")
	f.waitStat(t, "dropped_malformed", 1)
}

// TestStrictRouterCompat covers RFC 3261 §16.4 (the previous hop was a
// strict router) and §16.6 step 6 (the next hop is one).
func TestStrictRouterCompat(t *testing.T) {
	f := newFixture(t, nil)
	// From a strict router: R-URI is the LB's RR URI, the real target is
	// the last Route.
	msg := fmt.Sprintf("BYE sip:%v;lr;r2=on SIP/2.0\r\nVia: SIP/2.0/UDP %v;branch=z9hG4bK-strict-1\r\n"+
		"Route: <sip:uas@%v>\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"+
		"Call-ID: strict-1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", f.pubAddr, f.ua.addr(), f.proxy1.addr())
	f.ua.send(f.pubAddr, msg)
	got := f.proxy1.recvRequest()
	if string(got.RequestURIBytes()) != fmt.Sprintf("sip:uas@%v", f.proxy1.addr()) || got.Count(sip.HdrRoute) != 0 {
		t.Fatalf("R-URI %q, %d Routes", got.RequestURIBytes(), got.Count(sip.HdrRoute))
	}
	// To a strict router: the next Route lacks ;lr.
	msg = fmt.Sprintf("BYE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP %v;branch=z9hG4bK-strict-2\r\n"+
		"Route: <sip:%v;lr;r2=on>, <sip:%v>\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"+
		"Call-ID: strict-2\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", f.ua.addr(), f.pubAddr, f.proxy2.addr())
	f.ua.send(f.pubAddr, msg)
	got = f.proxy2.recvRequest()
	routes := allValues(got, sip.HdrRoute)
	if string(got.RequestURIBytes()) != fmt.Sprintf("sip:%v", f.proxy2.addr()) || len(routes) != 1 || routes[0] != "<sip:bob@example.com>" {
		t.Fatalf("R-URI %q, Routes %q", got.RequestURIBytes(), routes)
	}
}

// TestTryingIsHopByHop: the destination's 100 Trying is not relayed
// (RFC 3261 §16.7 step 5); a caller that retransmits its INVITE gets a 100
// of the LB's own, and the 180 that follows is relayed as usual.
func TestTryingIsHopByHop(t *testing.T) {
	f := newFixture(t, nil)
	invite := f.request("INVITE", "sip:bob@example.com")
	f.ua.send(f.pubAddr, invite)
	proxy, inv := f.dispatched()
	proxy.answer(f.priv, inv, 100)
	f.ua.send(f.pubAddr, invite) // the caller retransmits
	if r := f.ua.recv(); r.StatusCode() != 100 || r.Count(sip.HdrVia) != 1 {
		t.Fatalf("UA got %d with %d Vias, want the LB's own 100", r.StatusCode(), r.Count(sip.HdrVia))
	}
	proxy.answer(f.priv, inv, 180)
	if r := f.ua.recv(); r.StatusCode() != 180 {
		t.Fatalf("UA got %d, want 180", r.StatusCode())
	}
}

// A received= written by the sender itself is replaced by its real
// source: the backends trust the origin the LB records.
func TestForgedReceivedReplaced(t *testing.T) {
	f := newFixture(t, nil)
	msg := f.request("INVITE", "sip:bob@example.com")
	msg = strings.Replace(msg, ";rport\r\n", ";received=192.0.2.99\r\n", 1)
	f.ua.send(f.pubAddr, msg)
	_, inv := f.dispatched()
	var vias []sip.Via
	_ = inv.Vias(func(v sip.Via) bool { vias = append(vias, v); return true })
	if got := string(vias[1].Received()); got != "127.0.0.1" {
		t.Errorf("the UA's Via says received=%s, want its real source 127.0.0.1: %s", got, vias[1].Raw)
	}
}
