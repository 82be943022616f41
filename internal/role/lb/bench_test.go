package lb

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"testing"

	"github.com/sipfleet/sipfleet/internal/dispatcher"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// callBench drives the LB's handler with the messages of the shared
// harness's SIPp call (INVITE, 100, 180, 200, ACK, BYE, 200), built in
// place so that the benchmark itself allocates nothing per call: allocs/op
// is the LB's. The LB's sends really go out, to sockets nobody reads.
type callBench struct {
	lb  *LB
	pkt transport.Packet
	uas netip.AddrPort
	ua  netip.AddrPort
	// Pieces of the messages, made once so that building a call's
	// messages allocates nothing.
	inviteURI, dlgURI, route, to, uaVia0, lbVia0, rr, contact string
	buf                                                       []byte
	callID                                                    []byte
	uaVia                                                     []byte
	lbVia                                                     []byte
	invite                                                    []byte
	scratch                                                   sip.Msg
}

func newCallBench(b *testing.B) *callBench {
	b.Helper()
	var backends [2]netip.AddrPort
	for i := range backends {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		backends[i] = c.LocalAddr().(*net.UDPAddr).AddrPort()
	}
	l, err := dispatcher.ParseList("bench.list", fmt.Appendf(nil, "1 sip:%v\n1 sip:%v\n", backends[0], backends[1]))
	if err != nil {
		b.Fatal(err)
	}
	d, err := dispatcher.New(l, dispatcher.Options{})
	if err != nil {
		b.Fatal(err)
	}
	lb, err := New(Options{
		Transport: transport.Config{Listeners: []transport.ListenerConfig{
			{Name: "lb", Side: "public", Proto: transport.UDP, Addr: netip.MustParseAddrPort("127.0.0.1:0")},
		}},
		Dispatcher: d,
		Algorithm:  dispatcher.AlgRoundRobin,
		ProxySet:   1,
		Secret:     []byte("bench-secret-0123456789"),
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := lb.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = lb.Close(context.Background()) })
	ln := lb.Transport().Listener("lb")
	cb := &callBench{
		lb:     lb,
		pkt:    transport.Packet{Listener: ln, Sock: ln.Sockets()[0], Proto: transport.UDP},
		uas:    backends[0],
		ua:     netip.MustParseAddrPort("127.0.0.1:5090"), // nobody listens: the LB's answers to it are lost
		buf:    make([]byte, 0, 2048),
		invite: make([]byte, 0, 2048),
	}
	lbHost := ln.Addr().String()
	cb.inviteURI, cb.dlgURI = "sip:svc@"+lbHost, "sip:uas@"+cb.uas.String()
	cb.route, cb.rr = "Route: <sip:"+lbHost+";lr>\r\n", "Record-Route: <sip:"+lbHost+";lr>\r\n"
	cb.to, cb.contact = "\r\nTo: <sip:svc@"+lbHost+">", "Contact: <sip:uas@"+cb.uas.String()+">\r\n"
	cb.uaVia0, cb.lbVia0 = "SIP/2.0/UDP "+cb.ua.String()+";branch=z9hG4bK-", "SIP/2.0/UDP "+lbHost+";branch="
	return cb
}

// feed hands the LB one message as if read from src.
func (cb *callBench) feed(src netip.AddrPort, msg []byte) {
	cb.pkt.Src, cb.pkt.Data = src, msg
	cb.lb.HandlePacket(&cb.pkt)
}

const benchSDP = "v=0\r\no=bench 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

// call runs call number n through the LB.
func (cb *callBench) call(n int) {
	cb.callID = strconv.AppendInt(append(cb.callID[:0], "bench-"...), int64(n), 10)
	cb.callID = append(cb.callID, "@127.0.0.1"...)
	cb.invite = cb.request(cb.invite[:0], "INVITE", cb.inviteURI, 1, n, false)
	cb.feed(cb.ua, cb.invite)
	// The LB's Via on the dispatched INVITE: failover attempt 1, socket 0.
	_ = cb.scratch.Parse(cb.invite)
	top, _ := cb.scratch.TopVia()
	cb.lbVia = appendBranch(append(cb.lbVia[:0], cb.lbVia0...),
		cb.lb.sign.mac(&top, cb.callID, 1, 1, 0), 1, 0)
	for _, code := range []int{100, 180, 200} {
		cb.feed(cb.uas, cb.response(code, 1, "INVITE", code == 200))
	}
	cb.feed(cb.ua, cb.request(cb.buf[:0], "ACK", cb.dlgURI, 1, n, true))
	bye := cb.request(cb.buf[:0], "BYE", cb.dlgURI, 2, n, true)
	_ = cb.scratch.Parse(bye)
	top, _ = cb.scratch.TopVia()
	cb.lbVia = appendBranch(append(cb.lbVia[:0], cb.lbVia0...),
		cb.lb.sign.mac(&top, cb.callID, 2, 0, 0), 0, 0)
	cb.feed(cb.ua, bye)
	cb.feed(cb.uas, cb.response(200, 2, "BYE", false))
}

