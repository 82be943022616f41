package nat

import (
	"net/netip"
	"testing"

	"github.com/sipfleet/sipfleet/internal/sip"
)

func TestReceivedRoundTrip(t *testing.T) {
	tests := []struct {
		src, proto, want string
	}{
		{"198.51.100.7:40000", "udp", "sip:198.51.100.7:40000"},
		{"198.51.100.7:40000", "UDP", "sip:198.51.100.7:40000"},
		{"198.51.100.7:5060", "tcp", "sip:198.51.100.7:5060%3Btransport%3Dtcp"},
		{"198.51.100.7:5061", "TLS", "sip:198.51.100.7:5061%3Btransport%3Dtls"},
		{"[2001:db8::7]:40000", "udp", "sip:[2001:db8::7]:40000"},
		{"[2001:db8::7]:40000", "tcp", "sip:[2001:db8::7]:40000%3Btransport%3Dtcp"},
		{"[::ffff:192.0.2.1]:5060", "udp", "sip:192.0.2.1:5060"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			src := netip.MustParseAddrPort(tc.src)
			got := string(AppendReceived(nil, src, tc.proto))
			if got != tc.want {
				t.Fatalf("AppendReceived = %q, want %q", got, tc.want)
			}
			back, proto, err := ParseReceived([]byte(got))
			if err != nil {
				t.Fatal(err)
			}
			if back != netip.AddrPortFrom(src.Addr().Unmap(), src.Port()) {
				t.Errorf("addr %v, want %v", back, src)
			}
			if want := map[string]string{"udp": "udp", "UDP": "udp", "tcp": "tcp", "TLS": "tls"}[tc.proto]; proto != want {
				t.Errorf("proto %q, want %q", proto, want)
			}
		})
	}
}

func TestParseReceived(t *testing.T) {
	tests := []struct {
		in, addr, proto string
		bad             bool
	}{
		{in: "sip:192.0.2.1", addr: "192.0.2.1:5060", proto: "udp"},
		{in: "sip:192.0.2.1:7000;transport=tcp", addr: "192.0.2.1:7000", proto: "tcp"},
		{in: "SIP:192.0.2.1:7000%3btransport%3dTCP", addr: "192.0.2.1:7000", proto: "tcp"},
		{in: "sip:[2001:db8::1]", addr: "[2001:db8::1]:5060", proto: "udp"},
		{in: "sip:2001:db8::1", addr: "[2001:db8::1]:5060", proto: "udp"},
		{in: "sip:host.example.com:5060", bad: true},
		{in: "tel:123", bad: true},
		{in: "sip:192.0.2.1:0", bad: true},
		{in: "sip:192.0.2.1:99999", bad: true},
		{in: "sip:[2001:db8::1", bad: true},
		{in: "sip:192.0.2.1%3", bad: true},
		{in: "", bad: true},
		{in: "sip:0.0.0.0%3BtrAnsport%3D[", bad: true}, // fuzz crasher: non-token transport
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			a, proto, err := ParseReceived([]byte(tc.in))
			if tc.bad {
				if err == nil {
					t.Fatalf("accepted: %v", a)
				}
				return
			}
			if err != nil || a.String() != tc.addr || proto != tc.proto {
				t.Fatalf("got %v %q %v, want %s %s", a, proto, err, tc.addr, tc.proto)
			}
		})
	}
}

func FuzzParseReceived(f *testing.F) {
	f.Add([]byte("sip:192.0.2.1:7000%3Btransport%3Dtcp"))
	f.Add([]byte("sip:[2001:db8::1]:5060"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, proto, err := ParseReceived(b)
		if err != nil {
			return
		}
		// Whatever parses must survive a round trip.
		back, proto2, err := ParseReceived(AppendReceived(nil, a, proto))
		if err != nil || back.Addr() != a.Addr().Unmap() || back.Port() != a.Port() || (proto2 != proto && proto != "") {
			t.Fatalf("round trip of %q: %v %q %v", b, back, proto2, err)
		}
	})
}

