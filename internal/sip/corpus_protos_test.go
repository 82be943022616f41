package sip

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// protosDir holds the PROTOS c07-sip sample. It is GPLv2 test data kept in
// the shared corpus beside the repository, never copied into it.
const protosDir = "../../../shared/corpus/protos/cases"

// protosRecords splits a PROTOS case file into its "<len> <bytes>" records.
func protosRecords(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var recs [][]byte
	for len(b) > 0 {
		sp := bytes.IndexByte(b, ' ')
		n, err := strconv.Atoi(string(b[:max(sp, 0)]))
		if sp < 0 || err != nil || sp+1+n > len(b) {
			t.Fatalf("bad record header %q", b[:min(len(b), 20)])
		}
		recs = append(recs, b[sp+1:sp+1+n])
		b = b[sp+1+n:]
	}
	return recs
}

// fillProtos substitutes the placeholders the PROTOS runner fills.
func fillProtos(tmpl []byte) []byte {
	subst := [][2]string{
		{"<To>", "user@127.0.0.1"}, {"<From>", "protos@127.0.0.1"},
		{"<From-Address>", "127.0.0.1"}, {"<From-IP>", "127.0.0.1"},
		{"<Local-Port>", "5061"}, {"<Branch-ID>", "z9hG4bK-protos-1"},
		{"<Call-ID>", "protos-call-1"}, {"<CSeq>", "1"},
		{"<Teardown-Method>", "CANCEL"},
	}
	out := tmpl
	for _, s := range subst {
		out = bytes.ReplaceAll(out, []byte(s[0]), []byte(s[1]))
	}
	body := 0
	if i := bytes.Index(out, []byte("\r\n\r\n")); i >= 0 {
		body = len(out) - i - 4
	}
	return bytes.ReplaceAll(out, []byte("<Content-Length>"), []byte(strconv.Itoa(body)))
}

// TestProtosNoPanic feeds every PROTOS case through everything a node does
// with a request it receives: parse, validate, read the headers, build a
// response and a forwarded copy. The suite's only verdict is robustness.
func TestProtosNoPanic(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(protosDir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("PROTOS corpus missing at %s: %v", protosDir, err)
	}
	var m Msg
	var e Editor
	buf := make([]byte, 0, 64<<10)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, rec := range protosRecords(t, raw) {
			msg := fillProtos(rec)
			t.Run(filepath.Base(f)+"/"+strconv.Itoa(i), func(t *testing.T) {
				exercise(&m, &e, buf, msg)
			})
		}
	}
}

// exercise runs every read and write path over msg; it must not panic.
func exercise(m *Msg, e *Editor, buf []byte, msg []byte) {
	for _, stream := range []bool{false, true} {
		if stream {
			_ = m.ParseStream(msg)
		} else {
			_ = m.Parse(msg)
		}
		_ = m.ValidateRequest(Limits{MaxMessage: 64 << 10})
		_ = m.ValidateResponse()
		if m.CanReply() {
			buf = AppendResponse(buf[:0], m, 400, "Bad Request", []byte("t1"))
		}
		_, _ = m.TopVia()
		_, _ = m.RequestURI()
		_ = m.FromTag()
		_ = m.ToTag()
		_, _, _ = m.TopRoute()
		_ = m.NameAddrs(HdrContact, func(NameAddr) bool { return true })
		_ = m.Vias(func(Via) bool { return true })
		if m.IsRequest() && m.sl[2][1] > 0 {
			e.Reset(m)
			e.PrependHeader("Via", []byte("SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx"))
			e.DecrementMaxForwards()
			_ = e.PopRoute()
			e.EnsureContentLength()
			buf = e.AppendTo(buf[:0])
		}
	}
}
