package transport

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// peers starts two transports with one stream listener each: a dials b.
func peers(t *testing.T, ip netip.Addr, proto Proto, tlsCfg func(*ListenerConfig)) (a, b *Transport, ra, rb *recorder) {
	ra, rb = newRecorder(), newRecorder()
	lc := ListenerConfig{Name: "s", Side: "private", Proto: proto, Addr: anyPort(ip)}
	if tlsCfg != nil {
		tlsCfg(&lc)
	}
	a = start(t, Config{Handler: ra, Listeners: []ListenerConfig{lc}})
	b = startSelf(t, Config{Listeners: []ListenerConfig{lc}}, func(tr *Transport) Handler {
		return HandlerFunc(func(p *Packet) {
			rb.HandlePacket(p)
			tr.Reply(p, sipMsg("reply", ""))
		})
	})
	return a, b, ra, rb
}

// TestSendStreamDialsAndReuses: the first send dials from the listener's
// IP, the second reuses the connection, and the peer's reply on that
// connection arrives tagged with the same ConnID.
func TestSendStreamDialsAndReuses(t *testing.T) {
	families(t, func(t *testing.T, ip netip.Addr) {
		a, b, ra, rb := peers(t, ip, TCP, nil)
		la, dst := a.Listener("s"), b.Listener("s").Addr()
		ctx := context.Background()
		id1, err := a.SendStream(ctx, la, dst, sipMsg("one", ""))
		if err != nil {
			t.Fatal(err)
		}
		id2, err := a.SendStream(ctx, la, dst, sipMsg("two", ""))
		if err != nil || id2 != id1 {
			t.Fatalf("second send on %d (%v), first on %d", id2, err, id1)
		}
		p1, p2 := rb.next(t), rb.next(t)
		if p1.Conn != p2.Conn || b.Stats().ConnsAccepted != 1 {
			t.Fatalf("peer saw conns %d and %d", p1.Conn, p2.Conn)
		}
		for range 2 {
			if r := ra.next(t); r.Conn != id1 || r.Src != dst {
				t.Fatalf("reply on conn %d from %v", r.Conn, r.Src)
			}
		}
		info, ok := a.Conn(id1)
		if !ok || !info.Outbound || info.Local.Addr() != ip || info.Remote != dst || info.Proto != TCP {
			t.Fatalf("Conn = %+v, %v", info, ok)
		}
		if by, ok := a.ConnTo(la, dst); !ok || by.ID != id1 {
			t.Fatalf("ConnTo = %+v, %v", by, ok)
		}
		if p1.Src != info.Local {
			t.Errorf("peer saw source %v, local is %v", p1.Src, info.Local)
		}
		if st := a.Stats(); st.ConnsDialed != 1 || st.ConnsOpen != 1 || len(a.Conns()) != 1 {
			t.Errorf("stats %+v, conns %v", st, a.Conns())
		}
	})
}

// TestSendStreamConcurrentDial: simultaneous sends to a new destination
// share one connection.
func TestSendStreamConcurrentDial(t *testing.T) {
	a, b, _, rb := peers(t, loop4, TCP, nil)
	const n = 8
	ids := make([]ConnID, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id, err := a.SendStream(context.Background(), a.Listener("s"), b.Listener("s").Addr(), sipMsg("c", ""))
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	for i := range n {
		rb.next(t)
		if ids[i] != ids[0] {
			t.Fatalf("send %d on conn %d, send 0 on %d", i, ids[i], ids[0])
		}
	}
	if st := b.Stats(); st.ConnsAccepted != 1 {
		t.Errorf("peer accepted %d connections", st.ConnsAccepted)
	}
}

// TestDialAlwaysNew: Dial opens a separate flow; SendStream then uses the
// newest connection to that destination.
func TestDialAlwaysNew(t *testing.T) {
	a, b, _, rb := peers(t, loop4, TCP, nil)
	la, dst := a.Listener("s"), b.Listener("s").Addr()
	ctx := context.Background()
	id1, err := a.Dial(ctx, la, dst, "")
	if err != nil {
		t.Fatal(err)
	}
	id2, err := a.Dial(ctx, la, dst, "")
	if err != nil || id2 == id1 {
		t.Fatalf("dial: %d, %v (first %d)", id2, err, id1)
	}
	id, err := a.SendStream(ctx, la, dst, sipMsg("x", ""))
	if err != nil || id != id2 {
		t.Fatalf("SendStream on %d (%v), want newest %d", id, err, id2)
	}
	rb.next(t)
	if err := a.SendConn(id1, sipMsg("old", "")); err != nil {
		t.Fatal(err)
	}
	rb.next(t)
}

func TestDialErrors(t *testing.T) {
	a := start(t, Config{Handler: newRecorder(), Listeners: []ListenerConfig{
		tcpListener("t", loop4), udpListener("u", loop4, 1),
	}})
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := addrPort(ln.Addr())
	ln.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		l    string
		dst  netip.AddrPort
		want error
	}{
		{"from a UDP listener", context.Background(), "u", refused, ErrWrongProto},
		{"family mismatch", context.Background(), "t", netip.MustParseAddrPort("[::1]:5060"), ErrAddrFamily},
		{"refused", context.Background(), "t", refused, nil},
		{"cancelled", cancelled, "t", refused, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Dial(tt.ctx, a.Listener(tt.l), tt.dst, "")
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if st := a.Stats(); st.DialErrors != 2 || st.ConnsOpen != 0 {
		t.Errorf("stats %+v", st)
	}
	if _, err := a.SendStream(context.Background(), a.Listener("t"), refused, []byte("x")); err == nil {
		t.Error("SendStream to a closed port: no error")
	}
}

func TestSendConnUnknown(t *testing.T) {
	tr := start(t, Config{Handler: newRecorder(), Listeners: []ListenerConfig{tcpListener("t", loop4)}})
	if err := tr.SendConn(12345, []byte("x")); !errors.Is(err, ErrNoConn) {
		t.Fatalf("err = %v", err)
	}
}

// TestSendPicksByProto: Send goes by UDP or stream according to the listener.
func TestSendPicksByProto(t *testing.T) {
	rec := newRecorder()
	b := start(t, Config{Handler: rec, Listeners: []ListenerConfig{udpListener("u", loop4, 2), tcpListener("t", loop4)}})
	a := start(t, Config{Handler: newRecorder(), Listeners: []ListenerConfig{udpListener("u", loop4, 2), tcpListener("t", loop4)}})
	ctx := context.Background()
	for _, name := range []string{"u", "t"} {
		id, err := a.Send(ctx, a.Listener(name), b.Listener(name).Addr(), sipMsg(name, ""))
		if err != nil || (id == 0) != (name == "u") {
			t.Fatalf("%s: conn %d, %v", name, id, err)
		}
		p := rec.next(t)
		if p.Listener.Name() != name || p.Src.Addr() != loop4 || !bytes.Equal(p.Data, sipMsg(name, "")) {
			t.Fatalf("%s: got %+v", name, p)
		}
	}
}
