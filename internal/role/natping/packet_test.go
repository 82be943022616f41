package natping

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// The golden packets were checked with tshark (ip.check_checksum and
// udp.check_checksum both "Good") from a pcap of the builder's output.
func TestAppendPacketGolden(t *testing.T) {
	tests := []struct {
		name     string
		src, dst string
		payload  string
		want     string // hex
		ipSum    string // IPv4 header checksum, hex
		udpSum   string
	}{
		{"ipv4 crlf", "203.0.113.10:5060", "198.51.100.7:40000", "\r\n\r\n",
			"45000020000040004011d487cb00710ac633640713c49c40000ccf770d0a0d0a", "d487", "cf77"},
		{"ipv4 loopback", "127.0.0.2:5060", "127.0.0.1:5070", "\r\n\r\n",
			"450000200000400040113cca7f0000027f00000113c413ce000cc02c0d0a0d0a", "3cca", "c02c"},
		{"ipv4 odd length", "203.0.113.10:5060", "198.51.100.7:40000", "OPTIONS sip:a@b SIP/2.0\r\n\r\n!",
			"45000038000040004011d46fcb00710ac633640713c49c400024e26c" + hex.EncodeToString([]byte("OPTIONS sip:a@b SIP/2.0\r\n\r\n!")), "d46f", "e26c"},
		{"ipv4 checksum 0 sent as ffff", "192.0.2.1:5060", "198.51.100.2:5060", "\r\n\xdf\x0c",
			"450000200000400040114e96c0000201c633640213c413c4000cffff0d0adf0c", "4e96", "ffff"},
		{"ipv6 crlf", "[2001:db8::10]:5060", "[2001:db8:1::7]:40000", "\r\n\r\n",
			"60000000000c114020010db800000000000000000000001020010db800010000000000000000000713c49c40000cda330d0a0d0a", "", "da33"},
		{"ipv6 odd length", "[2001:db8::10]:5060", "[2001:db8:1::7]:40000", "x",
			"600000000009114020010db800000000000000000000001020010db800010000000000000000000713c49c4000097c4d78", "", "7c4d"},
		{"ipv6 checksum 0 sent as ffff", "[2001:db8::1]:5060", "[2001:db8::2]:5060", "\r\n\x6f\xcf",
			"60000000000c114020010db800000000000000000000000120010db800000000000000000000000213c413c4000cffff0d0a6fcf", "", "ffff"},
		{"ipv4-mapped destination is ipv4", "203.0.113.10:5060", "[::ffff:198.51.100.7]:40000", "\r\n\r\n",
			"45000020000040004011d487cb00710ac633640713c49c40000ccf770d0a0d0a", "d487", "cf77"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("keep")
			got, err := appendPacket(prefix, netip.MustParseAddrPort(tc.src), netip.MustParseAddrPort(tc.dst), []byte(tc.payload))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(got, []byte("keep")) {
				t.Fatalf("appendPacket overwrote what was in the buffer: %q", got[:4])
			}
			pkt := got[4:]
			if h := hex.EncodeToString(pkt); h != tc.want {
				t.Fatalf("packet\n got %s\nwant %s", h, tc.want)
			}
			ipLen := ipv4HeaderLen
			if pkt[0]>>4 == 6 {
				ipLen = ipv6HeaderLen
			} else if h := hex.EncodeToString(pkt[10:12]); h != tc.ipSum {
				t.Errorf("IPv4 header checksum %s, want %s", h, tc.ipSum)
			}
			if h := hex.EncodeToString(pkt[ipLen+6 : ipLen+8]); h != tc.udpSum {
				t.Errorf("UDP checksum %s, want %s", h, tc.udpSum)
			}
			if !checksumVerifies(pkt) {
				t.Error("the receiver's check (RFC 1071: the sum over the checked bytes is all ones) fails")
			}
		})
	}
}

// checksumVerifies checks a packet as a receiver does, written apart from
// the builder: the IPv4 header sums to 0xffff, and so do the UDP pseudo
// header, header and payload.
func checksumVerifies(pkt []byte) bool {
	sum := func(bs ...[]byte) uint32 {
		var s uint32
		for _, b := range bs {
			for i := 0; i < len(b); i += 2 {
				w := uint32(b[i]) << 8
				if i+1 < len(b) {
					w |= uint32(b[i+1])
				}
				s += w
			}
		}
		for s>>16 != 0 {
			s = s&0xffff + s>>16
		}
		return s
	}
	var pseudo, udp []byte
	if pkt[0]>>4 == 4 {
		if sum(pkt[:20]) != 0xffff {
			return false
		}
		udp = pkt[20:]
		pseudo = append(append([]byte{}, pkt[12:20]...), 0, protoUDP, byte(len(udp)>>8), byte(len(udp)))
	} else {
		udp = pkt[40:]
		pseudo = append(append([]byte{}, pkt[8:40]...), 0, 0, byte(len(udp)>>8), byte(len(udp)), 0, 0, 0, protoUDP)
	}
	return sum(pseudo, udp) == 0xffff
}

func TestAppendPacketErrors(t *testing.T) {
	v4, v6 := netip.MustParseAddrPort("192.0.2.1:5060"), netip.MustParseAddrPort("[2001:db8::1]:5060")
	tests := []struct {
		name     string
		src, dst netip.AddrPort
		payload  []byte
		want     error
	}{
		{"ipv4 to ipv6", v4, v6, crlfcrlf, errFamily},
		{"ipv6 to ipv4", v6, v4, crlfcrlf, errFamily},
		{"larger than the IPv6 minimum MTU", v4, v4, []byte(strings.Repeat("x", maxPayload+1)), errTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := appendPacket([]byte("x"), tc.src, tc.dst, tc.payload)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if string(got) != "x" {
				t.Fatalf("buffer changed on error: %q", got)
			}
		})
	}
	if _, err := appendPacket(nil, v4, v4, []byte(strings.Repeat("x", maxPayload))); err != nil {
		t.Fatalf("largest payload: %v", err)
	}
}

func BenchmarkAppendPacket(b *testing.B) {
	src, dst := netip.MustParseAddrPort("203.0.113.10:5060"), netip.MustParseAddrPort("198.51.100.7:40000")
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendPacket(buf[:0], src, dst, crlfcrlf)
	}
}
