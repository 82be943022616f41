package transport

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func tcpListener(name string, ip netip.Addr) ListenerConfig {
	return ListenerConfig{Name: name, Side: "private", Proto: TCP, Addr: anyPort(ip)}
}

// TestTCPReplyOnSameConn: the reply goes back on the connection the
// request came in on (RFC 3261 §18.2.2), and the table knows it.
func TestTCPReplyOnSameConn(t *testing.T) {
	families(t, func(t *testing.T, ip netip.Addr) {
		rec := newRecorder()
		tr := startSelf(t, Config{Listeners: []ListenerConfig{tcpListener("t", ip)}}, func(tr *Transport) Handler {
			return HandlerFunc(func(p *Packet) {
				rec.HandlePacket(p)
				tr.Reply(p, sipMsg("reply", string(p.Data[:7])))
			})
		})
		c := dialStream(t, tr.Listener("t").Addr())
		c.send(t, sipMsg("req", ""))
		p := rec.next(t)
		if got := c.readMessage(t); !bytes.Equal(got, sipMsg("reply", "MESSAGE")) {
			t.Fatalf("reply %q", got)
		}
		client := addrPort(c.LocalAddr())
		if p.Conn == 0 || p.Src != client || p.Proto != TCP || p.Sock != nil {
			t.Fatalf("packet conn %d src %v proto %v", p.Conn, p.Src, p.Proto)
		}
		info, ok := tr.Conn(p.Conn)
		if !ok || info.Remote != client || info.Outbound || info.Local != tr.Listener("t").Addr() {
			t.Fatalf("Conn(%d) = %+v, %v", p.Conn, info, ok)
		}
		if by, ok := tr.ConnTo(tr.Listener("t"), client); !ok || by.ID != p.Conn {
			t.Fatalf("ConnTo = %+v, %v", by, ok)
		}
	})
}

// pipeTransport serves one end of a net.Pipe as an accepted connection.
// Pipe writes block until read, so each client Write is exactly one server
// Read: the split points are deterministic.
func pipeTransport(t *testing.T, cfg Config, rec Handler) (*Transport, net.Conn) {
	cfg.Handler = rec
	cfg.Listeners = []ListenerConfig{tcpListener("t", loop4)}
	tr := start(t, cfg)
	server, client := net.Pipe()
	t.Cleanup(func() { client.Close() })
	tr.accepted(tr.Listener("t"), server)
	return tr, client
}

