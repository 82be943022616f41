package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinary builds the real binary the way a release does, to check what
// only a process shows: the -ldflags version stamp and the exit codes.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "sipfleet")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v0.0.0-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{[]string{"version"}, 0, "sipfleet v0.0.0-test go1."},
		{[]string{"up", "--nosuch"}, 2, "flag provided but not defined: -nosuch"},
		{[]string{"lb"}, 2, "sipfleet lb: --config is required"},
		{[]string{"proxy"}, 2, "sipfleet proxy: --config is required"},
		{[]string{"nosuch"}, 2, `unknown command "nosuch"`},
		{[]string{"validate", "--config", "missing.yaml"}, 1, "no such file"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, err := exec.Command(bin, tt.args...).CombinedOutput()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode || !strings.Contains(string(out), tt.wantOut) {
				t.Errorf("exit %d, output %q; want %d and %q", code, out, tt.wantCode, tt.wantOut)
			}
		})
	}
}
