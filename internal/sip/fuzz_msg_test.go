package sip

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzMessage feeds arbitrary bytes through everything a node does with a
// message it receives (see exercise): parse as datagram and as stream,
// validate, read headers, answer, edit and serialise. It must never panic,
// and an edited request must still parse.
func FuzzMessage(f *testing.F) {
	for _, dir := range []string{"testdata", "testdata/rfc4475", "testdata/rfc5118"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sip"))
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Msg
		var e Editor
		exercise(&m, &e, make([]byte, 0, 4096), b)
		if m.Parse(b) != nil || !m.IsRequest() {
			return
		}
		e.Reset(&m)
		e.PrependHeader("Via", []byte("SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKf"))
		out := e.AppendTo(nil)
		var back Msg
		if err := back.Parse(out); err != nil {
			t.Fatalf("edited message does not parse: %v\n%q", err, out)
		}
		if !bytes.Equal(back.Body(), m.Body()) {
			t.Fatalf("body changed: %q -> %q", m.Body(), back.Body())
		}
	})
}
