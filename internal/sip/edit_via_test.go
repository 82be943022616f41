package sip

import "testing"

func TestSetTopViaReceived(t *testing.T) {
	tests := []struct {
		name, via string
		host      string
		port      int
		want      string
	}{
		{"add received", "SIP/2.0/UDP a.example.com;branch=z9hG4bK1", "192.0.2.1", 0,
			"SIP/2.0/UDP a.example.com;branch=z9hG4bK1;received=192.0.2.1"},
		{"fill rport", "SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bK1", "192.0.2.1", 40000,
			"SIP/2.0/UDP 10.0.0.1:5060;rport=40000;branch=z9hG4bK1;received=192.0.2.1"},
		{"replace both", "SIP/2.0/UDP h;received=1.1.1.1;rport=1;branch=z9hG4bK1", "192.0.2.1", 7,
			"SIP/2.0/UDP h;received=192.0.2.1;rport=7;branch=z9hG4bK1"},
		{"no rport requested", "SIP/2.0/UDP h;branch=z9hG4bK1", "", 7,
			"SIP/2.0/UDP h;branch=z9hG4bK1"},
		{"first of a list", "SIP/2.0/UDP h;branch=z9hG4bK1, SIP/2.0/UDP g;branch=z9hG4bK2", "[2001:db8::1]", 0,
			"SIP/2.0/UDP h;branch=z9hG4bK1;received=[2001:db8::1], SIP/2.0/UDP g;branch=z9hG4bK2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := "OPTIONS sip:x SIP/2.0\r\nVia: " + tc.via + "\r\nVia: SIP/2.0/UDP z;branch=z9hG4bK3\r\nl: 0\r\n\r\n"
			m := mustParse(t, []byte(in))
			e := NewEditor(m)
			var host []byte
			if tc.host != "" {
				host = []byte(tc.host)
			}
			if !e.SetTopViaReceived(host, tc.port) {
				t.Fatal("top Via not readable")
			}
			out := mustParse(t, e.AppendTo(nil))
			if v, _ := out.Get(HdrVia); string(v) != tc.want {
				t.Errorf("Via = %q\nwant  %q", v, tc.want)
			}
		})
	}
}
