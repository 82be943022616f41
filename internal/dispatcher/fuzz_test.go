package dispatcher

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseList checks that the parser never panics, that every failure
// is an Errors with positions inside the input, and that what it accepts
// survives WriteTo and a second parse unchanged.
func FuzzParseList(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/*.list")
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("1 sip:a 31 -5 weight=1;x=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseList("f", data)
		if err != nil {
			checkErrors(t, err, data)
			return
		}
		var buf bytes.Buffer
		if _, err := l.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ParseList("f2", buf.Bytes())
		if err != nil {
			t.Fatalf("written list does not parse: %v\n%q", err, buf.Bytes())
		}
		if got, want := entriesString(back), entriesString(l); got != want {
			t.Fatalf("round trip changed the list:\n%s\nwant\n%s", got, want)
		}
		if _, err := New(l, Options{}); err != nil {
			t.Fatalf("New rejected a parsed list: %v", err)
		}
	})
}

func checkErrors(t *testing.T, err error, data []byte) {
	t.Helper()
	var errs Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		t.Fatalf("error %T %v is not a non-empty Errors", err, err)
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	for _, e := range errs {
		if e.Line < 1 || e.Line > lines {
			t.Fatalf("error at line %d of a %d-line input: %v", e.Line, lines, e)
		}
	}
}
