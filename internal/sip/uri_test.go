package sip

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// fieldStr shows a field in test output, telling nil from empty.
func fieldStr(b []byte) string {
	if b == nil {
		return "<nil>"
	}
	return string(b)
}

// uriSummary renders every field of u on one line.
func uriSummary(u *URI) string {
	return fmt.Sprintf("scheme=%s user=%s pw=%s host=%s port=%d/%s params=%s headers=%s opaque=%s",
		fieldStr(u.Scheme), fieldStr(u.User), fieldStr(u.Password), fieldStr(u.Host),
		u.Port, fieldStr(u.PortRaw), fieldStr(u.Params), fieldStr(u.Headers), fieldStr(u.Opaque))
}

func TestParseURI(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
	}{
		{"user and host", "sip:alice@atlanta.com",
			"scheme=sip user=alice pw=<nil> host=atlanta.com port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"underscore in host (liberal)", "sip:reg_1.svc.local",
			"scheme=sip user=<nil> pw=<nil> host=reg_1.svc.local port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"password and transport", "sip:alice:secretword@atlanta.com;transport=tcp",
			"scheme=sip user=alice pw=secretword host=atlanta.com port=0/<nil> params=;transport=tcp headers=<nil> opaque=<nil>"},
		{"empty password", "sip:alice:@atlanta.com",
			"scheme=sip user=alice pw= host=atlanta.com port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"sips upper case with port", "SIPS:bob@Biloxi.COM:5061",
			"scheme=SIPS user=bob pw=<nil> host=Biloxi.COM port=5061/5061 params=<nil> headers=<nil> opaque=<nil>"},
		{"host only", "sip:atlanta.com",
			"scheme=sip user=<nil> pw=<nil> host=atlanta.com port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"fully qualified host", "sip:atlanta.com.",
			"scheme=sip user=<nil> pw=<nil> host=atlanta.com. port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"single label host", "sip:localhost:5060",
			"scheme=sip user=<nil> pw=<nil> host=localhost port=5060/5060 params=<nil> headers=<nil> opaque=<nil>"},
		{"digits in inner label", "sip:u@3com.chair-dnrc.example.com",
			"scheme=sip user=u pw=<nil> host=3com.chair-dnrc.example.com port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"ipv4 and port", "sip:192.0.2.1:5060",
			"scheme=sip user=<nil> pw=<nil> host=192.0.2.1 port=5060/5060 params=<nil> headers=<nil> opaque=<nil>"},
		{"port with leading zeros", "sip:h.example.com:05060",
			"scheme=sip user=<nil> pw=<nil> host=h.example.com port=5060/05060 params=<nil> headers=<nil> opaque=<nil>"},
		{"ipv6 reference", "sip:[2001:db8::10]",
			"scheme=sip user=<nil> pw=<nil> host=[2001:db8::10] port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"ipv6 port unambiguous (RFC 5118 4.4)", "sip:[2001:db8::10]:5070",
			"scheme=sip user=<nil> pw=<nil> host=[2001:db8::10] port=5070/5070 params=<nil> headers=<nil> opaque=<nil>"},
		{"ipv6 port ambiguous is one address (RFC 5118 4.3)", "sip:[2001:db8::10:5070]",
			"scheme=sip user=<nil> pw=<nil> host=[2001:db8::10:5070] port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"ipv4-mapped ipv6 (RFC 5118 4.9)", "sip:ted@[::ffff:192.0.2.2]",
			"scheme=sip user=ted pw=<nil> host=[::ffff:192.0.2.2] port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"ipv6 with ipv4 tail (RFC 5118 4.10)", "sip:user@[2001:db8::192.0.2.1]",
			"scheme=sip user=user pw=<nil> host=[2001:db8::192.0.2.1] port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"params and headers", "sip:alice@atlanta.com;maddr=239.255.255.1;ttl=15?subject=project%20x&priority=urgent",
			"scheme=sip user=alice pw=<nil> host=atlanta.com port=0/<nil> params=;maddr=239.255.255.1;ttl=15 headers=subject=project%20x&priority=urgent opaque=<nil>"},
		{"telephone subscriber", "sip:+1-212-555-1212:1234@gateway.com;user=phone",
			"scheme=sip user=+1-212-555-1212 pw=1234 host=gateway.com port=0/<nil> params=;user=phone headers=<nil> opaque=<nil>"},
		{"semicolon in user (RFC 4475 3.1.1.9)", "sip:user;par=u%40example.net@example.com",
			"scheme=sip user=user;par=u%40example.net pw=<nil> host=example.com port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"unusual characters (RFC 4475 3.1.1.2)", "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
			"scheme=sip user=1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;* pw=&it+has=1,weird!*pas$wo~d_too.(doesn't-it) host=example.com port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"escapes in user (RFC 4475 3.1.1.3)", "sip:sips%3Auser%40example.com@example.net",
			"scheme=sip user=sips%3Auser%40example.com pw=<nil> host=example.net port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"escaped params", "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
			"scheme=sip user=cal%6Cer pw=<nil> host=host5.example.net port=0/<nil> params=;%6C%72;n%61me=v%61lue%25%34%31 headers=<nil> opaque=<nil>"},
		{"escaped null (RFC 4475 3.1.1.4)", "sip:%00@host5.example.com",
			"scheme=sip user=%00 pw=<nil> host=host5.example.com port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"escaped header (RFC 4475 3.3.14)", "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
			"scheme=sip user=user pw=<nil> host=example.com port=0/<nil> params=<nil> headers=Route=%3Csip:sip.example.com%3E opaque=<nil>"},
		{"empty header value", "sip:h.example.com?a=",
			"scheme=sip user=<nil> pw=<nil> host=h.example.com port=0/<nil> params=<nil> headers=a= opaque=<nil>"},
		{"param-unreserved in value", "sip:lb@10.0.0.1;lr;received=sip:198.51.100.7:40000%3Btransport%3Dtcp",
			"scheme=sip user=lb pw=<nil> host=10.0.0.1 port=0/<nil> params=;lr;received=sip:198.51.100.7:40000%3Btransport%3Dtcp headers=<nil> opaque=<nil>"},
		{"flag params", "sip:services.example.com;lr;unknownwith=value;unknown-no-value",
			"scheme=sip user=<nil> pw=<nil> host=services.example.com port=0/<nil> params=;lr;unknownwith=value;unknown-no-value headers=<nil> opaque=<nil>"},
		{"tel", "tel:+1-201-555-0123;phone-context=example.com",
			"scheme=tel user=<nil> pw=<nil> host=<nil> port=0/<nil> params=<nil> headers=<nil> opaque=+1-201-555-0123;phone-context=example.com"},
		{"atypical scheme (RFC 4475 3.3.3)", "soap.beep://192.0.2.103:3002",
			"scheme=soap.beep user=<nil> pw=<nil> host=<nil> port=0/<nil> params=<nil> headers=<nil> opaque=//192.0.2.103:3002"},
		{"unknown scheme (RFC 4475 3.3.2)", "nobodyKnowsThisScheme:totallyopaquecontent",
			"scheme=nobodyKnowsThisScheme user=<nil> pw=<nil> host=<nil> port=0/<nil> params=<nil> headers=<nil> opaque=totallyopaquecontent"},
		{"http", "http://www.example.com",
			"scheme=http user=<nil> pw=<nil> host=<nil> port=0/<nil> params=<nil> headers=<nil> opaque=//www.example.com"},
		{"isbn", "isbn:2983792873",
			"scheme=isbn user=<nil> pw=<nil> host=<nil> port=0/<nil> params=<nil> headers=<nil> opaque=2983792873"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			u, err := ParseURI(in)
			if err != nil {
				t.Fatalf("ParseURI(%q): %v", tt.in, err)
			}
			if got := uriSummary(&u); got != tt.want {
				t.Errorf("ParseURI(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			if string(u.Raw) != tt.in || !isSubSlice(in, u.Raw) {
				t.Errorf("Raw = %q, want the input", u.Raw)
			}
		})
	}
}

