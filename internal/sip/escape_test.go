package sip

import (
	"testing"
)

func TestUnescape(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "alice", "alice", true},
		{"escape", "%61lice", "alice", true},
		{"not recursive (RFC 4475 3.1.1.3)", "value%25%34%31", "value%41", true},
		{"percent escape", "%2541", "%41", true},
		{"null kept (RFC 4475 3.1.1.4)", "null-%00-null", "null-\x00-null", true},
		{"lower-case hex", "%3a%3A", "::", true},
		{"short escape", "a%4", "", false},
		{"non-hex", "%zz", "", false},
		{"trailing percent", "abc%", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unescape([]byte("dst:"), []byte(tt.in))
			if (err == nil) != tt.ok {
				t.Fatalf("Unescape(%q) error %v, want ok=%v", tt.in, err, tt.ok)
			}
			if !tt.ok {
				if string(got) != "dst:" {
					t.Errorf("dst changed to %q on error", got)
				}
				checkParseError(t, []byte(tt.in), err)
				return
			}
			if string(got) != "dst:"+tt.want {
				t.Errorf("Unescape(%q) = %q, want %q", tt.in, got, "dst:"+tt.want)
			}
		})
	}
}

func TestUnquote(t *testing.T) {
	tests := []struct {
		in, inside, text string
	}{
		{`"abc"`, "abc", "abc"},
		{`""`, "", ""},
		{`"a\"b\\c"`, `a\"b\\c`, `a"b\c`},
		{`token`, "token", "token"},
		{`"unterminated`, `"unterminated`, `"unterminated`},
		{`"a"b"`, `"a"b"`, `"a"b"`},
		{`"`, `"`, `"`},
	}
	for _, tt := range tests {
		if got := Unquote([]byte(tt.in)); string(got) != tt.inside {
			t.Errorf("Unquote(%q) = %q, want %q", tt.in, got, tt.inside)
		}
		if got := UnquoteTo([]byte(">"), []byte(tt.in)); string(got) != ">"+tt.text {
			t.Errorf("UnquoteTo(%q) = %q, want %q", tt.in, got, ">"+tt.text)
		}
	}
}

func TestURIEqual(t *testing.T) {
	tests := []struct {
		name, a, b string
		want       bool
	}{
		// RFC 3261 §19.1.4, equivalent URIs.
		{"escaped user, host case, param case", "sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp", true},
		{"extra param ignored", "sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true},
		{"extra params on both sides", "sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on", true},
		{"param order", "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com", "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", true},
		{"header order", "sip:alice@atlanta.com?subject=project%20x&priority=urgent", "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true},
		// RFC 3261 §19.1.4, non-equivalent URIs.
		{"user case", "SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP", false},
		{"explicit default port", "sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false},
		{"explicit transport", "sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", false},
		{"port and transport", "sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", false},
		{"header on one side", "sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", false},
		{"ip is not its hostname", "sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false},
		// Further rules.
		{"sip is not sips", "sip:bob@biloxi.com", "sips:bob@biloxi.com", false},
		{"scheme case", "SIP:bob@biloxi.com", "sip:bob@biloxi.com", true},
		{"escaped param name (RFC 4475 3.1.1.3)", "sip:h.example.com;%6C%72", "sip:h.example.com;lr", true},
		{"lr on one side ignored", "sip:h.example.com;lr", "sip:h.example.com", true},
		{"maddr on one side", "sip:h.example.com;maddr=1.2.3.4", "sip:h.example.com", false},
		{"user param on one side", "sip:+1@h.example.com;user=phone", "sip:+1@h.example.com", false},
		{"ttl on one side", "sip:h.example.com", "sip:h.example.com;ttl=1", false},
		{"method on one side", "sip:h.example.com;method=INVITE", "sip:h.example.com", false},
		{"different param values", "sip:h.example.com;foo=1", "sip:h.example.com;foo=2", false},
		{"flag versus value", "sip:h.example.com;foo", "sip:h.example.com;foo=1", false},
		{"escaped reserved differs", "sip:a%3Bb@h.example.com", "sip:a;b@h.example.com", false},
		{"escaped unreserved equal", "sip:a%2Db@h.example.com", "sip:a-b@h.example.com", true},
		{"escaped null users differ (RFC 4475 3.1.1.4)", "sip:%00@h.example.com", "sip:%00%00@h.example.com", false},
		{"password case", "sip:a:PW@h.example.com", "sip:a:pw@h.example.com", false},
		{"password on one side", "sip:a:@h.example.com", "sip:a@h.example.com", false},
		{"port value", "sip:h.example.com:5060", "sip:h.example.com:05060", true},
		{"header value", "sip:h.example.com?a=1", "sip:h.example.com?a=2", false},
		{"header subset", "sip:h.example.com?a=1", "sip:h.example.com?a=1&b=2", false},
		{"ipv6 case", "sip:[2001:DB8::1]", "sip:[2001:db8::1]", true},
		// Found by FuzzURI: a repeated name broke reflexivity.
		{"repeated param equals itself", "sip:A;e;e=00", "sip:A;e;e=00", true},
		{"repeated param counts first", "sip:h.example.com;e=1;e=2", "sip:h.example.com;e=1", true},
		{"repeated headers any order", "sip:h.example.com?a=1&a=2", "sip:h.example.com?a=2&a=1", true},
		{"repeated headers differ", "sip:h.example.com?a=1&a=2", "sip:h.example.com?a=1&a=3", false},
		{"header repeated on one side", "sip:h.example.com?a=1&a=1", "sip:h.example.com?a=1", false},
		{"tel equal", "tel:+1-201-555-0123", "TEL:+1-201-555-0123", true},
		{"tel differs", "tel:+1-201-555-0123", "tel:+1-201-555-0124", false},
		{"tel is not sip", "tel:+1", "sip:+1@h.example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseURI([]byte(tt.a))
			if err != nil {
				t.Fatal(err)
			}
			b, err := ParseURI([]byte(tt.b))
			if err != nil {
				t.Fatal(err)
			}
			if got := URIEqual(&a, &b); got != tt.want {
				t.Errorf("URIEqual(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := URIEqual(&b, &a); got != tt.want {
				t.Errorf("URIEqual(%q, %q) = %v, want %v (not symmetric)", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

func TestURIEqualNoAllocs(t *testing.T) {
	a, _ := ParseURI([]byte("sip:%61lice@atlanta.com;transport=TCP;lr?subject=project%20x&priority=urgent"))
	b, _ := ParseURI([]byte("sip:alice@AtLanTa.CoM;Transport=tcp?priority=urgent&subject=project%20x"))
	checkNoAllocs(t, "URIEqual", func() { URIEqual(&a, &b) })
	buf := make([]byte, 0, 64)
	checkNoAllocs(t, "Unescape", func() { Unescape(buf[:0], a.User) })
}
