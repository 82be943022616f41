package sip

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// expectation is one row of a corpus EXPECTED.tsv.
type expectation struct {
	file, verdict, text string
	liberalOK           bool
}

func readExpected(t *testing.T, dir string) []expectation {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "EXPECTED.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []expectation
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 4 || strings.HasPrefix(cols[0], "#") {
			continue
		}
		rows = append(rows, expectation{file: cols[0], verdict: cols[1], text: cols[2], liberalOK: cols[3] == "yes"})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// verdict is what a node does with a message received over UDP: 0 means
// accepted for processing, -1 dropped, otherwise the error status it
// answers with.
func verdict(m *Msg, b []byte) int {
	err := m.Parse(b)
	if !m.IsRequest() {
		if err != nil || m.ValidateResponse() != nil {
			return -1
		}
		return 0
	}
	if err != nil && !m.CanReply() {
		return -1
	}
	if me := m.ValidateRequest(Limits{}, "path", "outbound"); me != nil {
		return me.Status
	}
	return 0
}

// wantStatus lists the messages whose RFC expectation is a specific answer
// other than acceptance (valid ones) or 400 (invalid requests).
var wantStatus = map[string]int{
	"unkscm.sip":     416, // RFC 4475 §3.3.2
	"novelsc.sip":    416, // §3.3.3: soap.beep is never acceptable here
	"bext01.sip":     420, // §3.3.5, Proxy-Require
	"badvers.sip":    505, // §3.1.2.16
	"mismatch02.sip": 501, // §3.1.2.18
	"scalarlg.sip":   -1,  // §3.1.2.5: responses are dropped
	"bigcode.sip":    -1,  // §3.1.2.19
}

func TestRFC4475(t *testing.T) {
	runCorpus(t, "testdata/rfc4475", nil)
}

// TestRFC5118 runs the CRLF ("wire") form of the IPv6 torture messages.
// Three of them declare a Content-Length that does not match their SDP, an
// arithmetic slip of the RFC's (see testdata/rfc5118/README.txt), so the
// length is recomputed as the corpus notes advise.
func TestRFC5118(t *testing.T) {
	runCorpus(t, "testdata/rfc5118", fixContentLength)
}

var clRe = regexp.MustCompile(`(?m)^Content-Length: *\d+\r$`)

func fixContentLength(b []byte) []byte {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		return b
	}
	n := len(b) - i - 4
	return clRe.ReplaceAll(b, []byte("Content-Length: "+strconv.Itoa(n)+"\r"))
}

func runCorpus(t *testing.T, dir string, prep func([]byte) []byte) {
	rows := readExpected(t, dir)
	files, _ := filepath.Glob(filepath.Join(dir, "*.sip"))
	if len(rows) != len(files) {
		t.Fatalf("%d rows for %d files", len(rows), len(files))
	}
	for _, row := range rows {
		t.Run(row.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, row.file))
			if err != nil {
				t.Fatal(err)
			}
			if prep != nil {
				b = prep(b)
			}
			var m Msg
			got := verdict(&m, b)
			want, specific := wantStatus[row.file]
			switch {
			case specific && got != want:
				t.Fatalf("verdict %d, want %d (%s)", got, want, row.text)
			case specific:
			case row.verdict == "valid" && got != 0:
				t.Fatalf("valid message refused with %d: %v (%s)", got, m.Err(), row.text)
			case row.verdict == "invalid" && got == 0 && !row.liberalOK:
				t.Fatalf("invalid message accepted (%s)", row.text)
			case row.verdict == "invalid" && got > 0 && got != 400 && m.IsRequest():
				t.Fatalf("invalid request answered %d, want 400", got)
			}
			if check := valueChecks[row.file]; check != nil {
				check(t, &m)
			}
			if got == 0 && m.IsRequest() {
				checkForwardKeepsBytes(t, &m)
			}
		})
	}
}

// checkForwardKeepsBytes forwards an accepted request the way a proxy does
// and checks every header it did not touch went out byte for byte.
func checkForwardKeepsBytes(t *testing.T, m *Msg) {
	t.Helper()
	e := NewEditor(m)
	e.PrependHeader("Via", []byte("SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKfwd"))
	e.DecrementMaxForwards()
	out := e.AppendTo(nil)
	var fwd Msg
	if err := fwd.Parse(out); err != nil {
		t.Fatalf("forwarded copy does not parse: %v", err)
	}
	for i := 0; i < m.NumHeaders(); i++ {
		h := m.HeaderAt(i)
		if h.ID != HdrMaxForwards && !bytes.Contains(out, h.Raw) {
			t.Errorf("header %q not forwarded as received", h.Name)
		}
	}
	if !bytes.Equal(fwd.Body(), m.Body()) {
		t.Error("body changed in forwarding")
	}
}

type check func(t *testing.T, m *Msg)

