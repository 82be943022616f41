package transport

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkUDPEcho measures loopback request/echo throughput and the
// server's CPU per packet, without batching (batch=1: one recvfrom and one
// sendto per datagram) and with it (batch=32: recvmmsg, and the handler's
// replies sent by one sendmmsg after the batch). The handler answers with
// Reply, so its replies are batched. Each op is one packet echoed.
//
// The echo clients run in a child process (see echoclient_test.go), so
// getrusage of this process counts the server alone: server-µs/pkt. On
// loopback that includes the kernel's delivery of the replies to the
// clients' sockets, which a real NIC would not charge to the server.
//
// Two loads, both bounded (b.N packets in all, and a client gives up on a
// reply after echoTimeout, counted as lost):
//   - load=window: as fast as the server answers, with 1, 2 and 4
//     reuseport sockets; 8 clients keep echoWindow requests in flight each.
//   - load=21000pps: the edge LB's inbound rate at 3,000 calls/s (7
//     datagrams a call), evenly paced over 8 clients.
func BenchmarkUDPEcho(b *testing.B) {
	for _, n := range []int{1, 2, 4} {
		for _, batch := range []int{1, defaultBatch} {
			b.Run(fmt.Sprintf("load=window/sockets=%d/batch=%d", n, batch), func(b *testing.B) {
				benchUDPEcho(b, n, batch, 0)
			})
		}
	}
	for _, batch := range []int{1, defaultBatch} {
		b.Run(fmt.Sprintf("load=21000pps/sockets=1/batch=%d", batch), func(b *testing.B) {
			benchUDPEcho(b, 1, batch, 21000)
		})
	}
}

func benchUDPEcho(b *testing.B, sockets, batch, rate int) {
	lc := udpListener("u", loop4, sockets)
	lc.Batch, lc.ReadBuffer = batch, 4<<20 // sipfleet's default read_buffer
	tr := startSelf(b, Config{Listeners: []ListenerConfig{lc}}, echo)
	clients := startEchoClients(b, echoSpec{dst: tr.Listener("u").Addr(), quota: b.N, rate: rate})
	b.ReportAllocs()
	b.SetBytes(int64(len(readFile(b, "invite.sip"))))
	b.ResetTimer()
	began, cpu0 := time.Now(), processCPU()
	received, clientCPU := clients.run(b)
	elapsed, cpu := time.Since(began), processCPU()-cpu0
	b.StopTimer()
	st := tr.Stats()
	b.ReportMetric(float64(received)/elapsed.Seconds(), "pkts/s")
	b.ReportMetric(float64(b.N-received), "lost")
	if received > 0 && cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(received), "server-µs/pkt")
		b.ReportMetric(float64(clientCPU.Nanoseconds())/1e3/float64(received), "client-µs/pkt")
	}
	if st.UDPReads > 0 && st.UDPWrites > 0 {
		b.ReportMetric(float64(st.PacketsIn)/float64(st.UDPReads), "dgrams/read")
		b.ReportMetric(float64(st.PacketsOut)/float64(st.UDPWrites), "dgrams/write")
	}
}
