package sip

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t testing.TB, b []byte) *Msg {
	t.Helper()
	var m Msg
	if err := m.Parse(b); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return &m
}

func TestParseInvite(t *testing.T) {
	m := mustParse(t, readTestdata(t, "invite.sip"))
	if !m.IsRequest() || m.Method() != INVITE {
		t.Fatalf("method = %q", m.MethodBytes())
	}
	if got := string(m.RequestURIBytes()); got != "sip:bob@biloxi.example.com" {
		t.Errorf("ruri = %q", got)
	}
	if got := string(m.CallID()); got != "3848276298220188511@atlanta.example.com" {
		t.Errorf("call-id = %q", got)
	}
	seq, meth, err := m.CSeq()
	if err != nil || seq != 2 || string(meth) != "INVITE" {
		t.Errorf("cseq = %d %q %v", seq, meth, err)
	}
	if mf, ok, err := m.MaxForwards(); mf != 70 || !ok || err != nil {
		t.Errorf("max-forwards = %d %v %v", mf, ok, err)
	}
	if !bytes.HasPrefix(m.Body(), []byte("v=0\r\n")) || len(m.Body()) != 151 {
		t.Errorf("body = %q", m.Body())
	}
	if !m.HasOptionTag(HdrSupported, "timer") || m.HasOptionTag(HdrSupported, "path") {
		t.Error("option tags misread")
	}
	if v, ok := m.GetName("user-agent"); !ok || string(v) != "softphone/1.2.3" {
		t.Errorf("user-agent = %q", v)
	}
}

func TestParseStartLines(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		status int // expected MessageError status; -1 = no error
	}{
		{"request", "OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n", -1},
		{"lowercase version", "OPTIONS sip:a@b sip/2.0\r\n\r\n", -1},
		{"future version parses", "OPTIONS sip:a@b SIP/7.0\r\n\r\n", -1},
		{"response", "SIP/2.0 200 OK\r\n\r\n", -1},
		{"empty reason", "SIP/2.0 200 \r\n\r\n", -1},
		{"double space", "OPTIONS  sip:a@b SIP/2.0\r\n\r\n", 400},
		{"trailing space", "OPTIONS sip:a@b SIP/2.0 \r\n\r\n", 400},
		{"no version", "OPTIONS sip:a@b\r\n\r\n", 400},
		{"bad method", "OPT@IONS sip:a@b SIP/2.0\r\n\r\n", 400},
		{"big code", "SIP/2.0 4294967301 X\r\n\r\n", 0},
		{"code 700", "SIP/2.0 700 X\r\n\r\n", 0},
		{"code 99", "SIP/2.0 099 X\r\n\r\n", 0},
		{"no lf", "OPTIONS sip:a@b SIP/2.0", 400},
		{"unterminated headers", "OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\n", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m Msg
			err := m.Parse([]byte(tc.in))
			if tc.status < 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var me *MessageError
			if !errors.As(err, &me) || me.Status != tc.status {
				t.Fatalf("got %v, want status %d", err, tc.status)
			}
		})
	}
}

func TestParseBodyFraming(t *testing.T) {
	const head = "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	tests := []struct {
		name   string
		in     string
		stream bool
		body   string
		bad    bool
	}{
		{"exact", head + "l: 5\r\n\r\nhello", false, "hello", false},
		{"trailing octets ignored", head + "Content-Length: 5\r\n\r\nhelloINVITE", false, "hello", false},
		{"no length datagram", head + "\r\nhello", false, "hello", false},
		{"no length stream", head + "\r\nhello", true, "", true},
		{"too long", head + "Content-Length: 9\r\n\r\nhello", false, "", true},
		{"stream mismatch", head + "Content-Length: 3\r\n\r\nhello", true, "", true},
		{"negative", head + "Content-Length: -5\r\n\r\nhello", false, "", true},
		{"conflicting", head + "Content-Length: 5\r\nl: 4\r\n\r\nhello", false, "", true},
		{"same twice", head + "Content-Length: 5\r\nl: 5\r\n\r\nhello", false, "hello", false},
		{"bare lf", "MESSAGE sip:a@b SIP/2.0\nl: 2\n\nhi", false, "hi", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m Msg
			var err error
			if tc.stream {
				err = m.ParseStream([]byte(tc.in))
			} else {
				err = m.Parse([]byte(tc.in))
			}
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v, want bad=%v", err, tc.bad)
			}
			if !tc.bad && string(m.Body()) != tc.body {
				t.Fatalf("body = %q, want %q", m.Body(), tc.body)
			}
		})
	}
}