func eq(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if string(got) != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func topVia(t *testing.T, m *Msg) *Via {
	t.Helper()
	v, err := m.TopVia()
	if err != nil {
		t.Fatalf("top Via: %v", err)
	}
	return &v
}

func allVias(t *testing.T, m *Msg) []Via {
	t.Helper()
	var vs []Via
	if err := m.Vias(func(v Via) bool { vs = append(vs, v); return true }); err != nil {
		t.Fatalf("Vias: %v", err)
	}
	return vs
}

func contacts(t *testing.T, m *Msg) []NameAddr {
	t.Helper()
	var cs []NameAddr
	if err := m.NameAddrs(HdrContact, func(n NameAddr) bool { cs = append(cs, n); return true }); err != nil {
		t.Fatalf("Contacts: %v", err)
	}
	return cs
}

func ruri(t *testing.T, m *Msg) URI {
	t.Helper()
	u, err := m.RequestURI()
	if err != nil {
		t.Fatalf("Request-URI: %v", err)
	}
	return u
}

// valueChecks verify that the values of the valid messages read right
// (RFC 4475 §3.1.1, RFC 5118 §4).
var valueChecks = map[string]check{
	"wsinv.sip": func(t *testing.T, m *Msg) {
		eq(t, "To tag", m.ToTag(), "1918181833n")
		eq(t, "From tag", m.FromTag(), "98asjd8")
		if n, _, _ := m.MaxForwards(); n != 68 {
			t.Errorf("Max-Forwards %d", n)
		}
		if seq, meth, _ := m.CSeq(); seq != 9 || string(meth) != "INVITE" {
			t.Errorf("CSeq %d %q", seq, meth)
		}
		vs := allVias(t, m)
		if len(vs) != 3 {
			t.Fatalf("%d Vias", len(vs))
		}
		eq(t, "Via[1] branch", vs[1].Branch(), "z9hG4bK9ikj8")
		eq(t, "Via[2] branch", vs[2].Branch(), "z9hG4bK30239")
		eq(t, "Via[2] host", vs[2].Host, "192.168.255.111")
		v, _ := m.GetName("UnknownHeaderWithUnusualValue")
		eq(t, "unknown header", v, ";;,,;;,;")
		c := contacts(t, m)
		if len(c) != 1 {
			t.Fatalf("%d contacts", len(c))
		}
		if q, _, _ := c[0].Q(); q != 330 {
			t.Errorf("q = %d", q)
		}
		r, ok, err := m.TopRoute()
		if !ok || err != nil || !r.URI.LR() {
			t.Errorf("route %v %v", ok, err)
		}
		if len(m.Body()) != 150 {
			t.Errorf("body %d", len(m.Body()))
		}
	},
	"intmeth.sip": func(t *testing.T, m *Msg) {
		eq(t, "method", m.MethodBytes(), "!interesting-Method0123456789_*+`.%indeed'~")
		if m.Method() != MethodOther {
			t.Error("unknown method classified")
		}
		eq(t, "branch", topVia(t, m).Branch(), "z9hG4bK-.!%66*_+`'~")
		eq(t, "Call-ID", m.CallID(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
		eq(t, "R-URI host", ruri(t, m).Host, "example.com")
	},
	"esc01.sip": func(t *testing.T, m *Msg) {
		u := ruri(t, m)
		eq(t, "R-URI user", u.User, "sips%3Auser%40example.com")
		user, _ := Unescape(nil, u.User)
		eq(t, "R-URI user unescaped", user, "sips:user@example.com")
		c := contacts(t, m)
		p, _ := c[0].URI.Params.Get("n%61me")
		eq(t, "contact param", p, "v%61lue%25%34%31")
	},
	"escnull.sip": func(t *testing.T, m *Msg) {
		c := contacts(t, m)
		if len(c) != 2 || URIEqual(&c[0].URI, &c[1].URI) {
			t.Fatalf("want two distinct contacts, got %d", len(c))
		}
		to, _ := m.To()
		user, _ := Unescape(nil, to.URI.User)
		eq(t, "To user", user, "null-\x00-null")
	},
	"esc02.sip": func(t *testing.T, m *Msg) {
		if m.Method() != MethodOther {
			t.Error("RE%47IST%45R taken for REGISTER")
		}
		if n := len(contacts(t, m)); n != 2 {
			t.Errorf("%d contacts, want 2", n)
		}
		if _, ok := m.GetName("C%6Fntact"); !ok {
			t.Error("C%6Fntact header lost")
		}
	},
	"lwsdisp.sip": func(t *testing.T, m *Msg) {
		f, err := m.From()
		if err != nil || len(f.Display) == 0 {
			t.Fatalf("From display: %v", err)
		}
	},
	"longreq.sip": func(t *testing.T, m *Msg) {
		if len(m.CallID()) < 100 || len(m.FromTag()) < 50 {
			t.Error("long values truncated")
		}
		to, err := m.To()
		if err != nil || len(to.Display) < 80 {
			t.Fatalf("To display: %v", err)
		}
	},
	"dblreq.sip": func(t *testing.T, m *Msg) {
		if m.Method() != REGISTER || len(m.Body()) != 0 {
			t.Errorf("method %v body %q", m.Method(), m.Body())
		}
		if bytes.Contains(NewEditor(m).AppendTo(nil), []byte("INVITE")) {
			t.Error("trailing octets forwarded")
		}
	},
	"semiuri.sip": func(t *testing.T, m *Msg) {
		u := ruri(t, m)
		eq(t, "R-URI user", u.User, "user;par=u%40example.net")
		eq(t, "R-URI host", u.Host, "example.com")
	},
	"transports.sip": func(t *testing.T, m *Msg) {
		var got []string
		for _, v := range allVias(t, m) {
			got = append(got, string(v.Transport))
		}
		if strings.Join(got, ",") != "UDP,SCTP,TLS,UNKNOWN,TCP" {
			t.Errorf("transports %v", got)
		}
	},
	"mpart01.sip": func(t *testing.T, m *Msg) {
		if cl, _, _ := m.contentLength(); int(cl) != len(m.Body()) {
			t.Errorf("body %d, Content-Length %d", len(m.Body()), cl)
		}
	},
	"unreason.sip": func(t *testing.T, m *Msg) {
		eq(t, "reason", m.Reason(), "= 2**3 * 5**2 но сто девяносто девять - простое")
	},
	"noreason.sip": func(t *testing.T, m *Msg) {
		if m.StatusCode() != 100 || len(m.Reason()) != 0 {
			t.Errorf("status %d reason %q", m.StatusCode(), m.Reason())
		}
	},
	"badbranch.sip": func(t *testing.T, m *Msg) {
		v := topVia(t, m)
		eq(t, "branch", v.Branch(), "z9hG4bK")
	},
	"unksm2.sip": func(t *testing.T, m *Msg) {
		to, err := m.To()
		if err != nil || to.URI.IsSIP() {
			t.Errorf("To %q: %v", to.URI.Scheme, err)
		}
	},
	"zeromf.sip": func(t *testing.T, m *Msg) {
		if n, ok, _ := m.MaxForwards(); n != 0 || !ok {
			t.Errorf("Max-Forwards %d %v", n, ok)
		}
	},
	"cparam01.sip": func(t *testing.T, m *Msg) {
		c := contacts(t, m)
		if c[0].URI.Params.Has("unknownparam") || !c[0].Params.Has("unknownparam") {
			t.Error("unknownparam must be a contact param")
		}
	},
	"cparam02.sip": func(t *testing.T, m *Msg) {
		c := contacts(t, m)
		if !c[0].URI.Params.Has("unknownparam") {
			t.Error("unknownparam must be a URI param")
		}
	},
	"regescrt.sip": func(t *testing.T, m *Msg) {
		c := contacts(t, m)
		if len(c[0].URI.Headers) == 0 {
			t.Error("escaped Route header lost from the contact URI")
		}
	},
	"inv2543.sip": func(t *testing.T, m *Msg) {
		if topVia(t, m).IsRFC3261Branch() || m.FromTag() != nil || len(m.Body()) == 0 {
			t.Error("RFC 2543 message misread")
		}
	},
	"bcast.sip": func(t *testing.T, m *Msg) {
		vs := allVias(t, m)
		if len(vs) != 2 || string(vs[1].Host) != "255.255.255.255" {
			t.Errorf("second Via %v", vs)
		}
	},
	"ipv6-good.sip": func(t *testing.T, m *Msg) {
		eq(t, "R-URI host", ruri(t, m).Host, "[2001:db8::10]")
		eq(t, "Via host", topVia(t, m).Host, "[2001:db8::9:1]")
	},
	"port-ambiguous.sip": func(t *testing.T, m *Msg) {
		u := ruri(t, m)
		if string(u.Host) != "[2001:db8::10:5070]" || u.Port != 0 {
			t.Errorf("host %q port %d", u.Host, u.Port)
		}
	},
	"port-unambiguous.sip": func(t *testing.T, m *Msg) {
		u := ruri(t, m)
		if string(u.Host) != "[2001:db8::10]" || u.Port != 5070 {
			t.Errorf("host %q port %d", u.Host, u.Port)
		}
	},
	"via-received-param-with-delim.sip": func(t *testing.T, m *Msg) {
		eq(t, "received", topVia(t, m).Received(), "[2001:db8::9:255]")
	},
	"via-received-param-no-delim.sip": func(t *testing.T, m *Msg) {
		eq(t, "received", topVia(t, m).Received(), "2001:db8::9:255")
	},
	"mult-ip-in-header.sip": func(t *testing.T, m *Msg) {
		vs := allVias(t, m)
		if len(vs) != 3 || vs[0].Port != 6050 || string(vs[2].Received()) != "192.0.2.200" {
			t.Errorf("Vias misread: %d", len(vs))
		}
	},
	"ipv4-mapped-ipv6.sip": func(t *testing.T, m *Msg) {
		v := topVia(t, m)
		if string(v.Host) != "[::ffff:192.0.2.10]" || v.Port != 19823 {
			t.Errorf("Via %q port %d", v.Host, v.Port)
		}
	},
	"ipv6-correct-abnf-2-colons.sip": func(t *testing.T, m *Msg) {
		eq(t, "R-URI host", ruri(t, m).Host, "[2001:db8::192.0.2.1]")
	},
}