func (cb *callBench) request(b []byte, method, ruri string, seq, n int, inDialog bool) []byte {
	b = append(append(append(append(b, method...), ' '), ruri...), " SIP/2.0\r\n"...)
	cb.uaVia = strconv.AppendInt(append(cb.uaVia[:0], cb.uaVia0...), int64(n), 10)
	cb.uaVia = append(append(cb.uaVia, '-'), method...)
	b = append(append(append(b, "Via: "...), cb.uaVia...), "\r\n"...)
	if inDialog {
		b = append(b, cb.route...)
	}
	b = append(b, "Max-Forwards: 70\r\nFrom: <sip:caller@127.0.0.1:5090>;tag=1c"...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, cb.to...)
	if inDialog {
		b = strconv.AppendInt(append(b, ";tag=uas"...), int64(n), 10)
	}
	b = append(append(append(b, "\r\nCall-ID: "...), cb.callID...), "\r\nCSeq: "...)
	b = append(append(append(strconv.AppendInt(b, int64(seq), 10), ' '), method...), "\r\nContact: <sip:caller@127.0.0.1:5090>\r\n"...)
	if method == "INVITE" {
		b = append(b, "Subject: bench\r\nContent-Type: application/sdp\r\nContent-Length: "...)
		return append(append(strconv.AppendInt(b, int64(len(benchSDP)), 10), "\r\n\r\n"...), benchSDP...)
	}
	return append(b, "Content-Length: 0\r\n\r\n"...)
}

func (cb *callBench) response(code, seq int, method string, sdp bool) []byte {
	b := strconv.AppendInt(append(cb.buf[:0], "SIP/2.0 "...), int64(code), 10)
	b = append(append(append(b, " X\r\nVia: "...), cb.lbVia...), "\r\nVia: "...)
	b = append(append(b, cb.uaVia...), "\r\n"...)
	if method == "INVITE" && code > 100 {
		b = append(b, cb.rr...)
	}
	b = append(b, "From: <sip:caller@127.0.0.1:5090>;tag=1c"...)
	b = append(append(b, cb.callID[len("bench-"):len(cb.callID)-len("@127.0.0.1")]...), cb.to...)
	if code > 100 {
		b = append(append(b, ";tag=uas"...), cb.callID[len("bench-"):len(cb.callID)-len("@127.0.0.1")]...)
	}
	b = append(append(append(b, "\r\nCall-ID: "...), cb.callID...), "\r\nCSeq: "...)
	b = append(append(append(strconv.AppendInt(b, int64(seq), 10), ' '), method...), "\r\n"...)
	if code > 100 {
		b = append(b, cb.contact...)
	}
	if sdp {
		b = append(b, "Content-Type: application/sdp\r\nContent-Length: "...)
		return append(append(strconv.AppendInt(b, int64(len(benchSDP)), 10), "\r\n\r\n"...), benchSDP...)
	}
	return append(b, "Content-Length: 0\r\n\r\n"...)
}

// BenchmarkCallFlow is the LB's work for one call of the harness's load
// (bench/RESULTS.md, issue 3): seven messages in, six out. Its op is a
// call. Wall time per op is mostly the six sendto calls and moves with
// whatever else the machine runs; user-ns/op, the process's user CPU
// time per call, is the LB's own code and the runtime (GC included). The
// counters at the end check that every message took the path a
// real call takes, so a change that made the benchmark drop messages
// cannot pass for a speed-up.
func BenchmarkCallFlow(b *testing.B) {
	cb := newCallBench(b)
	n := 0
	u0, s0 := processCPU()
	for b.Loop() {
		n++
		cb.call(n)
	}
	if u1, s1 := processCPU(); u1 > 0 {
		b.ReportMetric(float64(u1-u0)/float64(n), "user-ns/op")
		b.ReportMetric(float64(s1-s0)/float64(n), "sys-ns/op")
	}
	st := cb.lb.Stats()
	want := map[string]uint64{
		"requests_forwarded": 3 * uint64(n), // INVITE, ACK, BYE
		"responses_relayed":  3 * uint64(n), // 180, 200, 200
		"dropped_malformed":  0, "dropped_forged_responses": 0, "dropped_unroutable": 0,
		"local_replies": 0, "relay_denied": 0, "send_errors": 0,
	}
	for k, v := range want {
		if st[k] != v {
			b.Fatalf("after %d calls, %s = %d, want %d (all: %v)", n, k, st[k], v, st)
		}
	}
}