func TestHeaderIndex(t *testing.T) {
	in := "INVITE sip:a@b SIP/2.0\r\n" +
		"v: SIP/2.0/UDP a;branch=z9hG4bK1\r\n" +
		"Via: SIP/2.0/UDP b;branch=z9hG4bK2,\r\n SIP/2.0/UDP c;branch=z9hG4bK3\r\n" +
		"X-Odd :   keep  me  \r\n" +
		"bad line\r\n" +
		"i: cid\r\n\r\n"
	var m Msg
	err := m.Parse([]byte(in))
	if err == nil {
		t.Fatal("bad header line not reported")
	}
	if m.Count(HdrVia) != 2 || m.NumHeaders() != 4 {
		t.Fatalf("vias=%d headers=%d", m.Count(HdrVia), m.NumHeaders())
	}
	var vals []string
	m.Values(HdrVia, func(v []byte) bool { vals = append(vals, string(v)); return true })
	if len(vals) != 2 || vals[1] != "SIP/2.0/UDP b;branch=z9hG4bK2,\r\n SIP/2.0/UDP c;branch=z9hG4bK3" {
		t.Fatalf("via values %q", vals)
	}
	if v, _ := m.GetName("x-odd"); string(v) != "keep  me" {
		t.Errorf("x-odd = %q", v)
	}
	if string(m.CallID()) != "cid" {
		t.Errorf("compact call-id = %q", m.CallID())
	}
}

func TestParseNoAllocs(t *testing.T) {
	for _, f := range []string{"invite.sip", "register.sip"} {
		b := readTestdata(t, f)
		var m Msg
		allocs := testing.AllocsPerRun(100, func() {
			if err := m.Parse(b); err != nil {
				t.Fatal(err)
			}
			_, _, _ = m.CSeq()
			_, _, _ = m.MaxForwards()
			_ = m.CallID()
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs per parse", f, allocs)
		}
	}
}

func TestClone(t *testing.T) {
	raw := readTestdata(t, "invite.sip")
	buf := append([]byte(nil), raw...)
	var m Msg
	if err := m.Parse(buf); err != nil {
		t.Fatal(err)
	}
	c := m.Clone()
	for i := range buf {
		buf[i] = 'x'
	}
	m.Reset()
	if string(c.Bytes()) != string(raw) || string(c.CallID()) != "3848276298220188511@atlanta.example.com" {
		t.Fatalf("clone shares the original's buffer: %q", c.CallID())
	}
	if v, err := c.TopVia(); err != nil || string(v.Branch()) != "z9hG4bK74bf9" {
		t.Fatalf("clone's index broken: %v", err)
	}
}

// TestCloneKeepsTopVia: a clone carries the top Via's parse over to its
// own bytes, so editing the clone (which locates the Via by offset) gives
// what a fresh parse of the same bytes gives, even after the original's
// buffer is reused.
func TestCloneKeepsTopVia(t *testing.T) {
	const msg = "INVITE sip:bob@example.com SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKc1;rport, SIP/2.0/TCP b.example.com\r\n" +
		"From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c\r\n" +
		"CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	for _, parsed := range []bool{false, true} {
		buf := []byte(msg)
		var m Msg
		if err := m.Parse(buf); err != nil {
			t.Fatal(err)
		}
		if parsed {
			if _, err := m.TopVia(); err != nil {
				t.Fatal(err)
			}
		}
		c := m.Clone()
		for i := range buf {
			buf[i] = 'x'
		}
		var fresh Msg
		if err := fresh.Parse(append([]byte(nil), c.Bytes()...)); err != nil {
			t.Fatal(err)
		}
		got, err := c.TopVia()
		want, _ := fresh.TopVia()
		if err != nil || string(got.Raw) != string(want.Raw) || string(got.Branch()) != "z9hG4bKc1" ||
			string(got.Host) != "192.0.2.1" || got.Port != 5070 || string(got.Transport) != "UDP" {
			t.Fatalf("parsed=%v: clone's top Via %q (%v), want %q", parsed, got.Raw, err, want.Raw)
		}
		var e1, e2 Editor
		e1.Reset(c)
		e1.SetTopViaReceived([]byte("198.51.100.7"), 4000)
		e2.Reset(&fresh)
		e2.SetTopViaReceived([]byte("198.51.100.7"), 4000)
		if a, b := e1.AppendTo(nil), e2.AppendTo(nil); string(a) != string(b) {
			t.Fatalf("parsed=%v: edited clone\n%s\nwant\n%s", parsed, a, b)
		}
	}
}

// TestToTagFollowsParse: ToTag reuses what To found, for this message
// only; a reused Msg and a clone read their own To.
func TestToTagFollowsParse(t *testing.T) {
	const head = "BYE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=f\r\n"
	const tail = "Call-ID: c\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
	var m Msg
	for _, tc := range []struct{ to, tag string }{
		{"To: <sip:b@example.com>;tag=t1\r\n", "t1"},
		{"To: <sip:b@example.com>\r\n", ""},
		{"To: sip:b@example.com;tag=t2\r\n", "t2"},
		{"To: <bogus\r\n", ""},
		{"", ""},
	} {
		_ = m.Parse([]byte(head + tc.to + tail))
		if _, err := m.To(); err == nil {
			c := m.Clone()
			if got := string(c.ToTag()); got != tc.tag {
				t.Errorf("%q: clone's ToTag %q, want %q", tc.to, got, tc.tag)
			}
		}
		if got := string(m.ToTag()); got != tc.tag {
			t.Errorf("%q: ToTag %q, want %q", tc.to, got, tc.tag)
		}
	}
}
