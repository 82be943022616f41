package natping

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Sizes and fixed values of the packets the raw sender writes.
const (
	ipv4HeaderLen = 20
	ipv6HeaderLen = 40
	udpHeaderLen  = 8
	protoUDP      = 17
	// hopLimit is Linux's default TTL and hop limit: a keepalive must
	// reach the phone's NAT, however far it is.
	hopLimit = 64
	// maxPayload keeps a packet within the smallest IPv6 MTU (RFC 8200
	// §5, 1280 bytes), so a keepalive is never fragmented.
	maxPayload = 1280 - ipv6HeaderLen - udpHeaderLen
)

var (
	errFamily   = errors.New("source and destination are of different IP families")
	errTooLarge = errors.New("payload too large for one unfragmented packet")
)

// appendPacket appends an IP packet that carries payload in one UDP
// datagram from src to dst: IPv4 when both are IPv4 addresses, IPv6 when
// both are IPv6.
func appendPacket(b []byte, src, dst netip.AddrPort, payload []byte) ([]byte, error) {
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	switch {
	case len(payload) > maxPayload:
		return b, errTooLarge
	case s.Is4() && d.Is4():
		return appendIPv4UDP(b, s, d, src.Port(), dst.Port(), payload), nil
	case s.Is6() && d.Is6():
		return appendIPv6UDP(b, s, d, src.Port(), dst.Port(), payload), nil
	}
	return b, errFamily
}

// appendIPv4UDP writes the IPv4 header (RFC 791 §3.1) and the UDP
// datagram. The identification is left 0, which the kernel fills in for
// IP_HDRINCL sockets (raw(7)); the header checksum is computed all the
// same, so the bytes are a valid packet wherever they are read.
func appendIPv4UDP(b []byte, src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	start := len(b)
	udpLen := udpHeaderLen + len(payload)
	b = append(b, 0x45, 0) // version 4, 5-word header; TOS 0
	b = binary.BigEndian.AppendUint16(b, uint16(ipv4HeaderLen+udpLen))
	b = append(b, 0, 0, 0x40, 0) // identification; flags: don't fragment
	b = append(b, hopLimit, protoUDP, 0, 0)
	s4, d4 := src.As4(), dst.As4()
	b = append(b, s4[:]...)
	b = append(b, d4[:]...)
	binary.BigEndian.PutUint16(b[start+10:], fold(sum16(0, b[start:])))
	pseudo := sum16(sum16(0, s4[:]), d4[:]) + protoUDP + uint64(udpLen)
	return appendUDP(b, pseudo, sport, dport, payload)
}

// appendIPv6UDP writes the IPv6 header (RFC 8200 §3) and the UDP
// datagram, whose checksum is mandatory over IPv6 (RFC 8200 §8.1).
func appendIPv6UDP(b []byte, src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	udpLen := udpHeaderLen + len(payload)
	b = append(b, 0x60, 0, 0, 0) // version 6; traffic class and flow label 0
	b = binary.BigEndian.AppendUint16(b, uint16(udpLen))
	b = append(b, protoUDP, hopLimit)
	s16, d16 := src.As16(), dst.As16()
	b = append(b, s16[:]...)
	b = append(b, d16[:]...)
	pseudo := sum16(sum16(0, s16[:]), d16[:]) + protoUDP + uint64(udpLen)
	return appendUDP(b, pseudo, sport, dport, payload)
}

// appendUDP writes the UDP header and payload (RFC 768), with the
// checksum over the pseudo-header sum given, the header and the payload.
// A checksum that comes out 0 is sent as 0xffff: 0 means "none" in IPv4
// and is forbidden in IPv6.
func appendUDP(b []byte, pseudo uint64, sport, dport uint16, payload []byte) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint16(b, sport)
	b = binary.BigEndian.AppendUint16(b, dport)
	b = binary.BigEndian.AppendUint16(b, uint16(udpHeaderLen+len(payload)))
	b = append(b, 0, 0)
	b = append(b, payload...)
	c := fold(sum16(pseudo, b[start:]))
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(b[start+6:], c)
	return b
}

// sum16 adds b to the running sum s as big-endian 16-bit words, an odd
// last byte padded with a zero (RFC 1071 §4.1). The carries are folded
// at the end, by fold; 64 bits hold any IP packet's sum.
func sum16(s uint64, b []byte) uint64 {
	for len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}

// fold folds the carries into 16 bits and complements: the Internet
// checksum.
func fold(s uint64) uint16 {
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}