func TestParseURIErrors(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "bad URI: bad scheme"},
		{"no colon", "sip", "bad URI: bad scheme"},
		{"scheme starts with digit", "1sip:a", "bad URI: bad scheme"},
		{"angle brackets (RFC 4475 3.1.2.7)", "<sip:user@example.com>", "bad URI: bad scheme"},
		{"leading space", " sip:a@b.com", "bad URI: bad scheme"},
		{"lws before param (RFC 4475 3.1.2.8)", "sip:user@example.com; lr", "bad URI: bad parameter"},
		{"trailing space", "sip:a@b.com ", "bad URI: bad character"},
		{"empty host", "sip:", "bad URI: bad host"},
		{"empty user", "sip:@host.com", "bad URI: empty user"},
		{"space in user", "sip:a b@host.com", "bad URI: bad user"},
		{"bad escape in user", "sip:a%4@host.com", "bad URI: bad user"},
		{"non-hex escape", "sip:a%zz@host.com", "bad URI: bad user"},
		{"at in host", "sip:a:b@c@host.com", "bad URI: bad character"},
		{"password char", "sip:a:b;c@host.com", "bad URI: bad password"},
		{"escape in host", "sip:a@host%41.com", "bad URI: bad character"},
		{"second at", "sip:a@b.com@c", "bad URI: bad character"},
		{"ipv6 without brackets (RFC 5118 4.2)", "sip:2001:db8::10", "bad URI: IPv6 address without brackets"},
		{"ipv6 three colons (RFC 5118 4.10)", "sip:user@[2001:db8:::192.0.2.1]", "bad URI: bad host"},
		{"ipv6 unclosed", "sip:[2001:db8::10", "bad URI: bad host"},
		{"ipv6 empty", "sip:[]", "bad URI: bad host"},
		{"ipv6 junk after bracket", "sip:[::1]x", "bad URI: bad character"},
		{"port zero", "sip:host.com:0", "bad URI: bad port"},
		{"port too large", "sip:host.com:65536", "bad URI: bad port"},
		{"port overflow", "sip:host.com:99999999999999", "bad URI: bad port"},
		{"empty port", "sip:host.com:", "bad URI: bad port"},
		{"port letters", "sip:host.com:50a", "bad URI: bad character"},
		{"ipv4 octet too large", "sip:256.1.1.1", "bad URI: bad host"},
		{"three octets", "sip:1.2.3", "bad URI: bad host"},
		{"numeric toplabel", "sip:example.123", "bad URI: bad host"},
		{"leading hyphen", "sip:-a.com", "bad URI: bad host"},
		{"trailing hyphen", "sip:a-.com", "bad URI: bad host"},
		{"empty label", "sip:a..com", "bad URI: bad host"},
		{"two trailing dots", "sip:a.com..", "bad URI: bad host"},
		{"trailing semicolon", "sip:host.com;", "bad URI: bad parameter"},
		{"empty param", "sip:host.com;;lr", "bad URI: bad parameter"},
		{"empty param value", "sip:host.com;a=", "bad URI: bad parameter value"},
		{"empty param name", "sip:host.com;=a", "bad URI: bad parameter"},
		{"bad maddr", "sip:host.com;maddr=bad!host", "bad URI: bad maddr"},
		{"bad escaped maddr", "sip:host.com;%6Daddr=a..b", "bad URI: bad maddr"},
		{"ttl too large", "sip:host.com;ttl=256", "bad URI: bad ttl"},
		{"ttl not number", "sip:host.com;ttl=abc", "bad URI: bad ttl"},
		{"quote in param", `sip:host.com;a="b"`, "bad URI: bad parameter value"},
		{"empty headers", "sip:host.com?", "bad URI: bad headers"},
		{"header without value", "sip:host.com?a", "bad URI: bad headers"},
		{"header without name", "sip:host.com?=b", "bad URI: bad headers"},
		{"trailing ampersand", "sip:host.com?a=b&", "bad URI: bad headers"},
		{"raw less-than in header", "sip:host.com?Route=<sip:x>", "bad URI: bad headers"},
		{"empty opaque", "tel:", "bad URI: empty URI"},
		{"space in opaque", "http://a b", "bad URI: bad character"},
		{"angle in opaque", "foo:<x>", "bad URI: bad character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			u, err := ParseURI(in)
			if err == nil {
				t.Fatalf("ParseURI(%q) = %s, want error", tt.in, uriSummary(&u))
			}
			checkParseError(t, in, err)
			if err.Error() != tt.reason {
				t.Errorf("ParseURI(%q) error %q, want %q", tt.in, err, tt.reason)
			}
		})
	}
}

