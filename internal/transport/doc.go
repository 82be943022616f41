// Package transport moves SIP messages over UDP, TCP and TLS (RFC 3261
// §18): named listeners, the stream connection table, and sends that name
// the exact socket or connection a message leaves on.
//
// # Why hand-written
//
// The LB must choose, per message, which local socket and which connection
// a message leaves on: a response goes back on the connection its request
// came in on (RFC 3261 §18.2.2), a request toward a NATed UA leaves from the
// public VIP socket, and a request to a backend from the private one. In the
// sipgo sources we read, that choice goes through a pool keyed by address
// strings: an accepted TCP connection is also filed under the listener's own
// local address, so a request sent with a chosen local address can leave on
// another peer's connection; every new UDP source address adds a pool entry
// for the life of the listener, so an LB facing many UAs grows without
// bound; a CRLF keep-alive is recognised only when a read holds nothing
// else; and the stream read timeout restarts on every read, so a peer
// trickling one byte at a time is never cut off. Fixing those meant
// owning the layer; it is small.
//
// # Model
//
// A Transport has named Listeners, each with a Side ("public", "private")
// and an Advertised host:port for Via, Record-Route and Path. A UDP listener
// has Sockets sockets bound to one address with SO_REUSEPORT, one read
// goroutine each, so several cores share the load (the kernel spreads
// datagrams by 4-tuple hash). A TCP or TLS listener has one accept goroutine
// and one read goroutine per connection. IPv4 and IPv6 listeners are
// separate (v6 sockets are v6-only), so a packet's source is never a mapped
// address. IP_FREEBIND lets a standby bind the VIP before VRRP gives it.
//
// # Receiving
//
// The Handler runs on the read goroutine: no goroutine and, on UDP, no
// allocation per message. Packet and Packet.Data are valid only until
// HandlePacket returns; Clone keeps a copy. A panic in the handler is
// recovered and counted, and logged at most once a minute. On Linux a UDP
// read goroutine reads up to Batch datagrams per system call and calls the
// handler for each in turn (see Batching).
//
// Streams are framed here, not by the SIP parser (NextFrame, RFC 3261
// §18.3): the header section ends at an empty line (bare LF tolerated), the
// body is Content-Length (or "l") bytes. A missing, malformed, negative or
// conflicting Content-Length, or a header section or body over the limits,
// closes the connection: the next message cannot be found. CRLFs between
// messages are skipped (§7.5); a CRLFCRLF ping is answered with CRLF and a
// CRLF pong is ignored (RFC 5626 §4.4.1). UDP datagrams of only CR/LF/NUL
// are keep-alives and are dropped, as are datagrams over MaxDatagram.
//
// Each stream connection has one read deadline per phase: IdleTimeout
// between messages (extended by our own writes), HeaderTimeout from the
// first byte of a message to the end of its headers, BodyTimeout for the
// body. A slow-loris peer is cut off however it spaces its bytes.
//
// # Sending
//
// SendUDP names the socket, SendConn the connection. SendStream names a
// listener and a destination: it reuses the newest connection of that
// listener with that remote, or dials one from the listener's IP (port 0),
// sharing one dial among concurrent senders. Dial always opens a new flow.
// Reply sends back the way a packet came (RFC 3581 source address and port
// for UDP, the same connection for streams). Choosing UDP versus a stream
// for large requests (RFC 3261 §18.1.1) is the caller's decision.
//
// # Batching
//
// At LB rates the UDP path's cost was the system calls, one recvfrom and
// one sendto per datagram, and the netpoller wake-ups between them, not
// SIP parsing. So on Linux each UDP read goroutine reads with recvmmsg(2):
// up to Batch datagrams (default 32) per call into buffers allocated once
// (Batch × MaxDatagram+1 bytes per socket, 2 MiB by default; untouched
// pages cost no memory). The socket stays non-blocking and an empty socket
// parks the goroutine in the netpoller through RawConn.Read, as ReadFrom
// does: nothing spins. A read returns what the socket holds, so batches
// grow with load: an idle LB still reads one datagram per call, with no
// added latency, and a loaded one reads many.
//
// Sends batch only where the sender is known to be the read loop, which
// Go cannot tell from the goroutine: through the Packet. When a read
// brought more than one datagram, Reply(p, …) and SendUDPBatched(p, sock,
// …) called while p is being handled copy the datagram into a queue of
// that read loop, one queue per listener sent on. The loop sends each
// queue with one sendmmsg(2) after the handler has returned from the last
// datagram of the read, or sooner: when a queue holds Batch datagrams, and
// within 10 ms of being queued (a timer, so a handler that blocks cannot
// hold back the replies it has made). Everything else goes out at
// once, as before: SendUDP from any goroutine (timers, the API), sends
// naming a Clone or a stream packet, and sends while handling a read of
// one datagram. A per-socket "in batch" flag, which would let plain SendUDP
// batch, was rejected: a timer's send would land in the queue of whichever
// loop was busy, wait on another handler, and lose its error.
//
// What callers must know:
//   - A queued send returns nil; if the kernel then refuses it, it is only
//     counted (SendErrors). sendmmsg stops at a failed datagram; it is
//     skipped and the rest are sent.
//   - A queued datagram leaves once the rest of the read is handled, and
//     within 10 ms in any case. Under load that delay replaces the wait
//     the later datagrams had in the kernel before. The timer is armed
//     once per 10 ms, not per batch: arming one per batch woke the
//     netpoller each time and cost more CPU than batching saved.
//   - Order is kept per listener, whoever sends: queued datagrams leave in
//     the order they were queued, and SendUDP first flushes whatever any
//     read loop has queued on that listener (one atomic load when nothing
//     is). A handler may mix Reply and SendUDP to one peer safely.
//   - SendUDPBatched may name a socket of another listener (public in,
//     private out, as the LB forwards): those sends batch too.
//   - Batch 1 turns batching off; on other systems it is always off.
//   - Stats.UDPReads and UDPWrites count the system calls, so
//     PacketsIn/UDPReads is the average batch.
//
// Batching cuts the calls. It does not cut the wake-ups (a loop parks
// whenever its socket runs dry, batching or not) nor the kernel's work per
// datagram (routing, checksums, queueing to the receiver), which then
// dominates. UDP GSO (UDP_SEGMENT) would cut some of that, but only for
// equal-sized datagrams to one destination, which SIP traffic is not.
//
// # Blocking reads
//
// With ListenerConfig.BlockingRead (Linux; the LB turns it on) a UDP
// socket is made with socket(2) in blocking mode and never registered
// with the netpoller: its read loop waits inside recvmmsg(2) with
// MSG_WAITFORONE, so the thread sleeps in the kernel and the kernel wakes
// it when a datagram arrives. At 2,000 calls/s each read finds about one
// datagram, and through the netpoller each cost an epoll_wait, a read
// that found the socket empty, futex wake-ups of idle threads and a
// spinning thread's search for work; blocking in the kernel leaves one
// system call per read. The LB's CPU per call at 2,000 calls/s went from
// ~100 to ~65 µs (bench/RESULTS.md). Sends on such a socket are plain
// sendto/sendmmsg on the blocking descriptor (a full send buffer blocks
// the thread, which the runtime handles as any blocking system call).
//
// Two things keep the runtime out of the way. The socket is an os.File
// made from a blocking descriptor, which the os package does not give to
// the netpoller; the file's reference count makes Close wait for a read
// in progress before close(2), so the descriptor cannot be reused under
// it, and Close first calls shutdown(SHUT_RD), which makes a blocked
// recvmmsg return at once (SO_RCVTIMEO, 250 ms, is the backstop). And the
// read loop calls runtime.Gosched every 2 ms: a goroutine that never parks
// looks to sysmon like one running for more than its 10 ms slice, so
// sysmon took its P at the next system call and then polled every 20 µs,
// which made this mode cost more than the netpoller until the loop
// yielded. One thread per socket is the price: more sockets than cores
// gain nothing at moderate rates.
//
// # Numbers
//
// Measured on the 2-core development VM while other engineers' builds and
// end-to-end runs loaded it (load average 4-7), Go 1.26, loopback, an
// 844-byte INVITE, 50,000 packets per run, 12 runs of each variant taken
// in turns with the code from before batching ("before"). The echo clients
// run in a child process, so the CPU time (getrusage, user + system) is
// the server's alone:
//
//	BenchmarkNextFrame  400 ns/op (idle VM) to 900 ns/op (loaded), 0 allocs/op
//
//	BenchmarkUDPEcho              packets/s        server µs/packet    datagrams/call
//	window, 1 socket,  before     50,000-82,000    9.2-11.4 (med 10.4)  1
//	window, 1 socket,  batch=32   48,000-104,000   7.3-10.1 (med 9.1)   2-14 (med 5)
//	window, 2 sockets, before     38,000-86,000    9.1-11.8 (med 10.8)  1
//	window, 2 sockets, batch=32   46,000-101,000   8.7-10.9 (med 10.0)  2-10 (med 4)
//	window, 4 sockets, before     33,000-112,000   8.3-12.2 (med 10.8)  1
//	window, 4 sockets, batch=32   39,000-88,000    8.7-11.4 (med 10.8)  2-9 (med 3)
//	21,000/s paced,    before     20,970           13.5-17.1 (med 15.2) 1
//	21,000/s paced,    batch=32   20,970           13.1-19.1 (med 16.1) 3-4
//
// batch=1 measured as before, within the noise; every variant 0 allocs/op.
// The CPU saved follows the batch size: about 12% per packet at a median
// of 5 datagrams per call, nothing measurable at 3-4. Loopback understates
// it: the server's sendmmsg also pays for delivering each reply into a
// client's socket and waking the client, work a NIC would take, so the
// kernel's cost per datagram dominates what the calls save. At 21,000
// datagrams/s, the edge LB's inbound rate at 3,000 calls/s, a server with
// CPU to spare finds few datagrams per wake-up, and its cost is those
// wake-ups: batching raises the ceiling and keeps a loaded LB's cost per
// packet falling as load grows, but does not make a lightly loaded one
// cheaper.
//
// The spread between runs is larger than the difference between socket
// counts: on two cores the server's extra sockets compete with the
// clients for CPU, and reuseport pays off on a host whose cores the LB has
// to itself. Size Sockets to those cores; more sockets than cores only
// adds wake-ups, and each socket's batches get smaller.
package transport
