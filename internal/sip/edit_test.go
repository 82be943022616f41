package sip

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s mismatch\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestEditorGolden(t *testing.T) {
	tests := []struct {
		name string
		in   string
		edit func(e *Editor, m *Msg)
	}{
		{"no-edits.sip", "invite.sip", func(*Editor, *Msg) {}},
		{"proxy-forward.sip", "invite.sip", func(e *Editor, m *Msg) {
			e.PrependHeader("Record-Route", []byte("<sip:10.0.0.1;lr>"))
			e.PrependHeader("Via", []byte("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKabc"))
			e.DecrementMaxForwards()
			e.SetRequestURI([]byte("sip:bob@192.0.2.4:5062"))
		}},
		{"remove-replace.sip", "register.sip", func(e *Editor, m *Msg) {
			e.RemoveAll(HdrAuthorization)
			e.ReplaceValue(m.index(HdrExpires, 0), []byte("60"))
			e.RemoveHeader(m.index(HdrExpires, 0)) // covers the replace, which is dropped
			e.AppendHeader("Path", []byte("<sip:lb;lr>"))
		}},
		{"set-body.sip", "invite.sip", func(e *Editor, m *Msg) {
			e.SetBody([]byte("v=0\r\n"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, readTestdata(t, tc.in))
			e := NewEditor(m)
			tc.edit(e, m)
			out := e.AppendTo(nil)
			var back Msg
			if err := back.Parse(out); err != nil {
				t.Fatalf("edited message does not parse: %v\n%s", err, out)
			}
			golden(t, tc.name, out)
		})
	}
}

func TestEditorDropsTrailingOctets(t *testing.T) {
	in := "MESSAGE sip:a@b SIP/2.0\r\nl: 2\r\n\r\nhiGARBAGE"
	m := mustParse(t, []byte(in))
	out := NewEditor(m).AppendTo(nil)
	if string(out) != "MESSAGE sip:a@b SIP/2.0\r\nl: 2\r\n\r\nhi" {
		t.Fatalf("out = %q", out)
	}
}

func TestEditorEnsureContentLength(t *testing.T) {
	in := "\r\nMESSAGE sip:a@b SIP/2.0\r\nCSeq: 1 MESSAGE\r\n\r\nhi"
	m := mustParse(t, []byte(in))
	e := NewEditor(m)
	e.EnsureContentLength()
	out := e.AppendTo(nil)
	if string(out) != "MESSAGE sip:a@b SIP/2.0\r\nCSeq: 1 MESSAGE\r\nContent-Length: 2\r\n\r\nhi" {
		t.Fatalf("out = %q", out)
	}
}

func TestEditorNoAllocs(t *testing.T) {
	b := readTestdata(t, "invite.sip")
	var m Msg
	var e Editor
	buf := make([]byte, 0, 2048)
	allocs := testing.AllocsPerRun(100, func() {
		_ = m.Parse(b)
		e.Reset(&m)
		e.PrependHeader("Record-Route", []byte("<sip:10.0.0.1;lr>"))
		e.PrependHeader("Via", []byte("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKabc"))
		e.DecrementMaxForwards()
		buf = e.AppendTo(buf[:0])
	})
	if allocs != 0 {
		t.Errorf("%v allocs per edit", allocs)
	}
}

func TestPopRoutes(t *testing.T) {
	tests := []struct {
		name, routes string
		n, removed   int
		want         string // Route lines left, joined
	}{
		{"one of two in a list", "Route: <sip:a;lr>, <sip:b;lr>\r\n", 1, 1, "Route: <sip:b;lr>\r\n"},
		{"two headers", "Route: <sip:a;lr>\r\nRoute: <sip:b;lr>\r\nRoute: <sip:c;lr>\r\n", 2, 2, "Route: <sip:c;lr>\r\n"},
		{"across list and header", "Route: <sip:a;lr>\r\nRoute: <sip:b;lr>,<sip:c;lr>\r\n", 2, 2, "Route: <sip:c;lr>\r\n"},
		{"all", "Route: <sip:a;lr>,<sip:b;lr>\r\n", 5, 2, ""},
		{"none", "", 1, 0, ""},
		{"quoted comma kept", "Route: \"x,y\" <sip:a;lr>, <sip:b;lr>\r\n", 1, 1, "Route: <sip:b;lr>\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := "BYE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n" + tc.routes + "l: 0\r\n\r\n"
			m := mustParse(t, []byte(in))
			e := NewEditor(m)
			if got := e.PopRoutes(tc.n); got != tc.removed {
				t.Fatalf("removed %d, want %d", got, tc.removed)
			}
			out := mustParse(t, e.AppendTo(nil))
			var left string
			for i := 0; i < out.NumHeaders(); i++ {
				if h := out.HeaderAt(i); h.ID == HdrRoute {
					left += string(h.Raw)
				}
			}
			if left != tc.want {
				t.Fatalf("left %q, want %q", left, tc.want)
			}
		})
	}
}

func TestPopVia(t *testing.T) {
	in := "SIP/2.0 200 OK\r\nv: SIP/2.0/UDP lb;branch=z9hG4bK1, SIP/2.0/UDP ua;branch=z9hG4bK2\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK3\r\nl: 0\r\n\r\n"
	m := mustParse(t, []byte(in))
	e := NewEditor(m)
	if !e.PopVia() {
		t.Fatal("no Via popped")
	}
	want := "SIP/2.0 200 OK\r\nv: SIP/2.0/UDP ua;branch=z9hG4bK2\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK3\r\nl: 0\r\n\r\n"
	if got := string(e.AppendTo(nil)); got != want {
		t.Fatalf("got %q", got)
	}
}

func TestPopLastRoute(t *testing.T) {
	tests := []struct{ routes, last, left string }{
		{"Route: <sip:a;lr>, <sip:b>\r\n", "<sip:b>", "Route: <sip:a;lr>\r\n"},
		{"Route: <sip:a;lr>\r\nRoute: <sip:b>\r\n", "<sip:b>", "Route: <sip:a;lr>\r\n"},
		{"Route: <sip:b>\r\n", "<sip:b>", ""},
	}
	for _, tc := range tests {
		in := "ACK sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n" + tc.routes + "l: 0\r\n\r\n"
		m := mustParse(t, []byte(in))
		e := NewEditor(m)
		last, ok := e.PopLastRoute()
		if !ok || string(last) != tc.last {
			t.Fatalf("PopLastRoute = %q %v, want %q", last, ok, tc.last)
		}
		out := mustParse(t, e.AppendTo(nil))
		var left string
		for i := 0; i < out.NumHeaders(); i++ {
			if h := out.HeaderAt(i); h.ID == HdrRoute {
				left += string(h.Raw)
			}
		}
		if left != tc.left {
			t.Errorf("left %q, want %q", left, tc.left)
		}
	}
}