func TestParseRequestURI(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"plain", "sip:user@example.com", true},
		{"escaped headers (RFC 4475 3.1.2.11)", "sip:user@example.com?Route=%3Csip:example.com%3E", false},
		{"question mark in user is not headers", "sip:a?b@example.com", true},
		{"non-sip keeps its query", "http://example.com/?a=b", true},
		{"still a URI", "<sip:user@example.com>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRequestURI([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Errorf("ParseRequestURI(%q) error %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil {
				checkParseError(t, []byte(tt.in), err)
			}
		})
	}
}

func TestURIAccessors(t *testing.T) {
	u, err := ParseURI([]byte("SIP:alice@[2001:db8::1]:5070;Transport=TCP;%6C%72;maddr=192.0.2.1;user=phone"))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"IsSIP", u.IsSIP(), true},
		{"IsSecure", u.IsSecure(), false},
		{"IsTel", u.IsTel(), false},
		{"Transport", string(u.Transport()), "TCP"},
		{"LR escaped (RFC 4475 3.1.1.3)", u.LR(), true},
		{"Maddr", string(u.Maddr()), "192.0.2.1"},
		{"UserParam", string(u.UserParam()), "phone"},
		{"HostPort", string(u.HostPort()), "[2001:db8::1]:5070"},
		{"String", u.String(), string(u.Raw)},
		{"AppendTo", string(u.AppendTo([]byte("<"))), "<" + string(u.Raw)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	s, _ := ParseURI([]byte("sips:bob@biloxi.example.com"))
	if !s.IsSecure() || s.Transport() != nil || s.LR() || string(s.HostPort()) != "biloxi.example.com" {
		t.Errorf("sips accessors wrong: %s", uriSummary(&s))
	}
	tel, _ := ParseURI([]byte("TEL:+1234"))
	if tel.IsSIP() || !tel.IsTel() {
		t.Error("tel accessors wrong")
	}
	if hp := (&URI{Host: []byte("h"), PortRaw: []byte("1")}).HostPort(); string(hp) != "h" {
		t.Errorf("HostPort of a hand-made URI = %q, want the host", hp)
	}
}

