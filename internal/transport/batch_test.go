package transport

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

// A burst: burstSources client sockets send burstPerSource numbered
// datagrams each, interleaved, back to back, 1,000 in all.
const (
	burstSources   = 10
	burstPerSource = 100
	burstTotal     = burstSources * burstPerSource
	burstBuffer    = 1 << 20 // SO_RCVBUF that holds the whole burst (~850 bytes a datagram)
)

func burstMsg(src, seq int) []byte {
	return fmt.Appendf(nil, "OPTIONS sip:%d@burst.test SIP/2.0\r\nCSeq: %d OPTIONS\r\n\r\n", src, seq)
}

// gate holds every read loop on its first datagram until open, so the
// rest of the burst waits in the socket buffer and comes in full batches.
type gate chan struct{}

func (g gate) wait() { <-g }
func (g gate) open() { close(g) }

// burstServer starts a transport whose handler passes the gate, then runs
// h; and the burst's client sockets.
func burstServer(t *testing.T, ip netip.Addr, sockets, batch int, h func(*Transport, *Packet), opts ...func(*ListenerConfig)) (*Transport, gate, []*net.UDPConn) {
	t.Helper()
	g := make(gate)
	lc := udpListener("u", ip, sockets)
	lc.Batch, lc.ReadBuffer = batch, burstBuffer
	for _, o := range opts {
		o(&lc)
	}
	tr := startSelf(t, Config{Listeners: []ListenerConfig{lc}}, func(tr *Transport) Handler {
		return HandlerFunc(func(p *Packet) {
			g.wait()
			h(tr, p)
		})
	})
	for _, s := range tr.Listener("u").Sockets() {
		ensureReceiveBuffer(t, s, burstBuffer)
	}
	clients := make([]*net.UDPConn, burstSources)
	for i := range clients {
		clients[i] = udpClient(t, ip)
	}
	return tr, g, clients
}

// sendBurst sends the whole burst, then opens the gate.
func sendBurst(t *testing.T, clients []*net.UDPConn, dst netip.AddrPort, g gate) {
	t.Helper()
	for seq := range burstPerSource {
		for src, c := range clients {
			if _, err := c.WriteToUDPAddrPort(burstMsg(src, seq), dst); err != nil {
				t.Fatal(err)
			}
		}
	}
	g.open()
}

// expectReplies reads what client src gets back, in order, and compares
// it with want(seq) for every datagram of the burst.
func expectReplies(t *testing.T, c *net.UDPConn, src int, want func(src, seq int) [][]byte) {
	t.Helper()
	buf := make([]byte, 2048)
	for seq := range burstPerSource {
		for _, w := range want(src, seq) {
			c.SetReadDeadline(time.Now().Add(waitFor))
			n, _, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				t.Fatalf("source %d, datagram %d: %v", src, seq, err)
			}
			if !bytes.Equal(buf[:n], w) {
				t.Fatalf("source %d, datagram %d: got %q, want %q", src, seq, buf[:n], w)
			}
		}
	}
}

func echoOf(src, seq int) [][]byte { return [][]byte{burstMsg(src, seq)} }

// TestUDPBurstEchoed: 1,000 datagrams sent at once are all received and
// all echoed, in order per source, with and without batching; batched, they
// take a few dozen system calls each way instead of 1,000.
func TestUDPBurstEchoed(t *testing.T) {
	tests := []struct {
		name           string
		sockets, batch int
		blocking       bool
	}{
		{"unbatched", 1, 1, false},
		{"batched", 1, defaultBatch, false},
		{"batched two sockets", 2, defaultBatch, false},
		{"blocking unbatched", 1, 1, true},
		{"blocking", 1, defaultBatch, true},
		{"blocking two sockets", 2, defaultBatch, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			families(t, func(t *testing.T, ip netip.Addr) {
				tr, g, clients := burstServer(t, ip, tt.sockets, tt.batch, func(tr *Transport, p *Packet) {
					tr.Reply(p, p.Data)
				}, func(lc *ListenerConfig) { lc.BlockingRead = tt.blocking })
				sendBurst(t, clients, tr.Listener("u").Addr(), g)
				for src, c := range clients {
					expectReplies(t, c, src, echoOf)
				}
				closeTransport(t, tr) // every counter is final
				st := tr.Stats()
				if st.PacketsIn != burstTotal || st.PacketsOut != burstTotal || st.SendErrors != 0 {
					t.Errorf("stats %+v", st)
				}
				if tt.batch > 1 && (st.UDPReads > burstTotal/10 || st.UDPWrites > burstTotal/10) {
					t.Errorf("%d reads and %d writes for %d datagrams each way", st.UDPReads, st.UDPWrites, burstTotal)
				}
			})
		})
	}
}

