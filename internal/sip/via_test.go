package sip

import (
	"fmt"
	"strings"
	"testing"
)

func viaSummary(v *Via) string {
	return fmt.Sprintf("%s/%s/%s host=%s port=%d sentby=%s params=%s",
		v.ProtoName, v.ProtoVersion, v.Transport, v.Host, v.Port, v.SentBy, fieldStr(v.Params))
}

func TestParseVia(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds",
			"SIP/2.0/UDP host=pc33.atlanta.com port=0 sentby=pc33.atlanta.com params=;branch=z9hG4bK776asdhds"},
		{"port", "SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKnashds8;received=192.0.2.3",
			"SIP/2.0/TCP host=192.0.2.1 port=5060 sentby=192.0.2.1:5060 params=;branch=z9hG4bKnashds8;received=192.0.2.3"},
		{"no params (RFC 4475 3.4.1)", "SIP/2.0/UDP iftgw.example.com",
			"SIP/2.0/UDP host=iftgw.example.com port=0 sentby=iftgw.example.com params=<nil>"},
		{"folded protocol (RFC 4475 3.1.1.1)", "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw",
			"SIP/2.0/UDP host=192.0.2.2 port=0 sentby=192.0.2.2 params=;branch=390skdjuw"},
		{"lws everywhere", "SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8",
			"SIP/2.0/TCP host=spindle.example.com port=0 sentby=spindle.example.com params=;\r\n  branch  =   z9hG4bK9ikj8"},
		{"lws around port colon", "SIP/2.0/UDP host.example.com \t: 5070 ;rport",
			"SIP/2.0/UDP host=host.example.com port=5070 sentby=host.example.com \t: 5070 params=;rport"},
		{"ipv6 (RFC 5118 4.1)", "SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111",
			"SIP/2.0/UDP host=[2001:db8::9:1] port=0 sentby=[2001:db8::9:1] params=;branch=z9hG4bKas3-111"},
		{"ipv6 port (RFC 5118 4.7)", "SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111",
			"SIP/2.0/UDP host=[2001:db8::9:1] port=6050 sentby=[2001:db8::9:1]:6050 params=;branch=z9hG4bKas3-111"},
		{"received v6 no brackets (RFC 5118 4.5)", "SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3",
			"SIP/2.0/UDP host=[2001:db8::9:1] port=0 sentby=[2001:db8::9:1] params=;received=2001:db8::9:255;branch=z9hG4bKas3"},
		{"received v6 brackets (RFC 5118 4.5)", "SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111",
			"SIP/2.0/UDP host=[2001:db8::9:1] port=0 sentby=[2001:db8::9:1] params=;received=[2001:db8::9:255];branch=z9hG4bKas3-111"},
		{"unknown transport (RFC 4475 3.1.1.10)", "SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en",
			"SIP/2.0/UNKNOWN host=t4.example.com port=0 sentby=t4.example.com params=;branch=z9hG4bKasd0f3en"},
		{"websocket", "SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKasudf;rport=5060;maddr=224.2.0.1;ttl=16",
			"SIP/2.0/WSS host=df7jal23ls0d.invalid port=0 sentby=df7jal23ls0d.invalid params=;branch=z9hG4bKasudf;rport=5060;maddr=224.2.0.1;ttl=16"},
		{"other version is for the start line (RFC 4475 3.1.2.16)", "SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw",
			"SIP/7.0/UDP host=c.example.com port=0 sentby=c.example.com params=;branch=z9hG4bKkdjuw"},
		{"branch with odd token chars (RFC 4475 3.1.1.2)", "SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~",
			"SIP/2.0/TCP host=host1.example.com port=0 sentby=host1.example.com params=;branch=z9hG4bK-.!%66*_+`'~"},
		{"surrounding lws", "\r\n SIP/2.0/UDP h.example.com \r\n ",
			"SIP/2.0/UDP host=h.example.com port=0 sentby=h.example.com params=<nil>"},
		{"quoted extension", `SIP/2.0/UDP h.example.com;x="a;b, c"`,
			`SIP/2.0/UDP host=h.example.com port=0 sentby=h.example.com params=;x="a;b, c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			v, err := ParseVia(in)
			if err != nil {
				t.Fatalf("ParseVia(%q): %v", tt.in, err)
			}
			if got := viaSummary(&v); got != tt.want {
				t.Errorf("ParseVia(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseViaErrors(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "bad Via: missing protocol"},
		{"missing version", "SIP UDP host", "bad Via: missing protocol version"},
		{"missing transport", "SIP/2.0 host.example.com", "bad Via: missing transport"},
		{"empty transport", "SIP/2.0/ host.example.com", "bad Via: missing sent-by"},
		{"missing sent-by", "SIP/2.0/UDP", "bad Via: missing sent-by"},
		{"no lws before sent-by", "SIP/2.0/UDP;branch=z9hG4bK1", "bad Via: missing sent-by"},
		{"stray separators (RFC 4475 3.1.2.1)", "SIP/2.0/UDP 192.0.2.15;;", "bad Via: empty parameter"},
		{"trailing semicolon", "SIP/2.0/UDP 192.0.2.15;", "bad Via: empty parameter"},
		{"ipv6 without brackets", "SIP/2.0/UDP 2001:db8::9:1;branch=z9hG4bK1", "bad Via: IPv6 address without brackets"},
		{"bad host", "SIP/2.0/UDP bad!host;branch=z9hG4bK1", "bad Via: bad sent-by"},
		{"empty host", "SIP/2.0/UDP ;branch=z9hG4bK1", "bad Via: bad host"},
		{"bad port", "SIP/2.0/UDP h.example.com:0", "bad Via: bad port"},
		{"port too large", "SIP/2.0/UDP h.example.com:65536", "bad Via: bad port"},
		{"junk after sent-by", "SIP/2.0/UDP h.example.com x", "bad Via: bad sent-by"},
		{"two hosts", "SIP/2.0/UDP a.example.com b.example.com", "bad Via: bad sent-by"},
		{"branch without value", "SIP/2.0/UDP h.example.com;branch", "bad Via: bad branch"},
		{"branch quoted", `SIP/2.0/UDP h.example.com;branch="z9hG4bK1"`, "bad Via: bad branch"},
		{"received hostname", "SIP/2.0/UDP h.example.com;received=h.example.com", "bad Via: bad received"},
		{"received bad ipv6", "SIP/2.0/UDP h.example.com;received=[2001:db8:::1]", "bad Via: bad parameter value"},
		{"received empty", "SIP/2.0/UDP h.example.com;received=", "bad Via: bad parameter value"},
		{"rport letters", "SIP/2.0/UDP h.example.com;rport=abc", "bad Via: bad rport"},
		{"rport zero", "SIP/2.0/UDP h.example.com;rport=0", "bad Via: bad rport"},
		{"ttl too large", "SIP/2.0/UDP h.example.com;ttl=300", "bad Via: bad ttl"},
		{"maddr not host", "SIP/2.0/UDP h.example.com;maddr=a..b", "bad Via: bad maddr"},
		{"comma inside", "SIP/2.0/UDP h.example.com, SIP/2.0/UDP x.example.com", "bad Via: bad sent-by"},
		{"comma in params", "SIP/2.0/UDP h.example.com;branch=a, SIP/2.0/UDP x.example.com", "bad Via: bad parameter value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			v, err := ParseVia(in)
			if err == nil {
				t.Fatalf("ParseVia(%q) = %s, want error", tt.in, viaSummary(&v))
			}
			checkParseError(t, in, err)
			if err.Error() != tt.reason {
				t.Errorf("ParseVia(%q) error %q, want %q", tt.in, err, tt.reason)
			}
		})
	}
}

func TestParseViaList(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		err      string
	}{
		{"folded pair (RFC 4475 3.1.1.1)", "SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239",
			[]string{"z9hG4bK9ikj8", "z9hG4bK30239"}, ""},
		{"received ipv6 brackets and comma", "SIP/2.0/UDP [::1];received=[2001:db8::1];branch=a, SIP/2.0/TCP b.example.com;branch=b",
			[]string{"a", "b"}, ""},
		{"stray separators (RFC 4475 3.1.2.1)", "SIP/2.0/UDP 192.0.2.15;;,;,,", nil, "bad Via: empty parameter"},
		{"empty element", "SIP/2.0/UDP a.example.com;branch=a,,SIP/2.0/UDP b.example.com", []string{"a"}, "bad Via: empty list element"},
		{"empty", " ", nil, "bad Via: empty list element"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			var got []string
			err := ParseViaList(in, func(v Via) bool {
				got = append(got, string(v.Branch()))
				return true
			})
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("branches %q, want %q", got, tt.want)
			}
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || err.Error() != tt.err) {
				t.Errorf("error %v, want %q", err, tt.err)
			}
			if err != nil {
				checkParseError(t, in, err)
			}
		})
	}
}

func TestViaAccessors(t *testing.T) {
	v, err := ParseVia([]byte("SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];BRANCH=z9hG4bKas3;rport=40000;maddr=224.2.0.1;ttl=16"))
	if err != nil {
		t.Fatal(err)
	}
	port, present := v.RPort()
	ttl, ttlPresent := v.TTL()
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"Branch", string(v.Branch()), "z9hG4bKas3"},
		{"Received", string(v.Received()), "[2001:db8::9:255]"},
		{"RPort", fmt.Sprint(port, present), "40000 true"},
		{"Maddr", string(v.Maddr()), "224.2.0.1"},
		{"TTL", fmt.Sprint(ttl, ttlPresent), "16 true"},
		{"IsRFC3261Branch", v.IsRFC3261Branch(), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	bare, _ := ParseVia([]byte("SIP/2.0/UDP a.example.com;rport"))
	if port, ok := bare.RPort(); port != 0 || !ok {
		t.Errorf("flag rport = %d, %v; want 0, true (RFC 3581 §3)", port, ok)
	}
	if _, ok := bare.TTL(); ok || bare.Branch() != nil || bare.Received() != nil || bare.IsRFC3261Branch() {
		t.Error("absent params reported")
	}
	none, _ := ParseVia([]byte("SIP/2.0/UDP a.example.com"))
	if _, ok := none.RPort(); ok {
		t.Error("absent rport reported")
	}
}

func TestIsRFC3261Branch(t *testing.T) {
	tests := []struct {
		branch string
		want   bool
	}{
		{"z9hG4bK776asdhds", true},
		{"z9hG4bK", false}, // RFC 4475 §3.2.1: the cookie alone names no transaction
		{"z9hg4bk776", false},
		{"390skdjuw", false},
	}
	for _, tt := range tests {
		v, err := ParseVia([]byte("SIP/2.0/UDP h.example.com;branch=" + tt.branch))
		if err != nil {
			t.Fatal(err)
		}
		if got := v.IsRFC3261Branch(); got != tt.want {
			t.Errorf("IsRFC3261Branch(%q) = %v, want %v", tt.branch, got, tt.want)
		}
	}
}

// TestCorpusVias reads the Via headers of the torture messages.
func TestCorpusVias(t *testing.T) {
	tests := []struct {
		file string
		want []string // "transport host port branch received" per Via
	}{
		{"wsinv.sip", []string{"UDP 192.0.2.2 0 390skdjuw -", "TCP spindle.example.com 0 z9hG4bK9ikj8 -", "UDP 192.168.255.111 0 z9hG4bK30239 -"}},
		{"transports.sip", []string{"UDP t1.example.com 0 z9hG4bKkdjuw -", "SCTP t2.example.com 0 z9hG4bKklasjdhf -",
			"TLS t3.example.com 0 z9hG4bK2980unddj -", "UNKNOWN t4.example.com 0 z9hG4bKasd0f3en -", "TCP t5.example.com 0 z9hG4bK0a9idfnee -"}},
		{"badbranch.sip", []string{"UDP 192.0.2.1 0 z9hG4bK -"}},
		{"bcast.sip", []string{"UDP 192.0.2.198 0 z9hG4bK1324923 -", "UDP 255.255.255.255 0 z9hG4bK1saber23 -"}},
		{"mult-ip-in-header.sip", []string{"UDP [2001:db8::9:1] 6050 z9hG4bKas3-111 -", "UDP 192.0.2.1 0 z9hG4bKjhja8781hjuaij65144 -",
			"TCP [2001:db8::9:255] 0 z9hG4bK451jj 192.0.2.200"}},
		{"via-received-param-with-delim.sip", []string{"UDP [2001:db8::9:1] 0 z9hG4bKas3-111 [2001:db8::9:255]"}},
		{"via-received-param-no-delim.sip", []string{"UDP [2001:db8::9:1] 0 z9hG4bKas3 2001:db8::9:255"}},
		{"ipv4-mapped-ipv6.sip", []string{"UDP [::ffff:192.0.2.10] 19823 z9hG4bKbh19 -", "UDP [::ffff:192.0.2.2] 0 z9hG4bKas3-111 -"}},
		{"mpart01.sip", []string{"UDP 127.0.0.1 5070 z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543- -"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var got []string
			for _, v := range corpusFile(t, tt.file).vias(t) {
				r := string(v.Received())
				if r == "" {
					r = "-"
				}
				got = append(got, fmt.Sprintf("%s %s %d %s %s", v.Transport, v.Host, v.Port, v.Branch(), r))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("\n got %q\nwant %q", got, tt.want)
			}
		})
	}
	t.Run("longreq.sip", func(t *testing.T) {
		if vias := corpusFile(t, "longreq.sip").vias(t); len(vias) != 34 {
			t.Errorf("%d Vias, want 34", len(vias))
		}
	})
	t.Run("mpart01.sip rport", func(t *testing.T) {
		v := corpusFile(t, "mpart01.sip").vias(t)[0]
		if port, ok := v.RPort(); !ok || port != 0 {
			t.Errorf("rport = %d, %v", port, ok)
		}
	})
	t.Run("badbranch.sip", func(t *testing.T) {
		if v := corpusFile(t, "badbranch.sip").vias(t)[0]; v.IsRFC3261Branch() {
			t.Error("bare magic cookie taken as an RFC 3261 branch (RFC 4475 3.2.1)")
		}
	})
}

func TestParseViaNoAllocs(t *testing.T) {
	in := []byte("SIP/2.0/UDP [2001:db8::9:1]:5060;received=2001:db8::9:255;branch=z9hG4bKas3;rport")
	checkNoAllocs(t, "ParseVia", func() {
		v, _ := ParseVia(in)
		v.Branch()
		v.RPort()
		v.IsRFC3261Branch()
	})
	list := []byte("SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com:5061;branch=z9hG4bK2")
	checkNoAllocs(t, "ParseViaList", func() {
		ParseViaList(list, func(Via) bool { return true })
	})
}

var benchVia = []byte("SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport;received=192.0.2.1")

func BenchmarkParseVia(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchVia)))
	for b.Loop() {
		if _, err := ParseVia(benchVia); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzVia(f *testing.F) {
	for _, s := range []string{
		"SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw",
		"SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239",
		"SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111",
		"SIP/2.0/UDP [2001:db8::9:1]:6050;received=2001:db8::9:255;rport=1;ttl=1;maddr=a.b",
		"SIP/2.0/UDP 192.0.2.15;;,;,,", "SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bK",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseVia(b)
		if err != nil {
			checkParseError(t, b, err)
		} else {
			checkVia(t, b, &v)
			sp := unfoldSP(b)
			if w, err := ParseVia(sp); err != nil || viaSummary(&w) != string(unfoldSP([]byte(viaSummary(&v)))) {
				t.Fatalf("%q accepted but %q gives %v", b, sp, err)
			}
		}
		err = ParseViaList(b, func(v Via) bool {
			checkVia(t, b, &v)
			return true
		})
		if err != nil {
			checkParseError(t, b, err)
		}
	})
}

// checkVia asserts the invariants of an accepted via-parm.
func checkVia(t *testing.T, b []byte, v *Via) {
	t.Helper()
	for _, field := range [][]byte{v.Raw, v.Proto, v.ProtoName, v.ProtoVersion, v.Transport, v.SentBy, v.Host, v.PortRaw, v.Params, v.Branch(), v.Received()} {
		if !isSubSlice(b, field) {
			t.Fatalf("field %q not inside input %q", field, b)
		}
	}
	if !isTokenBytes(v.Transport) || !validHost(v.Host) || !v.Params.Valid() {
		t.Fatalf("accepted bad Via %q: %s", b, viaSummary(v))
	}
	if (v.PortRaw != nil) != (v.Port != 0) {
		t.Fatalf("port %d but raw %q", v.Port, v.PortRaw)
	}
	if r := v.Received(); r != nil && !validReceived(r) {
		t.Fatalf("accepted bad received %q", r)
	}
}