func TestDetect(t *testing.T) {
	msg := func(via, contact string) *sip.Msg {
		var m sip.Msg
		raw := "REGISTER sip:example.com SIP/2.0\r\nVia: " + via + "\r\nContact: " + contact +
			"\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nl: 0\r\n\r\n"
		if err := m.Parse([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		return &m
	}
	tests := []struct {
		name, via, contact, src string
		want                    Test
	}{
		{"public, direct", "SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK1", "<sip:a@203.0.113.5>", "203.0.113.5:5060", 0},
		{"behind NAT", "SIP/2.0/UDP 192.168.1.20:5060;rport;branch=z9hG4bK1", "<sip:a@192.168.1.20:5060>", "203.0.113.9:40123",
			PrivateContact | ViaHost | ViaPort},
		{"port only", "SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK1", "<sip:a@203.0.113.5>", "203.0.113.5:40000", ViaPort},
		{"hostname in Via", "SIP/2.0/TLS ua.example.com;branch=z9hG4bK1", "<sip:a@ua.example.com>", "203.0.113.5:5061", ViaHost},
		{"private source", "SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK1", "<sip:a@10.1.1.1>", "10.1.1.1:5060",
			PrivateContact | PrivateSource},
		{"carrier grade NAT", "SIP/2.0/UDP 100.64.3.3:5060;branch=z9hG4bK1", "<sip:a@100.64.3.3>", "100.64.3.3:5060",
			PrivateContact | PrivateSource},
		{"ipv6 ULA", "SIP/2.0/UDP [fd00::5]:5060;branch=z9hG4bK1", "<sip:a@[fd00::5]>", "[2001:db8::5]:5060",
			PrivateContact | ViaHost},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Detect(msg(tc.via, tc.contact), netip.MustParseAddrPort(tc.src), DefaultTests)
			if got != tc.want {
				t.Fatalf("Detect = %05b, want %05b", got, tc.want)
			}
		})
	}
}

func TestParseIPv4(t *testing.T) {
	for in, ok := range map[string]bool{
		"192.0.2.1": true, "0.0.0.0": true, "255.255.255.255": true,
		"256.1.1.1": false, "1.2.3": false, "1.2.3.4.5": false, "1..2.3": false,
		"1.2.3.": false, "1234.1.1.1": false, "a.b.c.d": false, "": false,
	} {
		a, got := parseIPv4([]byte(in))
		if got != ok || (ok && a.String() != in) {
			t.Errorf("parseIPv4(%q) = %v %v", in, a, got)
		}
	}
}

func TestNames(t *testing.T) {
	bound := netip.MustParseAddrPort("10.0.0.5:5060")
	v6 := netip.MustParseAddrPort("[2001:db8::5]:5070")
	tests := []struct {
		host    string
		port    int
		advHost string
		advPort int
		bound   netip.AddrPort
		defPort int
		want    bool
	}{
		{"203.0.113.10", 5060, "203.0.113.10", 5060, bound, 5060, true},
		{"203.0.113.10", 0, "203.0.113.10", 5060, bound, 5060, true}, // default port
		{"SIP.example.COM", 5060, "sip.example.com", 5060, bound, 5060, true},
		{"10.0.0.5", 5060, "203.0.113.10", 5060, bound, 5060, true}, // the bound address
		{"10.0.0.5", 5061, "203.0.113.10", 5060, bound, 5060, false},
		{"203.0.113.10", 5070, "203.0.113.10", 5060, bound, 5060, false},
		{"[2001:db8::5]", 5070, "[2001:db8::5]", 5070, v6, 5060, true},
		{"[2001:DB8::5]", 5070, "pbx.example", 5070, v6, 5060, true},
		{"other.example", 5060, "sip.example.com", 5060, bound, 5060, false},
	}
	for _, tt := range tests {
		if got := Names([]byte(tt.host), tt.port, tt.advHost, tt.advPort, tt.bound, tt.defPort); got != tt.want {
			t.Errorf("Names(%s:%d, advertised %s:%d, bound %s) = %v", tt.host, tt.port, tt.advHost, tt.advPort, tt.bound, got)
		}
	}
}

func TestResponseDest(t *testing.T) {
	tests := []struct {
		via  string
		want string // "ip:port", port 0 when none; "" when not ok
	}{
		{"SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1", "192.0.2.1:5070"},
		{"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1", "192.0.2.1:0"},
		{"SIP/2.0/UDP 10.0.0.1:5060;received=198.51.100.7;rport=40000;branch=z9hG4bK1", "198.51.100.7:40000"},
		{"SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bK1", "[2001:db8::1]:5062"},
		{"SIP/2.0/UDP pc.example.com;branch=z9hG4bK1", ""},
		{"SIP/2.0/UDP pc.example.com;received=192.0.2.9;branch=z9hG4bK1", "192.0.2.9:0"},
	}
	for _, tt := range tests {
		v, err := sip.ParseVia([]byte(tt.via))
		if err != nil {
			t.Fatal(err)
		}
		ip, port, ok := ResponseDest(&v)
		got := ""
		if ok {
			got = netip.AddrPortFrom(ip, uint16(port)).String()
		}
		if got != tt.want {
			t.Errorf("%s: %q, want %q", tt.via, got, tt.want)
		}
	}
}
