package sip

import "testing"

func TestParseHostPort(t *testing.T) {
	tests := []struct {
		in, host string
		port     int
		ok       bool
	}{
		{"example.com", "example.com", 0, true},
		{"example.com:5060", "example.com", 5060, true},
		{"192.0.2.1:65535", "192.0.2.1", 65535, true},
		{"[2001:db8::10]:5070", "[2001:db8::10]", 5070, true},
		{"[2001:db8::10:5070]", "[2001:db8::10:5070]", 0, true},
		{"[::1]", "[::1]", 0, true},
		{"2001:db8::10", "", 0, false},
		{"example.com:0", "", 0, false},
		{"example.com:65536", "", 0, false},
		{"example.com:", "", 0, false},
		{"example.com;lr", "", 0, false},
		{"", "", 0, false},
		{"[::1]:", "", 0, false},
		{"1.2.3.4.5", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			host, port, err := ParseHostPort([]byte(tt.in))
			if (err == nil) != tt.ok || string(host) != tt.host || port != tt.port {
				t.Errorf("ParseHostPort(%q) = %q, %d, %v; want %q, %d, ok=%v", tt.in, host, port, err, tt.host, tt.port, tt.ok)
			}
			if err != nil {
				checkParseError(t, []byte(tt.in), err)
			}
		})
	}
}

func TestValidIPv6(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"::", true},
		{"::1", true},
		{"1::", true},
		{"2001:db8::10", true},
		{"2001:db8:0:0:0:0:0:10", true},
		{"2001:DB8::9:255", true},
		{"::ffff:192.0.2.10", true},
		{"2001:db8::192.0.2.1", true},
		{"1:2:3:4:5:6:192.0.2.1", true},
		{"1:2:3:4:5:6:7::", true},
		{"2001:db8:::192.0.2.1", false},
		{"1:2:3:4:5:6:7:8:9", false},
		{"1:2:3:4:5:6:7", false},
		{"1:2:3:4:5:6:7:8::", false},
		{"1::2::3", false},
		{"12345::", false},
		{":1::", false},
		{"1:", false},
		{"1::g", false},
		{"::192.0.2.256", false},
		{"1:2:3:4:5:6:7:192.0.2.1", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := validIPv6([]byte(tt.in)); got != tt.ok {
				t.Errorf("validIPv6(%q) = %v, want %v", tt.in, got, tt.ok)
			}
		})
	}
}