// TestStreamSplitReads: messages delivered one byte per read frame the same
// as whole ones.
func TestStreamSplitReads(t *testing.T) {
	rec := newRecorder()
	_, client := pipeTransport(t, Config{}, rec)
	msgs := [][]byte{readFile(t, "invite.sip"), readFile(t, "folded-lf.sip"), sipMsg("third", "body")}
	stream := bytes.Join(msgs, []byte("\r\n")) // a leading CRLF before the 2nd and 3rd
	for i := range stream {
		if _, err := client.Write(stream[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range msgs {
		if got := rec.next(t); !bytes.Equal(got.Data, want) {
			t.Fatalf("message %d: got %q", i, got.Data)
		}
	}
}

// TestStreamSeveralMessagesOneRead: one read holding three messages gives
// three packets in order.
func TestStreamSeveralMessagesOneRead(t *testing.T) {
	rec := newRecorder()
	_, client := pipeTransport(t, Config{}, rec)
	msgs := [][]byte{sipMsg("a", "1"), sipMsg("b", ""), sipMsg("c", "333")}
	if _, err := client.Write(bytes.Join(msgs, nil)); err != nil {
		t.Fatal(err)
	}
	for i, want := range msgs {
		if got := rec.next(t); !bytes.Equal(got.Data, want) {
			t.Fatalf("message %d: got %q", i, got.Data)
		}
	}
}

// TestStreamLargeMessage: a message bigger than the initial buffer grows it.
func TestStreamLargeMessage(t *testing.T) {
	rec := newRecorder()
	tr := start(t, Config{Handler: rec, Listeners: []ListenerConfig{tcpListener("t", loop4)}})
	c := dialStream(t, tr.Listener("t").Addr())
	big := sipMsg("big", strings.Repeat("x", 60000))
	c.send(t, big)
	c.send(t, sipMsg("small", ""))
	if got := rec.next(t); !bytes.Equal(got.Data, big) {
		t.Fatalf("got %d bytes, want %d", len(got.Data), len(big))
	}
	if got := rec.next(t); !bytes.Equal(got.Data, sipMsg("small", "")) {
		t.Fatalf("got %q", got.Data)
	}
}

// TestCRLFKeepalive: RFC 5626 §4.4.1 — a CRLFCRLF ping, even split across
// reads, gets one CRLF; a lone CRLF pong gets nothing.
func TestCRLFKeepalive(t *testing.T) {
	rec := newRecorder()
	tr := startSelf(t, Config{Listeners: []ListenerConfig{tcpListener("t", loop4)}}, func(tr *Transport) Handler {
		return HandlerFunc(func(p *Packet) { rec.HandlePacket(p); tr.Reply(p, p.Data) })
	})
	c := dialStream(t, tr.Listener("t").Addr())
	c.send(t, []byte("\r\n\r\n"))
	if got := c.readExactly(t, 2); string(got) != "\r\n" {
		t.Fatalf("pong %q", got)
	}
	c.send(t, []byte("\r\n"))
	c.send(t, []byte("\r\n")) // the second half of a split ping
	if got := c.readExactly(t, 2); string(got) != "\r\n" {
		t.Fatalf("pong %q", got)
	}
	c.send(t, []byte("\r\n")) // a pong from the peer: ignored
	msg := sipMsg("after-pong", "")
	c.send(t, msg)
	if got := c.readExactly(t, len(msg)); !bytes.Equal(got, msg) {
		t.Fatalf("after a pong got %q, want the echo alone", got)
	}
	rec.next(t)
	if st := tr.Stats(); st.PingsIn != 2 || st.PongsOut != 2 || st.PacketsIn != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestStreamFramingErrorsClose: any message that cannot be framed closes
// the connection with the reason (RFC 3261 §18.3).
func TestStreamFramingErrorsClose(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"header too large", startLine + "X: " + strings.Repeat("a", 600), ErrHeaderTooLarge},
		{"body too large", startLine + "l: 2000\r\n\r\n", ErrBodyTooLarge},
		{"missing content-length", startLine + "Via: x\r\n\r\n", ErrNoContentLength},
		{"negative content-length", startLine + "Content-Length: -4\r\n\r\n", ErrBadContentLength},
		{"non-numeric content-length", startLine + "l: 4x\r\n\r\n", ErrBadContentLength},
		{"conflicting content-length", startLine + "l: 4\r\nl: 5\r\n\r\nabcde", ErrBadContentLength},
	}
	closed := newCloseWatcher()
	rec := newRecorder()
	tr := start(t, Config{
		Handler: rec, OnConnClose: closed.fn, MaxHeaderBytes: 512, MaxBodyBytes: 1024,
		Listeners: []ListenerConfig{tcpListener("t", loop4)},
	})
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialStream(t, tr.Listener("t").Addr())
			c.send(t, sipMsg("good", ""))
			rec.next(t)
			c.send(t, []byte(tt.in))
			ev := closed.next(t)
			if !errors.Is(ev.err, tt.want) {
				t.Fatalf("closed with %v, want %v", ev.err, tt.want)
			}
			c.waitClosed(t)
			if st := tr.Stats(); st.FramingErrors != uint64(i+1) {
				t.Errorf("framing errors %d, want %d", st.FramingErrors, i+1)
			}
		})
	}
}

// TestSlowLoris: a peer trickling a header byte every 20 ms is cut off
// HeaderTimeout after its first byte, though every read succeeds.
func TestSlowLoris(t *testing.T) {
	for _, tc := range []struct {
		name   string
		prefix string
		want   error
	}{
		{"header", "", ErrHeaderTimeout},
		{"body", startLine + "l: 100\r\n\r\n", ErrBodyTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) { testSlowLoris(t, tc.prefix, tc.want) })
	}
}

func testSlowLoris(t *testing.T, prefix string, want error) {
	const timeout = 300 * time.Millisecond
	closed := newCloseWatcher()
	tr := start(t, Config{
		Handler: newRecorder(), OnConnClose: closed.fn, IdleTimeout: time.Minute,
		HeaderTimeout: timeout, BodyTimeout: timeout,
		Listeners: []ListenerConfig{tcpListener("t", loop4)},
	})
	c := dialStream(t, tr.Listener("t").Addr())
	began := time.Now()
	c.send(t, []byte(prefix+"O"))
	stop := make(chan struct{})
	defer close(stop)
	go trickle(c, stop)
	ev := closed.next(t)
	elapsed := time.Since(began)
	if !errors.Is(ev.err, want) {
		t.Fatalf("closed with %v, want %v", ev.err, want)
	}
	if elapsed < timeout || elapsed > timeout+2*time.Second {
		t.Errorf("cut off after %v, want about %v", elapsed, timeout)
	}
	if st := tr.Stats(); st.ReadTimeouts != 1 {
		t.Errorf("read timeouts %d", st.ReadTimeouts)
	}
}

