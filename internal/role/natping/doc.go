// Package natping is the external NAT keepalive sender of DESIGN.md
// ("natping"): it reads the NATed bindings straight from the shared
// location table and sends each one a small keepalive whose IP source
// address and UDP source port are the LB's public (VIP) address, so that
// the NAT in front of the phone sees traffic from the very address the
// phone registered through and keeps its binding open. The LB itself does
// no database work and carries none of this load (the seed's last
// paragraph).
//
// A Pinger pages through its share of the table (all of it, a list of
// partitions, or one shard of N) once per interval with keyset pagination,
// and spreads the sends evenly across the interval: a pacer works out from
// the time left and the bindings left how many sends are due at each
// wake-up, so a million bindings go out as a steady stream, never as one
// burst. The bindings go out in id order every cycle, so each binding's
// keepalives stay one interval apart; its place in the order moves only as
// bindings come and go. Only UDP bindings are pinged; TCP and TLS flows
// are kept open by their own connection (RFC 5626 §4.4.1 CRLF keepalives
// at the LB).
//
// # Why the raw sockets are written by hand
//
// Spoofing the source means writing the IP header ourselves: a UDP socket
// can only send from an address it is bound to, and binding the LB's
// address and port on the LB's own host (IP_FREEBIND, SO_REUSEPORT) would
// make the kernel share the LB's incoming packets with the pinger; a raw
// IPPROTO_UDP socket, the other way, would get a copy of every UDP packet
// the host receives. An IPPROTO_RAW socket (IP_HDRINCL and IPV6_HDRINCL
// implied, so IPv4 and IPv6 work the same way) only sends, never
// receives, and takes the header we give it. The packets are
// a fixed 20- or 40-byte IP header, an 8-byte UDP header and the payload,
// with the UDP checksum over the pseudo-header (RFC 768, RFC 8200 §8.1);
// that is a few dozen lines, less than the surface of a packet library
// such as gopacket, and it lets the builder append into one slab that
// sendmmsg(2) sends in batches without allocating. Raw sockets need
// CAP_NET_RAW; without it NewRawSender fails with an error that says how
// to grant it, and the node does not start.
//
// The sender is an interface (Sender), so the reading, pacing and
// accounting are tested without root; the raw sender has its own test,
// which runs as root.
package natping
