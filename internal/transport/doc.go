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
// recovered and counted, and logged at most once a minute.
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
// # Numbers
//
// Measured on the 2-core development VM while other builds ran (load
// average 5-10), Go 1.26, loopback, an 844-byte INVITE, 100,000 packets
// per run, 8 echo clients with 4 packets in flight each:
//
//	BenchmarkNextFrame          400 ns/op (idle VM) to 900 ns/op (loaded), 0 allocs/op
//	BenchmarkUDPEcho sockets=1  45,000-56,000 echoed packets/s, 0 allocs/op
//	BenchmarkUDPEcho sockets=2  45,000-66,000 packets/s, 0 allocs/op
//	BenchmarkUDPEcho sockets=4  38,000-52,000 packets/s, 0 allocs/op
//
// (the quieter runs; at load 10 every variant fell to 10,000-30,000). The
// echo clients run in the same process, so on two cores the server's extra
// sockets compete with the clients for CPU and the spread between runs is
// larger than the difference between variants: reuseport pays off on a host
// whose cores the LB has to itself. Size Sockets to those cores; more
// sockets than cores only adds wake-ups.
package transport
