package transport

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkUDPEcho measures loopback request/echo throughput with 1, 2 and
// 4 reuseport sockets. Each op is one packet echoed. Load is bounded: b.N
// packets in all, at most echoWindow in flight per client, and a client
// gives up after echoTimeout without a reply (counted as lost).
func BenchmarkUDPEcho(b *testing.B) {
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("sockets=%d", n), func(b *testing.B) { benchUDPEcho(b, n) })
	}
}

const (
	echoClients = 8
	echoWindow  = 4 // 32 in flight fits the default 208 KiB socket buffer
	echoTimeout = 200 * time.Millisecond
)

func benchUDPEcho(b *testing.B, sockets int) {
	tr := startSelf(b, Config{Listeners: []ListenerConfig{udpListener("u", loop4, sockets)}}, echo)
	dst := tr.Listener("u").Addr()
	msg := readFile(b, "invite.sip")
	clients := make([]*net.UDPConn, echoClients)
	for i := range clients {
		clients[i] = udpClient(b, loop4)
	}
	var received atomic.Int64
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	began := time.Now()
	var wg sync.WaitGroup
	for i, c := range clients {
		quota := b.N / echoClients
		if i < b.N%echoClients {
			quota++
		}
		wg.Go(func() { received.Add(int64(echoClient(c, dst, msg, quota))) })
	}
	wg.Wait()
	elapsed := time.Since(began)
	b.StopTimer()
	b.ReportMetric(float64(received.Load())/elapsed.Seconds(), "pkts/s")
	b.ReportMetric(float64(int64(b.N)-received.Load()), "lost")
}

// echoClient keeps up to echoWindow requests in flight until quota were
// sent, and returns how many replies came back. A timeout writes off what
// is in flight and carries on, so one drop does not end the run.
func echoClient(c *net.UDPConn, dst netip.AddrPort, msg []byte, quota int) int {
	buf := make([]byte, 2048)
	sent, got, inflight := 0, 0, 0
	for sent < quota || inflight > 0 {
		for ; inflight < echoWindow && sent < quota; sent, inflight = sent+1, inflight+1 {
			c.WriteToUDPAddrPort(msg, dst)
		}
		c.SetReadDeadline(time.Now().Add(echoTimeout))
		if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
			inflight = 0 // lost
			continue
		}
		got++
		inflight--
	}
	return got
}
