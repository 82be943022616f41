package sip

import (
	"fmt"
	"strings"
	"testing"
)

func nameAddrSummary(n *NameAddr) string {
	if n.Star {
		return "*"
	}
	return fmt.Sprintf("display=%s uri=%s params=%s", fieldStr(n.Display), fieldStr(n.URI.Raw), fieldStr(n.Params))
}

func TestParseNameAddr(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"addr-spec", "sip:alice@atlanta.com",
			"display=<nil> uri=sip:alice@atlanta.com params=<nil>"},
		{"addr-spec with tag", "sip:alice@atlanta.com;tag=1928301774",
			"display=<nil> uri=sip:alice@atlanta.com params=;tag=1928301774"},
		{"addr-spec params are header params (RFC 4475 3.3.12)", "sip:+19725552222@gw1.example.net;unknownparam",
			"display=<nil> uri=sip:+19725552222@gw1.example.net params=;unknownparam"},
		{"uri params inside <> (RFC 4475 3.3.13)", "<sip:+19725552222@gw1.example.net;unknownparam>",
			"display=<nil> uri=sip:+19725552222@gw1.example.net;unknownparam params=<nil>"},
		{"quoted display", `"Bob" <sips:bob@biloxi.com> ;tag=a48s`,
			`display="Bob" uri=sips:bob@biloxi.com params=;tag=a48s`},
		{"token display", "Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8",
			"display=Anonymous uri=sip:c8oqz84zk7z@privacy.org params=;tag=hyh8"},
		{"multi-token display", "A. G. Bell <sip:agb@bell-telephone.com> ;tag=a48s",
			"display=A. G. Bell uri=sip:agb@bell-telephone.com params=;tag=a48s"},
		{"no lws before < (RFC 4475 3.1.1.6)", "caller<sip:caller@example.com>;tag=323",
			"display=caller uri=sip:caller@example.com params=;tag=323"},
		{"quoted display no lws", `"a"<sip:a@b.com>`,
			`display="a" uri=sip:a@b.com params=<nil>`},
		{"escaped quotes in display", `"J Rosenberg \\\""       <sip:jdrosen@example.com>` + "\r\n  ;\r\n  tag = 98asjd8",
			`display="J Rosenberg \\\"" uri=sip:jdrosen@example.com params=;` + "\r\n  tag = 98asjd8"},
		{"comma and angle in quotes", `"Bell, <Alexander>" <sip:a.g.bell@example.com>`,
			`display="Bell, <Alexander>" uri=sip:a.g.bell@example.com params=<nil>`},
		{"folded params", "\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
			"display=<nil> uri=sip:vivekg@chair-dnrc.example.com params=;   tag    = 1918181833n"},
		{"quoted param value with <", `sip:a@b.com;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1`,
			`display=<nil> uri=sip:a@b.com params=;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1`},
		{"user with ; , ? inside <>", "<sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>",
			"display=<nil> uri=sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com params=<nil>"},
		{"escaped header inside <> (RFC 4475 3.3.14)", "<sip:user@example.com?Route=%3Csip:sip.example.com%3E>",
			"display=<nil> uri=sip:user@example.com?Route=%3Csip:sip.example.com%3E params=<nil>"},
		{"non-sip addr-spec (RFC 4475 3.3.4)", "isbn:2983792873",
			"display=<nil> uri=isbn:2983792873 params=<nil>"},
		{"non-sip name-addr", "<http://www.example.com>;tag=3234233",
			"display=<nil> uri=http://www.example.com params=;tag=3234233"},
		{"ipv6 contact", `"Caller" <sip:caller@[2001:db8::1]>`,
			`display="Caller" uri=sip:caller@[2001:db8::1] params=<nil>`},
		{"utf-8 quoted param", "token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\";tag=_token~1'+`*%!-.",
			"display=token1~` token2'+_ token3*%!.- uri=sip:mundane@example.com params=;fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\";tag=_token~1'+`*%!-."},
		{"star", " * ", "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			n, err := ParseNameAddr(in)
			if err != nil {
				t.Fatalf("ParseNameAddr(%q): %v", tt.in, err)
			}
			if got := nameAddrSummary(&n); got != tt.want {
				t.Errorf("ParseNameAddr(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if string(n.Raw) != strings.Trim(tt.in, " \r\n") {
				t.Errorf("Raw = %q", n.Raw)
			}
		})
	}
}

