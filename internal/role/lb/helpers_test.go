package lb

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/dispatcher"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transaction"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// peer is a UDP SIP endpoint played by the test: a phone or a backend.
type peer struct {
	t *testing.T
	c *net.UDPConn
}

func newPeer(t *testing.T) *peer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &peer{t: t, c: c}
}

func (p *peer) addr() netip.AddrPort { return p.c.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *peer) send(to netip.AddrPort, msg string) {
	p.t.Helper()
	if _, err := p.c.WriteToUDPAddrPort([]byte(msg), to); err != nil {
		p.t.Fatal(err)
	}
}

// recv waits for the next message; a test that expects one fails when
// none comes within a generous bound.
func (p *peer) recv() *sip.Msg {
	p.t.Helper()
	buf := make([]byte, 65535)
	_ = p.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := p.c.ReadFromUDPAddrPort(buf)
	if err != nil {
		p.t.Fatalf("peer %v: no message: %v", p.addr(), err)
	}
	var m sip.Msg
	if err := m.Parse(buf[:n]); err != nil {
		p.t.Fatalf("peer %v: unparseable message: %v\n%s", p.addr(), err, buf[:n])
	}
	return &m
}

// recvRequest skips responses (e.g. a 100 Trying) until a request comes.
func (p *peer) recvRequest() *sip.Msg {
	p.t.Helper()
	for {
		if m := p.recv(); m.IsRequest() {
			return m
		}
	}
}

// recvFinal skips provisional responses.
func (p *peer) recvFinal() *sip.Msg {
	p.t.Helper()
	for {
		if m := p.recv(); !m.IsRequest() && m.StatusCode() >= 200 {
			return m
		}
	}
}

// answer sends a response to req back to its sender (the LB), with To tag.
func (p *peer) answer(to netip.AddrPort, req *sip.Msg, code int, extra ...string) {
	p.t.Helper()
	b := sip.AppendResponseHead(nil, req, code, "", []byte("uas-tag"))
	if code >= 200 && code < 300 || code == 180 {
		b = append(b, "Contact: <sip:uas@"+p.addr().String()+">\r\n"...)
		req.Values(sip.HdrRecordRoute, func(v []byte) bool {
			b = sip.AppendHeader(b, "Record-Route", v)
			return true
		})
	}
	for _, x := range extra {
		b = append(b, x+"\r\n"...)
	}
	p.send(to, string(sip.AppendBody(b, nil)))
}

// fixture is an LB with a public and a private socket, two proxies and a
// registrar played by peers.
type fixture struct {
	lb             *LB
	pubAddr, priv  netip.AddrPort
	proxy1, proxy2 *peer
	registrar      *peer
	ua             *peer
}

func newFixture(t *testing.T, tweak func(*Options)) *fixture {
	t.Helper()
	f := &fixture{proxy1: newPeer(t), proxy2: newPeer(t), registrar: newPeer(t), ua: newPeer(t)}
	list := fmt.Sprintf("1 sip:%v\n1 sip:%v\n2 sip:%v\n", f.proxy1.addr(), f.proxy2.addr(), f.registrar.addr())
	l, err := dispatcher.ParseList("test.list", []byte(list))
	if err != nil {
		t.Fatal(err)
	}
	d, err := dispatcher.New(l, dispatcher.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lo := netip.MustParseAddrPort("127.0.0.1:0")
	opt := Options{
		Transport: transport.Config{Listeners: []transport.ListenerConfig{
			{Name: "pub", Side: "public", Proto: transport.UDP, Addr: lo},
			{Name: "priv", Side: "private", Proto: transport.UDP, Addr: lo},
		}},
		Timers:       transaction.Config{T1: 50 * time.Millisecond, T2: 200 * time.Millisecond, T4: 250 * time.Millisecond},
		Dispatcher:   d,
		Algorithm:    dispatcher.AlgRoundRobin,
		ProxySet:     1,
		RegistrarSet: 2,
		Secret:       []byte("0123456789abcdef-test-secret"),
		PathReceived: ReceivedAlways,
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if tweak != nil {
		tweak(&opt)
	}
	lb, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := lb.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lb.Close(context.Background()) })
	f.lb = lb
	f.pubAddr = lb.Transport().Listener("pub").Addr()
	f.priv = lb.Transport().Listener("priv").Addr()
	return f
}

var callSeq int

// request builds a request from the UA with a fresh Call-ID and branch.
func (f *fixture) request(method, ruri string, extra ...string) string {
	callSeq++
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", method, ruri)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %v;branch=z9hG4bK-ua-%d;rport\r\n", f.ua.addr(), callSeq)
	b.WriteString("Max-Forwards: 70\r\n")
	b.WriteString("From: <sip:alice@example.com>;tag=ua-from\r\n")
	b.WriteString("To: <sip:bob@example.com>\r\n")
	fmt.Fprintf(&b, "Call-ID: call-%d@test\r\n", callSeq)
	fmt.Fprintf(&b, "CSeq: 1 %s\r\n", method)
	fmt.Fprintf(&b, "Contact: <sip:alice@%v>\r\n", f.ua.addr())
	for _, x := range extra {
		b.WriteString(x + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

// waitStat polls a counter until it reaches want, within a deadline: a
// drop has no message to wait for, only the counter that records it.
func (f *fixture) waitStat(t *testing.T, name string, want uint64) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for f.lb.Stats()[name] < want {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("counter %s = %d, want %d", name, f.lb.Stats()[name], want)
		}
	}
}

func hdr(m *sip.Msg, id sip.HdrID) string {
	v, _ := m.Get(id)
	return string(v)
}

func allValues(m *sip.Msg, id sip.HdrID) []string {
	var out []string
	m.Values(id, func(v []byte) bool { out = append(out, string(v)); return true })
	return out
}

// dispatched waits for the INVITE the LB dispatched to one of the two
// proxies, and says which.
func (f *fixture) dispatched() (*peer, *sip.Msg) {
	select {
	case inv := <-recvAsync(f.proxy1):
		return f.proxy1, inv
	case inv := <-recvAsync(f.proxy2):
		return f.proxy2, inv
	}
}
