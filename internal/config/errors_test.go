package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sipfleet/sipfleet/internal/config"
)

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		err  *config.Error
		want string
	}{
		{"full", &config.Error{Pos: config.Pos{File: "a.yaml", Line: 3, Column: 5}, Path: "log.level", Msg: "bad"}, "a.yaml:3: log.level: bad"},
		{"no path", &config.Error{Pos: config.Pos{File: "a.yaml", Line: 1}, Msg: "bad"}, "a.yaml:1: bad"},
		{"no line", &config.Error{Pos: config.Pos{File: "a.yaml"}, Msg: "bad"}, "a.yaml: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorsCarryPositions(t *testing.T) {
	_, err := config.Parse("x.yaml", []byte("log:\n  level: loud\nadmin:\n    listen: nowhere\n"))
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("Parse error = %v, want two config.Errors", err)
	}
	want := []config.Pos{{File: "x.yaml", Line: 2, Column: 10}, {File: "x.yaml", Line: 4, Column: 13}}
	for i, e := range errs {
		if e.Pos != want[i] {
			t.Errorf("errs[%d].Pos = %+v, want %+v", i, e.Pos, want[i])
		}
	}
	var one *config.Error
	if !errors.As(err, &one) || one.Path != "log.level" {
		t.Errorf("errors.As(*config.Error) = %v, want the log.level problem", one)
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := config.Parse("empty.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SIP.T1.String() != "500ms" || cfg.SIP.MaxMessageBytes != 65535 || cfg.Log.Format != "text" {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	if cfg.LB != nil || cfg.Registrar != nil || cfg.Proxy != nil || cfg.NATPing != nil {
		t.Errorf("role sections should be nil when absent: %+v", cfg)
	}

	cfg, err = config.Parse("l.yaml", []byte("listeners:\n  - {name: a, side: public, listen: 127.0.0.1:5060}\n"))
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Listeners[0]
	if l.Proto != config.UDP || l.Sockets != 1 || l.AdvertiseAddr().String() != "127.0.0.1:5060" {
		t.Errorf("listener defaults not applied: %+v", l)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load("testdata/does-not-exist.yaml")
	var errs config.Errors
	if err == nil || errors.As(err, &errs) {
		t.Fatalf("Load of a missing file = %v, want a plain error", err)
	}
}

func TestTooManyProblems(t *testing.T) {
	var b strings.Builder
	for i := range 150 {
		fmt.Fprintf(&b, "unknown%d: 1\n", i)
	}
	_, err := config.Parse("big.yaml", []byte(b.String()))
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) != 101 {
		t.Fatalf("got %d problems, want 100 and a count of the rest", len(errs))
	}
	if last := errs[100].Error(); last != "big.yaml: and 50 more problems" {
		t.Errorf("last line = %q", last)
	}
	if errs[99].Line != 100 {
		t.Errorf("the first 100 should be kept in file order; errs[99] is at line %d", errs[99].Line)
	}
}
