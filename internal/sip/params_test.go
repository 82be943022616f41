package sip

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// isSubSlice reports whether s is empty or lies inside b's bytes, which is
// what "the parsed fields alias the input" promises.
func isSubSlice(b, s []byte) bool {
	if len(s) == 0 {
		return true
	}
	off := cap(b) - cap(s)
	if off < 0 || off+len(s) > len(b) {
		return false
	}
	return &b[off] == &s[0]
}

// checkParseError asserts that err is a *ParseError whose offset lies in
// the input and whose text can serve as a Reason-Phrase: reserved,
// unreserved and SP characters only (RFC 3261 §25.1).
func checkParseError(t *testing.T, in []byte, err error) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ParseError", err, err)
	}
	if pe.Off < 0 || pe.Off > len(in) {
		t.Errorf("%q: error offset %d outside input of %d bytes", in, pe.Off, len(in))
	}
	msg := pe.Error()
	for i := 0; i < len(msg); i++ {
		if c := msg[i]; c != ' ' && uriClass[c]&(uReserved|uUser|uPassword) == 0 {
			t.Errorf("error text %q has %q, not allowed in a Reason-Phrase", msg, c)
		}
	}
}

// unfoldSP turns every CR and LF into SP. The value parsers treat CR and
// LF as LWS, so an accepted value must stay accepted, with the same
// result at the same offsets (the length does not change).
func unfoldSP(b []byte) []byte {
	out := bytes.Clone(b)
	for i, c := range out {
		if c == '\r' || c == '\n' {
			out[i] = ' '
		}
	}
	return out
}

// checkNoAllocs asserts that f does not allocate.
func checkNoAllocs(t *testing.T, name string, f func()) {
	t.Helper()
	if n := testing.AllocsPerRun(100, f); n != 0 {
		t.Errorf("%s: %v allocations per run, want 0", name, n)
	}
}

func TestParamsGet(t *testing.T) {
	tests := []struct {
		name   string
		params string
		key    string
		want   string
		ok     bool
	}{
		{"leading semicolon", ";lr;transport=tcp", "transport", "tcp", true},
		{"no leading semicolon", "lr;transport=tcp", "transport", "tcp", true},
		{"first without semicolon", "lr;transport=tcp", "lr", "", true},
		{"case-insensitive name", ";Transport=TCP", "transport", "TCP", true},
		{"flag", ";lr", "lr", "", true},
		{"absent", ";lr", "maddr", "", false},
		{"prefix is not a match", ";lrx", "lr", "", false},
		{"lws around equals", " ;   tag    = 1918181833n", "tag", "1918181833n", true},
		{"folded", ";\r\n  tag = 98asjd8", "tag", "98asjd8", true},
		{"folded value", "; branch=\r\n z9hG4bK30239", "branch", "z9hG4bK30239", true},
		{"quoted kept", `;+sip.instance="<urn:uuid:1;a>";reg-id=1`, "+sip.instance", `"<urn:uuid:1;a>"`, true},
		{"semicolon in quotes", `;a="x;b=2";b=3`, "b", "3", true},
		{"first wins", ";a=1;a=2", "a", "1", true},
		{"empty elements skipped", ";;a=1", "a", "1", true},
		{"empty name never matches", ";=x", "", "", false},
		{"nil", "", "a", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Params(tt.params).Get(tt.key)
			if string(got) != tt.want || ok != tt.ok {
				t.Errorf("Get(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
			}
			if Params(tt.params).Has(tt.key) != tt.ok {
				t.Errorf("Has(%q) = %v", tt.key, !tt.ok)
			}
		})
	}
}

func TestParamsFlagValueIsNil(t *testing.T) {
	if v, ok := Params(";lr").Get("lr"); !ok || v != nil {
		t.Errorf("flag: got %q, %v; want nil, true", v, ok)
	}
	if v, ok := Params(";a=").Get("a"); !ok || v == nil {
		t.Errorf(`"a=": got %v, %v; want empty non-nil`, v, ok)
	}
}

func TestParamsEach(t *testing.T) {
	var got []string
	Params(` ; a = 1 ;; b ; c="x;y" ; d=4`).Each(func(n, v []byte) bool {
		got = append(got, string(n)+"="+string(v))
		return string(n) != "c"
	})
	want := `a=1 b= c="x;y"`
	if strings.Join(got, " ") != want {
		t.Errorf("Each = %q, want %q", strings.Join(got, " "), want)
	}
}

func TestParamsValid(t *testing.T) {
	tests := []struct {
		name   string
		params string
		valid  bool
	}{
		{"empty", "", true},
		{"leading semicolon", ";tag=1", true},
		{"without leading semicolon", "tag=1;lr", true},
		{"lws", " ; tag = 1 ;\r\n lr", true},
		{"quoted value", `;a="hello \"world\"";b`, true},
		{"utf-8 in quotes", ";p=\"\xd0\xb0\xd0\xb1\"", true},
		{"ipv6 reference value", ";maddr=[2001:db8::1]", true},
		{"bare ipv6 value", ";received=2001:db8::9:255", true},
		{"token chars", ";fromParam''~+*_!.-%=a", true},
		{"lone semicolon", ";", false},
		{"double semicolon", ";a;;b", false},
		{"trailing semicolon", ";a;", false},
		{"torture", ";;;;", false},
		{"empty name", ";=1", false},
		{"empty value", ";a=", false},
		{"space in value", ";a=b c", false},
		{"bad name char", ";a@b=1", false},
		{"unterminated quote", `;a="b`, false},
		{"quote then junk", `;a="b"c`, false},
		{"raw control in quotes", ";a=\"\x01\"", false},
		{"bad bracket value", ";a=[zz]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Params(tt.params).Valid(); got != tt.valid {
				t.Errorf("Valid(%q) = %v, want %v", tt.params, got, tt.valid)
			}
		})
	}
}

func TestParamsNoAllocs(t *testing.T) {
	p := Params(` ; a = 1 ; tag="x;y" ; lr ;transport=tcp`)
	checkNoAllocs(t, "Get", func() { p.Get("transport") })
	checkNoAllocs(t, "Valid", func() { p.Valid() })
	checkNoAllocs(t, "Each", func() { p.Each(func(n, v []byte) bool { return true }) })
}

func FuzzParams(f *testing.F) {
	for _, s := range []string{";lr;transport=tcp", " ; tag = 1 ;\r\n lr", `;a="x;y";b`, ";;;", ";received=[::1]", "a=\"\\", ""} {
		f.Add([]byte(s), "tag")
	}
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		p := Params(b)
		valid := p.Valid()
		v, ok := p.Get(name)
		if !isSubSlice(b, v) {
			t.Fatalf("Get value %q not inside input", v)
		}
		if ok != p.Has(name) {
			t.Fatal("Get and Has disagree")
		}
		seen := false
		p.Each(func(n, val []byte) bool {
			if !isSubSlice(b, n) || !isSubSlice(b, val) {
				t.Fatalf("Each gave %q=%q, not inside input", n, val)
			}
			if valid && !isTokenBytes(n) {
				t.Fatalf("valid params with bad name %q", n)
			}
			seen = seen || (ok && len(n) > 0 && equalFold(n, name))
			return true
		})
		if ok && len(name) > 0 && !seen {
			t.Fatalf("Get found %q but Each did not", name)
		}
	})
}