func TestParseNameAddrErrors(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "bad name-addr: empty"},
		{"only lws", " \r\n ", "bad name-addr: empty"},
		{"unterminated quote (RFC 4475 3.1.2.6)", `"Mr. J. User <sip:j.user@example.com>`, "bad name-addr: unterminated quoted string"},
		{"non-token display (RFC 4475 3.1.2.15)", "Bell, Alexander <sip:a.g.bell@example.com>;tag=43", "bad name-addr: bad display name"},
		{"quoted then token display", `"a" b <sip:a@b.com>`, "bad name-addr: bad display name"},
		{"spaces in addr-spec (RFC 4475 3.1.2.14)", "\"Watson, Thomas\" < sip:t.watson@example.org >", "bad name-addr: LWS in addr-spec"},
		{"escaped header without <> (RFC 4475 3.1.2.13)", "sip:user@example.com?Route=%3Csip:sip.example.com%3E", "bad name-addr: URI with , or ? outside angle brackets"},
		{"comma without <>", "sip:a@b.com,sip:c@d.com", "bad name-addr: URI with , or ? outside angle brackets"},
		{"semicolon user without <> breaks", "sip:user;par=u%40example.net@example.com", "bad name-addr: bad parameter value"},
		{"stray semicolons (RFC 4475 3.1.2.1)", `"Joe" <sip:joe@example.org>;;;;`, "bad name-addr: empty parameter"},
		{"trailing semicolon", "<sip:a@b.com>;", "bad name-addr: empty parameter"},
		{"missing >", "<sip:a@b.com", "bad name-addr: missing closing angle bracket"},
		{"empty <>", "<>", "bad URI: bad scheme"},
		{"junk after >", "<sip:a@b.com> x", "bad name-addr: junk after URI"},
		{"junk after addr-spec", "sip:a@b.com x", "bad name-addr: junk after URI"},
		{"no scheme (RFC 4475 test.sip)", "alan@jasomi.com", "bad URI: bad scheme"},
		{"bad uri inside <>", "<sip:a@b..com>", "bad URI: bad host"},
		{"bad param value", "<sip:a@b.com>;tag=a b", "bad name-addr: bad parameter value"},
		{"star with params", "*;expires=0", "bad URI: bad scheme"},
		{"quoted param unterminated", `<sip:a@b.com>;p="x`, "bad name-addr: bad parameter value"},
		{"quote swallowing the uri", `"x <sip:a@b.com>;p="x"`, "bad name-addr: unterminated quoted string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			n, err := ParseNameAddr(in)
			if err == nil {
				t.Fatalf("ParseNameAddr(%q) = %s, want error", tt.in, nameAddrSummary(&n))
			}
			checkParseError(t, in, err)
			if err.Error() != tt.reason {
				t.Errorf("ParseNameAddr(%q) error %q, want %q", tt.in, err, tt.reason)
			}
		})
	}
}