// TestUDPBurstRepliedElsewhere: replies sent from goroutines other than
// the read loop still all arrive in order: from a worker that got a Clone,
// and from a helper goroutine given p itself while the handler waits.
func TestUDPBurstRepliedElsewhere(t *testing.T) {
	t.Run("worker with a clone", func(t *testing.T) {
		work := make(chan *Packet, burstTotal)
		tr, g, clients := burstServer(t, loop4, 1, defaultBatch, func(_ *Transport, p *Packet) {
			work <- p.Clone()
		})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range burstTotal {
				p := <-work
				if err := tr.Reply(p, p.Data); err != nil {
					t.Error(err)
				}
			}
		}()
		sendBurst(t, clients, tr.Listener("u").Addr(), g)
		for src, c := range clients {
			expectReplies(t, c, src, echoOf)
		}
		<-done
	})
	t.Run("helper goroutine with p", func(t *testing.T) {
		tr, g, clients := burstServer(t, loop4, 1, defaultBatch, func(tr *Transport, p *Packet) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				tr.Reply(p, p.Data)
			}()
			<-done
		})
		sendBurst(t, clients, tr.Listener("u").Addr(), g)
		for src, c := range clients {
			expectReplies(t, c, src, echoOf)
		}
	})
}

// TestUDPBatchedThenDirect: a handler that queues a reply and then sends
// directly to the same peer (SendUDP, which cannot know it runs on the
// read loop) still has them arrive in that order: a direct send flushes
// what is queued on its listener first.
func TestUDPBatchedThenDirect(t *testing.T) {
	tr, g, clients := burstServer(t, loop4, 1, defaultBatch, func(tr *Transport, p *Packet) {
		tr.Reply(p, append([]byte("A "), p.Data...))
		tr.SendUDP(p.Sock, p.Src, append([]byte("B "), p.Data...))
	})
	sendBurst(t, clients, tr.Listener("u").Addr(), g)
	for src, c := range clients {
		expectReplies(t, c, src, func(src, seq int) [][]byte {
			m := burstMsg(src, seq)
			return [][]byte{append([]byte("A "), m...), append([]byte("B "), m...)}
		})
	}
}

// TestUDPBatchedOnOtherListener: a handler forwarding out of another
// listener (as the LB does, public in, private out) has its datagrams
// queued for that listener, and they leave from its address, in order.
func TestUDPBatchedOnOtherListener(t *testing.T) {
	g := make(gate)
	in, out := udpListener("in", loop4, 1), udpListener("out", loop4, 2)
	in.ReadBuffer = burstBuffer
	tr := startSelf(t, Config{Listeners: []ListenerConfig{in, out}}, func(tr *Transport) Handler {
		return HandlerFunc(func(p *Packet) {
			g.wait()
			socks := tr.Listener("out").Sockets()
			tr.SendUDPBatched(p, socks[len(p.Data)%len(socks)], p.Src, p.Data)
		})
	})
	ensureReceiveBuffer(t, tr.Listener("in").Sockets()[0], burstBuffer)
	clients := make([]*net.UDPConn, burstSources)
	for i := range clients {
		clients[i] = udpClient(t, loop4)
	}
	sendBurst(t, clients, tr.Listener("in").Addr(), g)
	buf := make([]byte, 2048)
	for src, c := range clients {
		for seq := range burstPerSource {
			c.SetReadDeadline(time.Now().Add(waitFor))
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil || !bytes.Equal(buf[:n], burstMsg(src, seq)) || from != tr.Listener("out").Addr() {
				t.Fatalf("source %d, datagram %d: %q from %v, %v", src, seq, buf[:n], from, err)
			}
		}
	}
	closeTransport(t, tr)
	if st := tr.Listener("out").Stats(); st.PacketsOut != burstTotal || st.UDPWrites > burstTotal/10 {
		t.Errorf("out: %+v", st)
	}
}