// TestCorpusURIs reads the Request-URIs of the torture messages.
func TestCorpusURIs(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"esc01.sip", "scheme=sip user=sips%3Auser%40example.com pw=<nil> host=example.net port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"semiuri.sip", "scheme=sip user=user;par=u%40example.net pw=<nil> host=example.com port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"wsinv.sip", "scheme=sip user=vivekg pw=<nil> host=chair-dnrc.example.com port=0/<nil> params=;unknownparam headers=<nil> opaque=<nil>"},
		{"novelsc.sip", "scheme=soap.beep user=<nil> pw=<nil> host=<nil> port=0/<nil> params=<nil> headers=<nil> opaque=//192.0.2.103:3002"},
		{"unkscm.sip", "scheme=nobodyKnowsThisScheme user=<nil> pw=<nil> host=<nil> port=0/<nil> params=<nil> headers=<nil> opaque=totallyopaquecontent"},
		{"port-ambiguous.sip", "scheme=sip user=<nil> pw=<nil> host=[2001:db8::10:5070] port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
		{"port-unambiguous.sip", "scheme=sip user=<nil> pw=<nil> host=[2001:db8::10] port=5070/5070 params=<nil> headers=<nil> opaque=<nil>"},
		{"ipv6-correct-abnf-2-colons.sip", "scheme=sip user=user pw=<nil> host=[2001:db8::192.0.2.1] port=0/<nil> params=<nil> headers=<nil> opaque=<nil>"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			u := corpusFile(t, tt.file).ruri(t)
			if got := uriSummary(&u); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	t.Run("intmeth.sip", func(t *testing.T) {
		u := corpusFile(t, "intmeth.sip").ruri(t)
		if string(u.User) != "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*" ||
			string(u.Password) != "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)" || string(u.Host) != "example.com" {
			t.Errorf("got %s", uriSummary(&u))
		}
	})
}

func TestParseURINoAllocs(t *testing.T) {
	for _, s := range []string{
		"sip:alice:pw@atlanta.com:5060;transport=tcp;lr?subject=x",
		"sip:[2001:db8::10]:5070",
		"tel:+1-201-555-0123",
	} {
		b := []byte(s)
		checkNoAllocs(t, s, func() {
			u, err := ParseURI(b)
			if err == nil {
				u.LR()
				u.Transport()
				u.HostPort()
			}
		})
	}
}

var benchURI = []byte("sip:alice@atlanta.example.com:5060;transport=tcp;lr")

func BenchmarkParseURI(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchURI)))
	for b.Loop() {
		if _, err := ParseURI(benchURI); err != nil {
			b.Fatal(err)
		}
	}
}

