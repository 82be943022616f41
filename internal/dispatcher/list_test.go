package dispatcher

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the parser's output")

// TestGolden parses each testdata/*.list and compares the outcome with its
// .golden file: the errors, one per line, or "ok" and the entries.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.list")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no test inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".list")
		t.Run(name, func(t *testing.T) {
			got := outcome(t, in)
			golden := strings.TrimSuffix(in, ".list") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s: got\n%s\nwant\n%s", in, got, want)
			}
		})
	}
}

func outcome(t *testing.T, path string) string {
	t.Helper()
	l, err := ParseFile(path)
	if err != nil {
		var errs Errors
		if !errors.As(err, &errs) {
			t.Fatalf("ParseFile error is %T, not Errors: %v", err, err)
		}
		return err.Error() + "\n"
	}
	var b strings.Builder
	b.WriteString("ok\n")
	for _, e := range l.Entries {
		b.WriteString(dumpEntry(e) + "\n")
	}
	return b.String()
}

func dumpEntry(e Entry) string {
	a := e.Attrs
	s := fmt.Sprintf("set=%d uri=%s flags=%v prio=%d", e.SetID, e.URI, e.Flags, e.Priority)
	for _, f := range []struct {
		k string
		v any
		z bool
	}{
		{"duid", a.DUID, a.DUID == ""}, {"weight", a.Weight, a.Weight == 0},
		{"rweight", a.RWeight, a.RWeight == 0}, {"maxload", a.MaxLoad, a.MaxLoad == 0},
		{"socket", a.Socket, a.Socket == ""}, {"ping_from", a.PingFrom, a.PingFrom == ""},
		{"extra", a.Extra, len(a.Extra) == 0},
	} {
		if !f.z {
			s += fmt.Sprintf(" %s=%v", f.k, f.v)
		}
	}
	return s
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		name, line string
		want       Entry  // checked when wantErr is ""
		wantErr    string // substring of the error
	}{
		{name: "minimal", line: "1 sip:a.example", want: Entry{SetID: 1, URI: "sip:a.example"}},
		{name: "all fields", line: "7 sip:a.example:5080 1 9 duid=x",
			want: Entry{SetID: 7, URI: "sip:a.example:5080", Flags: FlagInactive, Priority: 9, Attrs: Attrs{Raw: "duid=x", DUID: "x"}}},
		{name: "negative priority", line: "1 sip:a.example 0 -3", want: Entry{SetID: 1, URI: "sip:a.example", Priority: -3}},
		{name: "comment ends line", line: "1 sip:a.example #0 9", want: Entry{SetID: 1, URI: "sip:a.example"}},
		{name: "one field", line: "1", wantErr: "t:1: want \"setid uri"},
		{name: "negative set", line: "-1 sip:a.example", wantErr: "t:1: setid: want a non-negative integer"},
		{name: "set too big", line: "99999999999 sip:a.example", wantErr: "setid: want a non-negative integer"},
		{name: "no scheme", line: "1 a.example:5060", wantErr: "uri: \"a.example:5060\": want a sip: or sips: URI"},
		{name: "bad host", line: "1 sip:a_b..c", wantErr: "uri: \"sip:a_b..c\": bad URI"},
		{name: "bad flags", line: "1 sip:a.example 256", wantErr: "flags: want a bit mask from 0 to 31"},
		{name: "unknown flag", line: "1 sip:a.example 33", wantErr: "flags: unknown bits 32"},
		{name: "weight range", line: "1 sip:a.example 0 0 weight=101", wantErr: "attrs.weight: want an integer from 1 to 100"},
		{name: "rweight junk", line: "1 sip:a.example 0 0 rweight=x", wantErr: "attrs.rweight: want an integer from 1 to 100"},
		{name: "maxload", line: "1 sip:a.example 0 0 maxload=x", wantErr: "attrs.maxload: want a non-negative integer"},
		{name: "empty attr", line: "1 sip:a.example 0 0 a=1;;b=2", wantErr: "attrs: empty attribute"},
		{name: "twice", line: "1 sip:a.example 0 0 duid=a;DUID=b", wantErr: "attrs.duid: given twice"},
		{name: "socket proto only", line: "1 sip:a.example 0 0 socket=udp:", wantErr: "attrs.socket"},
		{name: "socket v6 no brackets", line: "1 sip:a.example 0 0 socket=udp:2001:db8::1:5060", wantErr: "attrs.socket"},
		{name: "ping_from tel", line: "1 sip:a.example 0 0 ping_from=tel:123", wantErr: "attrs.ping_from"},
		{name: "blank in attrs", line: "1 sip:a.example 0 0 a=b c", wantErr: "unexpected \"c\" after attrs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseList("t", []byte(tt.line))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Entries) != 1 {
				t.Fatalf("got %d entries, want 1", len(l.Entries))
			}
			if got, want := dumpEntry(l.Entries[0]), dumpEntry(tt.want); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// TestParseListReportsEveryLine checks that problems on several lines,
// and several problems on one line, are all reported, in order.
func TestParseListReportsEveryLine(t *testing.T) {
	_, err := ParseList("x.list", []byte("1 sip:ok\nq tel:1 z\n\n1 sip:ok 0 0 weight=0\n"))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v, want Errors", err)
	}
	var where []string
	for _, e := range errs {
		where = append(where, fmt.Sprintf("%d:%s", e.Line, e.Field))
	}
	if got, want := strings.Join(where, " "), "2:setid 2:flags 2:uri 4:attrs.weight"; got != want {
		t.Errorf("got problems at %s, want %s", got, want)
	}
}

func TestWriteToRoundTrip(t *testing.T) {
	l, err := ParseFile("testdata/good.list")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ParseList("written", buf.Bytes())
	if err != nil {
		t.Fatalf("reparse: %v\n%s", err, buf.String())
	}
	if got, want := entriesString(back), entriesString(l); got != want {
		t.Errorf("round trip changed the list:\n%s\nwant\n%s", got, want)
	}
}

func entriesString(l *List) string {
	var b strings.Builder
	for _, e := range l.Entries {
		b.WriteString(dumpEntry(e) + "\n")
	}
	return b.String()
}

func TestAttrsGet(t *testing.T) {
	l, err := ParseList("t", []byte("1 sip:a 0 0 duid=x;My=y;flag"))
	if err != nil {
		t.Fatal(err)
	}
	a := &l.Entries[0].Attrs
	for key, want := range map[string]string{"my": "y", "DUID": "x", "flag": ""} {
		if got, ok := a.Get(key); !ok || got != want {
			t.Errorf("Get(%q) = %q, %v; want %q, true", key, got, ok, want)
		}
	}
	if _, ok := a.Get("none"); ok {
		t.Error("Get(none) found something")
	}
}