// TestUDPBatchedSendErrors: a batched send that the kernel refuses (port
// 0) is counted and skipped; the datagrams queued around it still go out.
// A destination of the wrong family is refused at once, batched or not.
func TestUDPBatchedSendErrors(t *testing.T) {
	var queued, failed int // only the read loop touches them
	tr, g, clients := burstServer(t, loop4, 1, defaultBatch, func(tr *Transport, p *Packet) {
		tr.Reply(p, append([]byte("A "), p.Data...))
		if err := tr.SendUDPBatched(p, p.Sock, netip.AddrPortFrom(loop4, 0), p.Data); err != nil {
			failed++
		} else {
			queued++
		}
		if err := tr.SendUDPBatched(p, p.Sock, netip.MustParseAddrPort("[::1]:5060"), p.Data); err == nil {
			panic("IPv6 destination from an IPv4 socket: no error")
		}
		tr.Reply(p, append([]byte("B "), p.Data...))
	})
	sendBurst(t, clients, tr.Listener("u").Addr(), g)
	for src, c := range clients {
		expectReplies(t, c, src, func(src, seq int) [][]byte {
			m := burstMsg(src, seq)
			return [][]byte{append([]byte("A "), m...), append([]byte("B "), m...)}
		})
	}
	closeTransport(t, tr)
	st := tr.Stats()
	if queued == 0 || queued+failed != burstTotal {
		t.Errorf("%d sends queued, %d failed at once", queued, failed)
	}
	if st.SendErrors != 2*burstTotal || st.PacketsOut != 2*burstTotal || st.Panics != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestUDPBatchedZeroAlloc: reading in batches and replying with queued
// sends allocates nothing once the queues have grown.
func TestUDPBatchedZeroAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	tr := startSelf(t, Config{Listeners: []ListenerConfig{udpListener("u", loop4, 1)}}, echo)
	c := udpClient(t, loop4)
	dst := tr.Listener("u").Addr()
	msg := readFile(t, "invite.sip")
	buf := make([]byte, 2048)
	const burst = 16 // fits the default socket buffers
	allocs := testing.AllocsPerRun(100, func() {
		for range burst {
			c.WriteToUDPAddrPort(msg, dst)
		}
		for range burst {
			c.SetReadDeadline(time.Now().Add(waitFor))
			if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
				panic(err)
			}
		}
	})
	if allocs > 0 {
		t.Errorf("%.1f allocations per burst of %d", allocs, burst)
	}
	closeTransport(t, tr)
	if st := tr.Stats(); st.UDPReads == st.PacketsIn {
		t.Logf("no read took more than one datagram: %+v", st)
	}
}

// TestUDPBatchedHandlerBlocks: a reply queued by a handler that then
// blocks still goes out, after maxQueueDelay, not at the end of the batch.
// "a" and "b" come in one read: both wait in the socket while the handler
// holds the loop on "hold".
func TestUDPBatchedHandlerBlocks(t *testing.T) {
	held, release, gotA := make(chan struct{}), make(chan struct{}), make(chan struct{})
	tr := startSelf(t, Config{Listeners: []ListenerConfig{udpListener("u", loop4, 1)}}, func(tr *Transport) Handler {
		return HandlerFunc(func(p *Packet) {
			switch string(p.Data) {
			case "hold":
				close(held)
				<-release
			case "a":
				tr.Reply(p, p.Data)
			case "b":
				<-gotA
				tr.Reply(p, p.Data)
			}
		})
	})
	c, dst := udpClient(t, loop4), tr.Listener("u").Addr()
	c.WriteToUDPAddrPort([]byte("hold"), dst)
	<-held
	c.WriteToUDPAddrPort([]byte("a"), dst)
	c.WriteToUDPAddrPort([]byte("b"), dst)
	close(release)
	buf := make([]byte, 16)
	for _, want := range []string{"a", "b"} {
		c.SetReadDeadline(time.Now().Add(waitFor))
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("got %q, %v; want %q", buf[:n], err, want)
		}
		if want == "a" {
			close(gotA)
		}
	}
	closeTransport(t, tr)
	if st := tr.Stats(); st.UDPReads != 2 {
		t.Errorf("%d reads, want 2 (hold, then a and b together)", st.UDPReads)
	}
}