// uriRebuild puts a SIP URI back together from its fields.
func uriRebuild(u *URI) string {
	var s strings.Builder
	s.Write(u.Scheme)
	s.WriteByte(':')
	if u.User != nil {
		s.Write(u.User)
		if u.Password != nil {
			s.WriteByte(':')
			s.Write(u.Password)
		}
		s.WriteByte('@')
	}
	s.Write(u.Host)
	if u.PortRaw != nil {
		s.WriteByte(':')
		s.Write(u.PortRaw)
	}
	s.Write(u.Params)
	if u.Headers != nil {
		s.WriteByte('?')
		s.Write(u.Headers)
	}
	return s.String()
}

func FuzzURI(f *testing.F) {
	for _, s := range []string{
		"sip:alice:pw@atlanta.com:5060;transport=tcp;lr?subject=x&b=",
		"sip:user;par=u%40example.net@example.com",
		"sip:[2001:db8::10:5070]", "sip:[::ffff:192.0.2.2]:1",
		"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
		"soap.beep://192.0.2.103:3002", "tel:+1;phone-context=a", "sip:2001:db8::10",
		"sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := ParseURI(b)
		if err != nil {
			checkParseError(t, b, err)
			return
		}
		for _, field := range [][]byte{u.Raw, u.Scheme, u.User, u.Password, u.Host, u.PortRaw, u.Params, u.Headers, u.Opaque} {
			if !isSubSlice(b, field) {
				t.Fatalf("field %q not inside input", field)
			}
		}
		if u.IsSIP() && uriRebuild(&u) != string(b) {
			t.Fatalf("rebuilt %q from %q", uriRebuild(&u), b)
		}
		if !u.IsSIP() && string(u.Scheme)+":"+string(u.Opaque) != string(b) {
			t.Fatalf("opaque %q does not rebuild %q", u.Opaque, b)
		}
		if !URIEqual(&u, &u) {
			t.Fatalf("%q not equal to itself", b)
		}
		if _, err := Unescape(nil, u.User); err != nil {
			t.Fatalf("accepted user %q has a bad escape", u.User)
		}
		in := append(append([]byte("<"), b...), '>')
		n, err := ParseNameAddr(in)
		if err != nil || !bytes.Equal(n.URI.Raw, b) {
			t.Fatalf("<%s> as name-addr: %v", b, err)
		}
	})
}
