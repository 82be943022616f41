package natping

import (
	"testing"

	"github.com/sipfleet/sipfleet/internal/store"
)

func TestTargetOf(t *testing.T) {
	tests := []struct {
		name              string
		received, contact string
		socket            string
		want              string // destination when pinged
		verdict           verdict
	}{
		{"received", "sip:198.51.100.7:40000", "sip:alice@192.168.1.10:5060", "", "198.51.100.7:40000", pingIt},
		{"received without port", "sip:198.51.100.7", "sip:alice@192.168.1.10", "", "198.51.100.7:5060", pingIt},
		{"received escaped, udp", "sip:198.51.100.7:40000%3Btransport%3Dudp", "sip:a@192.168.1.10", "", "198.51.100.7:40000", pingIt},
		{"received over tcp", "sip:198.51.100.7:40000;transport=tcp", "sip:a@192.168.1.10", "", "", skipStream},
		{"received over tls, escaped", "sip:198.51.100.7:40000%3Btransport%3Dtls", "sip:a@192.168.1.10", "", "", skipStream},
		{"received ipv6", "sip:[2001:db8::7]:40000", "sip:a@[fd00::10]", "", "[2001:db8::7]:40000", pingIt},
		{"received ipv4-mapped", "sip:[::ffff:198.51.100.7]:40000", "sip:a@192.168.1.10", "", "198.51.100.7:40000", pingIt},
		{"received not a URI", "198.51.100.7:40000", "sip:a@192.168.1.10", "", "", skipUnusable},
		{"received a host name", "sip:nat.example.com:40000", "sip:a@192.168.1.10", "", "", skipUnusable},
		{"received over tcp wins over the udp socket", "sip:198.51.100.7:1;transport=tcp", "sip:a@192.0.2.1", "udp:10.0.0.2:5060", "", skipStream},
		{"contact only", "", "sip:alice@192.0.2.5:5062", "udp:192.0.2.1:5060", "192.0.2.5:5062", pingIt},
		{"contact only, default port", "", "sip:alice@192.0.2.5;ob", "", "192.0.2.5:5060", pingIt},
		{"contact only, ipv6", "", "sip:alice@[2001:db8::5]:5070", "", "[2001:db8::5]:5070", pingIt},
		{"contact over tcp", "", "sip:alice@192.0.2.5:5062;transport=TCP", "", "", skipStream},
		{"contact sips", "", "sips:alice@192.0.2.5:5061", "", "", skipStream},
		{"contact with a tcp socket", "", "sip:alice@192.0.2.5:5062", "tcp:192.0.2.1:5060", "", skipStream},
		{"contact host name", "", "sip:alice@phone.example.com", "", "", skipUnusable},
		{"contact tel", "", "tel:+15551234", "", "", skipUnusable},
		{"contact garbage", "", "<sip:", "", "", skipUnusable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := store.Binding{Received: tc.received, Contact: tc.contact, Socket: tc.socket}
			got, v := targetOf(&b, true)
			if v != tc.verdict {
				t.Fatalf("verdict %d, want %d", v, tc.verdict)
			}
			if v != pingIt {
				return
			}
			if got.dst.String() != tc.want {
				t.Errorf("destination %v, want %s", got.dst, tc.want)
			}
			if got.contact != tc.contact {
				t.Errorf("contact %q, want %q", got.contact, tc.contact)
			}
			if _, v := targetOf(&b, false); v != pingIt {
				t.Fatal("verdict depends on keepContact")
			}
			if short, _ := targetOf(&b, false); short.contact != "" {
				t.Errorf("kept the contact for CRLF: %q", short.contact)
			}
		})
	}
}