// trickle is the attack: one byte every 20 ms until the server gives up.
func trickle(c net.Conn, stop chan struct{}) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
		}
	}
}

// TestIdleTimeout: a connection without traffic is closed after
// IdleTimeout; writes count as traffic.
func TestIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	closed := newCloseWatcher()
	rec := newRecorder()
	tr := start(t, Config{
		Handler: rec, OnConnClose: closed.fn, IdleTimeout: idle,
		Listeners: []ListenerConfig{tcpListener("t", loop4)},
	})
	c := dialStream(t, tr.Listener("t").Addr())
	c.send(t, sipMsg("hello", ""))
	p := rec.next(t)
	began := time.Now()
	tick := time.NewTicker(idle / 3) // the traffic pattern under test
	defer tick.Stop()
	for range 4 { // server writes keep it open past one IdleTimeout
		if err := tr.SendConn(p.Conn, sipMsg("keep", "")); err != nil {
			t.Fatalf("send %v after %v", err, time.Since(began))
		}
		c.readMessage(t)
		<-tick.C
	}
	ev := closed.next(t)
	if !errors.Is(ev.err, ErrIdleTimeout) || ev.info.ID != p.Conn {
		t.Fatalf("closed conn %d with %v", ev.info.ID, ev.err)
	}
	if elapsed := time.Since(began); elapsed < idle*4/3 {
		t.Errorf("closed after %v despite writes", elapsed)
	}
	c.waitClosed(t)
	if _, ok := tr.Conn(p.Conn); ok {
		t.Error("closed connection still in the table")
	}
	if st := tr.Stats(); st.IdleTimeouts != 1 || st.ConnsOpen != 0 || st.ConnsClosed != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestMaxConns: beyond MaxConns a new connection is closed at once.
func TestMaxConns(t *testing.T) {
	rec := newRecorder()
	tr := start(t, Config{Handler: rec, MaxConns: 1, Listeners: []ListenerConfig{tcpListener("t", loop4)}})
	first := dialStream(t, tr.Listener("t").Addr())
	first.send(t, sipMsg("first", ""))
	rec.next(t)
	second := dialStream(t, tr.Listener("t").Addr())
	second.waitClosed(t)
	if st := tr.Stats(); st.ConnsRejected != 1 || st.ConnsOpen != 1 {
		t.Errorf("stats %+v", st)
	}
	first.send(t, sipMsg("still", ""))
	rec.next(t)
}

// TestCloseConn: closing by ID reaches the peer and the callback.
func TestCloseConn(t *testing.T) {
	closed := newCloseWatcher()
	rec := newRecorder()
	tr := start(t, Config{Handler: rec, OnConnClose: closed.fn, Listeners: []ListenerConfig{tcpListener("t", loop4)}})
	c := dialStream(t, tr.Listener("t").Addr())
	c.send(t, sipMsg("x", ""))
	p := rec.next(t)
	if err := tr.CloseConn(p.Conn); err != nil {
		t.Fatal(err)
	}
	if ev := closed.next(t); !errors.Is(ev.err, ErrConnClosed) {
		t.Fatalf("reason %v", ev.err)
	}
	c.waitClosed(t)
	if err := tr.SendConn(p.Conn, []byte("x")); !errors.Is(err, ErrNoConn) {
		t.Fatalf("send on closed conn: %v", err)
	}
	if err := tr.CloseConn(p.Conn); !errors.Is(err, ErrNoConn) {
		t.Fatalf("second close: %v", err)
	}
}

// TestPeerCloseReported: the peer hanging up reaches OnConnClose as io.EOF
// (the registrar's "flow failed", RFC 5626 §4.4).
func TestPeerCloseReported(t *testing.T) {
	closed := newCloseWatcher()
	rec := newRecorder()
	tr := start(t, Config{Handler: rec, OnConnClose: closed.fn, Listeners: []ListenerConfig{tcpListener("t", loop4)}})
	c := dialStream(t, tr.Listener("t").Addr())
	c.send(t, sipMsg("x", ""))
	p := rec.next(t)
	c.Close()
	ev := closed.next(t)
	if ev.info.ID != p.Conn || ev.err == nil || !strings.Contains(fmt.Sprint(ev.err), "EOF") {
		t.Fatalf("closed %d with %v", ev.info.ID, ev.err)
	}
}