func TestParseNameAddrList(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		err      string
	}{
		{"two", `<sip:a@b.com>;q=0.5, "X" <sip:c@d.com>`, []string{"sip:a@b.com", "sip:c@d.com"}, ""},
		{"comma in display", `"Doe, John" <sip:a@b.com>, <sip:c@d.com>`, []string{"sip:a@b.com", "sip:c@d.com"}, ""},
		{"comma in user", "<sip:a,b@c.com>,<sip:d@e.com>", []string{"sip:a,b@c.com", "sip:d@e.com"}, ""},
		{"folded", "<sip:a@b.com>,\r\n <sip:c@d.com>", []string{"sip:a@b.com", "sip:c@d.com"}, ""},
		{"star alone", " * ", []string{"*"}, ""},
		{"star with others", "*, <sip:a@b.com>", nil, "bad name-addr: * must stand alone"},
		{"other then star", "<sip:a@b.com>, *", []string{"sip:a@b.com"}, "bad name-addr: * must stand alone"},
		{"empty", "", nil, "bad name-addr: empty list element"},
		{"empty element", "<sip:a@b.com>,,<sip:c@d.com>", []string{"sip:a@b.com"}, "bad name-addr: empty list element"},
		{"trailing comma", "<sip:a@b.com>,", []string{"sip:a@b.com"}, "bad name-addr: empty list element"},
		{"bad second", "<sip:a@b.com>, <sip:c@d..com>", []string{"sip:a@b.com"}, "bad URI: bad host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			var got []string
			err := ParseNameAddrList(in, func(n NameAddr) bool {
				if n.Star {
					got = append(got, "*")
				} else {
					got = append(got, string(n.URI.Raw))
				}
				return true
			})
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("elements %q, want %q", got, tt.want)
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

func TestParseNameAddrListStops(t *testing.T) {
	calls := 0
	err := ParseNameAddrList([]byte("<sip:a@b.com>, <sip:c@d.com>, garbage"), func(NameAddr) bool {
		calls++
		return false
	})
	if err != nil || calls != 1 {
		t.Errorf("calls=%d err=%v, want 1 call and no error", calls, err)
	}
}

func TestParseNameAddrListErrorOffset(t *testing.T) {
	in := []byte("<sip:a@b.com>, <sip:c@d..com>")
	err := ParseNameAddrList(in, func(NameAddr) bool { return true })
	want := len("<sip:a@b.com>, <sip:c@")
	if pe, ok := err.(*ParseError); !ok || pe.Off != want {
		t.Errorf("error %v, want a *ParseError at offset %d", err, want)
	}
}

func TestNameAddrAccessors(t *testing.T) {
	n, err := ParseNameAddr([]byte(`"A \"B\" C" <sip:a@b.com>;TAG=xyz;q=0.7;expires=3600`))
	if err != nil {
		t.Fatal(err)
	}
	if string(n.Tag()) != "xyz" {
		t.Errorf("Tag = %q", n.Tag())
	}
	if q, ok, err := n.Q(); q != 700 || !ok || err != nil {
		t.Errorf("Q = %d, %v, %v", q, ok, err)
	}
	if e, ok, err := n.Expires(); e != 3600 || !ok || err != nil {
		t.Errorf("Expires = %d, %v, %v", e, ok, err)
	}
	if d := n.DisplayName(nil); string(d) != `A "B" C` {
		t.Errorf("DisplayName = %q", d)
	}
	plain, _ := ParseNameAddr([]byte("Bob <sip:b@c.com>"))
	if d := plain.DisplayName([]byte("x")); string(d) != "xBob" {
		t.Errorf("DisplayName of a token = %q", d)
	}
	if _, ok, err := plain.Q(); ok || err != nil {
		t.Error("absent q reported")
	}
	if _, ok, err := plain.Expires(); ok || err != nil {
		t.Error("absent expires reported")
	}
	if plain.Tag() != nil {
		t.Error("absent tag reported")
	}
}

func TestParseQ(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"0.", 0, true}, {"0.5", 500, true}, {"0.33", 330, true}, {"0.001", 1, true},
		{"1", 1000, true}, {"1.0", 1000, true}, {"1.000", 1000, true},
		{"1.5", 0, false}, {"1.001", 0, false}, {"2", 0, false}, {"0.0001", 0, false}, {"", 0, false},
		{"00", 0, false}, {".5", 0, false}, {"0.a", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseQ([]byte(tt.in))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseQ(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNameAddrBadContactScalars(t *testing.T) {
	n, err := ParseNameAddr([]byte("<sip:user@host129.example.com>\r\n  ;expires=280297596632815;q=2"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := n.Expires(); !ok || err == nil {
		t.Error("overlarge expires (RFC 4475 3.1.2.4) not reported as error")
	}
	if _, ok, err := n.Q(); !ok || err == nil {
		t.Error("q=2 not reported as error")
	}
}

// TestCorpusNameAddrs reads From, To, Contact and Route of the torture
// messages.
func TestCorpusNameAddrs(t *testing.T) {
	t.Run("wsinv.sip", func(t *testing.T) {
		m := corpusFile(t, "wsinv.sip")
		if to := m.nameAddr(t, "to"); string(to.Tag()) != "1918181833n" || string(to.URI.User) != "vivekg" {
			t.Errorf("To: %s", nameAddrSummary(&to))
		}
		from := m.nameAddr(t, "from")
		if string(from.Tag()) != "98asjd8" || string(from.DisplayName(nil)) != `J Rosenberg \"` {
			t.Errorf("From: %s, display text %q", nameAddrSummary(&from), from.DisplayName(nil))
		}
		c := m.nameAddrs(t, "m")
		if len(c) != 1 || string(c[0].DisplayName(nil)) != `Quoted string ""` {
			t.Fatalf("Contact: %v", c)
		}
		if q, _, _ := c[0].Q(); q != 330 || !c[0].Params.Has("secondparam") {
			t.Errorf("Contact q=%d params %q", q, c[0].Params)
		}
		if v, _ := c[0].Params.Get("newparam"); string(v) != "newvalue" {
			t.Errorf("newparam = %q", v)
		}
		r := m.nameAddrs(t, "route")
		if len(r) != 1 || !r[0].URI.LR() || !r[0].URI.Params.Has("unknown-no-value") {
			t.Errorf("Route: %v", r)
		}
	})
	t.Run("esc01.sip", func(t *testing.T) {
		m := corpusFile(t, "esc01.sip")
		c := m.nameAddrs(t, "contact")
		if len(c) != 1 || !c[0].URI.LR() {
			t.Fatalf("Contact %v: lr not found", c)
		}
		v, _ := c[0].URI.Param("name")
		if got, _ := Unescape(nil, v); string(got) != "value%41" {
			t.Errorf("name param unescapes to %q, want value%%41 (no recursion)", got)
		}
		from := m.nameAddr(t, "from")
		if got, _ := Unescape(nil, from.URI.User); string(got) != "I have spaces" {
			t.Errorf("From user %q", got)
		}
	})
	t.Run("escnull.sip", func(t *testing.T) {
		c := corpusFile(t, "escnull.sip").nameAddrs(t, "contact")
		if len(c) != 2 || URIEqual(&c[0].URI, &c[1].URI) {
			t.Fatalf("want two distinct contacts, got %v", c)
		}
		if u, _ := Unescape(nil, c[1].URI.User); string(u) != "\x00\x00" {
			t.Errorf("user = %q", u)
		}
	})
	t.Run("cparam01.sip", func(t *testing.T) {
		c := corpusFile(t, "cparam01.sip").nameAddrs(t, "contact")
		if len(c) != 1 || c[0].URI.Params != nil || !c[0].Params.Has("unknownparam") {
			t.Errorf("unknownparam must be a contact param: %s", nameAddrSummary(&c[0]))
		}
	})
	t.Run("cparam02.sip", func(t *testing.T) {
		c := corpusFile(t, "cparam02.sip").nameAddrs(t, "contact")
		if len(c) != 1 || c[0].Params != nil || !c[0].URI.Params.Has("unknownparam") {
			t.Errorf("unknownparam must be a URI param: %s", nameAddrSummary(&c[0]))
		}
	})
	t.Run("regescrt.sip", func(t *testing.T) {
		c := corpusFile(t, "regescrt.sip").nameAddrs(t, "m")
		if len(c) != 1 || string(c[0].URI.Headers) != "Route=%3Csip:sip.example.com%3E" {
			t.Errorf("Contact: %v", c)
		}
	})
	t.Run("unksm2.sip", func(t *testing.T) {
		m := corpusFile(t, "unksm2.sip")
		to, from := m.nameAddr(t, "to"), m.nameAddr(t, "from")
		c := m.nameAddrs(t, "contact")
		if to.URI.IsSIP() || string(to.URI.Scheme) != "isbn" || string(from.URI.Opaque) != "//www.example.com" ||
			string(from.Tag()) != "3234233" || len(c) != 1 || string(c[0].URI.Opaque) != "John_Smith" {
			t.Errorf("To %s From %s Contact %v", nameAddrSummary(&to), nameAddrSummary(&from), c)
		}
	})
	t.Run("intmeth.sip", func(t *testing.T) {
		m := corpusFile(t, "intmeth.sip")
		to := m.nameAddr(t, "to")
		if got := to.DisplayName(nil); string(got) != "BEL:\x07 NUL:\x00 DEL:\x7f" {
			t.Errorf("To display %q", got)
		}
		from := m.nameAddr(t, "from")
		if string(from.Tag()) != "_token~1'+`*%!-." || string(from.Display) != "token1~` token2'+_ token3*%!.-" {
			t.Errorf("From %s", nameAddrSummary(&from))
		}
	})
	t.Run("lwsdisp.sip", func(t *testing.T) {
		from := corpusFile(t, "lwsdisp.sip").nameAddr(t, "from")
		if string(from.Display) != "caller" || string(from.Tag()) != "323" {
			t.Errorf("From %s", nameAddrSummary(&from))
		}
	})
	t.Run("longreq.sip", func(t *testing.T) {
		to := corpusFile(t, "longreq.sip").nameAddr(t, "to")
		if to.URI.Port != 6000 || !to.URI.Params.Has("verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongParameterNameWithNoValue") {
			t.Errorf("To %s", nameAddrSummary(&to))
		}
	})
	t.Run("ipv4-mapped-ipv6.sip", func(t *testing.T) {
		c := corpusFile(t, "ipv4-mapped-ipv6.sip").nameAddrs(t, "contact")
		if len(c) != 1 || string(c[0].URI.Host) != "[::ffff:192.0.2.2]" || string(c[0].Display) != `"T. desk phone"` {
			t.Errorf("Contact %v", c)
		}
	})
	t.Run("scalar02.sip", func(t *testing.T) {
		c := corpusFile(t, "scalar02.sip").nameAddrs(t, "contact")
		if _, ok, err := c[0].Expires(); !ok || err == nil {
			t.Errorf("overlarge expires accepted: %v", c)
		}
	})
}

func TestParseNameAddrNoAllocs(t *testing.T) {
	for _, s := range []string{
		`"Alice Liddell" <sip:alice@atlanta.example.com;transport=tcp>;tag=1928301774;q=0.5`,
		"sip:alice@atlanta.com ; tag = 88sja8x",
		"*",
	} {
		b := []byte(s)
		checkNoAllocs(t, s, func() {
			n, _ := ParseNameAddr(b)
			n.Tag()
			n.Q()
			n.Expires()
		})
	}
	list := []byte(`<sip:a@b.com>;q=0.5, "X" <sip:c@d.com>, <sip:e@f.com;lr>`)
	checkNoAllocs(t, "list", func() {
		ParseNameAddrList(list, func(NameAddr) bool { return true })
	})
}

var benchNameAddr = []byte(`"Alice Liddell" <sip:alice@atlanta.example.com;transport=tcp>;tag=1928301774`)

func BenchmarkParseNameAddr(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchNameAddr)))
	for b.Loop() {
		if _, err := ParseNameAddr(benchNameAddr); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzNameAddr(f *testing.F) {
	for _, s := range []string{
		`"J Rosenberg \\\""       <sip:jdrosen@example.com>` + "\r\n  ;\r\n  tag = 98asjd8",
		"\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
		"caller<sip:caller@example.com>;tag=323", "*", `"Mr. J. User <sip:j.user@example.com>`,
		`<sip:a@b.com>;+sip.instance="<urn:uuid:1>";reg-id=1, <sip:c@d.com>;expires=0`,
		"Bell, Alexander <sip:a.g.bell@example.com>;tag=43", "<http://www.example.com>;tag=3234233",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseNameAddr(b)
		if err != nil {
			checkParseError(t, b, err)
		} else {
			checkNameAddr(t, b, &n)
			sp := unfoldSP(b)
			if w, err := ParseNameAddr(sp); err != nil || nameAddrSummary(&w) != string(unfoldSP([]byte(nameAddrSummary(&n)))) {
				t.Fatalf("%q accepted but %q gives %v", b, sp, err)
			}
		}
		err = ParseNameAddrList(b, func(n NameAddr) bool {
			checkNameAddr(t, b, &n)
			return true
		})
		if err != nil {
			checkParseError(t, b, err)
		}
	})
}

// checkNameAddr asserts the invariants of an accepted element.
func checkNameAddr(t *testing.T, b []byte, n *NameAddr) {
	t.Helper()
	for _, field := range [][]byte{n.Raw, n.Display, n.Params, n.URI.Raw, n.URI.User, n.URI.Host, n.URI.Params} {
		if !isSubSlice(b, field) {
			t.Fatalf("field %q not inside input %q", field, b)
		}
	}
	if n.Star {
		return
	}
	if !n.Params.Valid() {
		t.Fatalf("accepted bad params %q", n.Params)
	}
	u, err := ParseURI(n.URI.Raw)
	if err != nil || uriSummary(&u) != uriSummary(&n.URI) {
		t.Fatalf("URI %q does not re-parse the same: %v", n.URI.Raw, err)
	}
	if n.Display != nil && !validDisplay(n.Display) {
		t.Fatalf("accepted bad display %q", n.Display)
	}
}
