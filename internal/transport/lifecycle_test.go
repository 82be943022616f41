package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"net/netip"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestCloseNoLeak: with UDP, TCP and TLS listeners, accepted and dialed
// connections open, Close leaves no goroutine behind.
func TestCloseNoLeak(t *testing.T) {
	defer goleak.VerifyNone(t)
	cert, roots := selfSigned(t)
	closed := newCloseWatcher()
	rec := newRecorder()
	tlsL := ListenerConfig{Name: "tls", Proto: TLS, Addr: anyPort(loop4),
		TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, TLSClient: &tls.Config{RootCAs: roots}}
	tr, err := New(Config{Handler: rec, OnConnClose: closed.fn, Listeners: []ListenerConfig{
		udpListener("udp", loop4, 4), tcpListener("tcp", loop4), tlsL,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := dialStream(t, tr.Listener("tcp").Addr())
	c.send(t, sipMsg("in", ""))
	rec.next(t)
	ctx := context.Background()
	for _, name := range []string{"tcp", "tls"} { // dial ourselves
		if _, err := tr.SendStream(ctx, tr.Listener(name), tr.Listener(name).Addr(), sipMsg(name, "")); err != nil {
			t.Fatal(err)
		}
		rec.next(t)
	}
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for range 5 { // 1 accepted + 2 dialed + their 2 accepted ends
		if ev := closed.next(t); !errors.Is(ev.err, ErrClosed) && ev.err == nil {
			t.Errorf("conn %d closed with %v", ev.info.ID, ev.err)
		}
	}
	c.Close()
}

// TestCloseWaitsForHandler: Close lets the running handler finish; with a
// short ctx it reports the handler as stuck, and a later Close completes.
func TestCloseWaitsForHandler(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	h := HandlerFunc(func(*Packet) {
		close(entered)
		<-release
	})
	tr, err := New(Config{Handler: h, Listeners: []ListenerConfig{udpListener("u", loop4, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	udpClient(t, loop4).WriteToUDPAddrPort([]byte("x"), tr.Listener("u").Addr())
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := tr.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a stuck handler: %v", err)
	}
	close(release)
	closeTransport(t, tr)
}

func TestSendAfterClose(t *testing.T) {
	tr, err := New(Config{Handler: newRecorder(), Listeners: []ListenerConfig{
		udpListener("u", loop4, 1), tcpListener("t", loop4),
	}})
	if err != nil {
		t.Fatal(err)
	}
	dst := netip.MustParseAddrPort("127.0.0.1:5060")
	if _, err := tr.SendStream(context.Background(), tr.Listener("t"), dst, []byte("x")); !errors.Is(err, ErrNotStarted) {
		t.Errorf("before Start: %v", err)
	}
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); err == nil {
		t.Error("second Start: no error")
	}
	closeTransport(t, tr)
	if err := tr.SendUDP(tr.Listener("u").Sockets()[0], dst, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("SendUDP: %v", err)
	}
	if _, err := tr.SendStream(context.Background(), tr.Listener("t"), dst, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("SendStream: %v", err)
	}
	closeTransport(t, tr) // idempotent
}

// TestStartFailureUnbinds: when one listener cannot bind, the others are
// released, so a retry can have them.
func TestStartFailureUnbinds(t *testing.T) {
	holder := start(t, Config{Handler: newRecorder(), Listeners: []ListenerConfig{tcpListener("t", loop4)}})
	taken := holder.Listener("t").Addr()
	first := udpListener("u", loop4, 1)
	first.Addr = netip.AddrPortFrom(loop4, taken.Port()) // UDP: free
	busy := ListenerConfig{Name: "busy", Proto: TCP, Addr: taken}
	tr, err := New(Config{Handler: newRecorder(), Listeners: []ListenerConfig{first, busy}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); err == nil {
		t.Fatal("Start on a taken port: no error")
	}
	if err := tr.Start(context.Background()); err == nil {
		t.Error("Start after a failed Start: no error")
	}
	closeTransport(t, tr)
	start(t, Config{Handler: newRecorder(), Listeners: []ListenerConfig{first}}) // was released
}

// TestHandlerPanic: a panicking handler neither kills the read loop nor
// floods the log: every panic is counted, one is logged.
func TestHandlerPanic(t *testing.T) {
	for _, proto := range []Proto{UDP, TCP} {
		t.Run(proto.String(), func(t *testing.T) {
			var logs logBuffer
			rec := newRecorder()
			h := HandlerFunc(func(p *Packet) {
				if string(p.Data[:5]) == "PANIC" {
					panic("bad message")
				}
				rec.HandlePacket(p)
			})
			lc := ListenerConfig{Name: "l", Proto: proto, Addr: anyPort(loop4)}
			tr := start(t, Config{Handler: h, Logger: logs.logger(), Listeners: []ListenerConfig{lc}})
			bad := append([]byte("PANIC"), sipMsg("p", "")...)
			sendAll(t, tr, proto, bad, bad, sipMsg("ok", ""))
			if p := rec.next(t); string(p.Data) != string(sipMsg("ok", "")) {
				t.Fatalf("got %q", p.Data)
			}
			if st := tr.Stats(); st.Panics != 2 || st.PacketsIn != 3 {
				t.Errorf("stats %+v", st)
			}
			if n := logs.count("handler panic recovered"); n != 1 {
				t.Errorf("logged %d panics, want 1", n)
			}
		})
	}
}

func sendAll(t *testing.T, tr *Transport, proto Proto, msgs ...[]byte) {
	dst := tr.Listener("l").Addr()
	if proto == UDP {
		c := udpClient(t, loop4)
		for _, m := range msgs {
			c.WriteToUDPAddrPort(m, dst)
		}
		return
	}
	c := dialStream(t, dst)
	for _, m := range msgs {
		c.send(t, m)
	}
}
