package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sipfleet/sipfleet/internal/cli"
)

// run runs one command line in-process and returns its exit code and
// outputs.
func run(t *testing.T, version string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := &cli.App{Version: version, Stdout: &out, Stderr: &errOut}
	code = app.Run(context.Background(), args)
	return code, out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	tests := []struct{ version, want string }{
		{"v1.2.3", "sipfleet v1.2.3 go1."},
		{"", "sipfleet dev go1."},
	}
	for _, tt := range tests {
		code, out, _ := run(t, tt.version, "version")
		if code != cli.ExitOK || !strings.HasPrefix(out, tt.want) {
			t.Errorf("version with Version=%q: exit %d, %q; want 0 and a line starting %q", tt.version, code, out, tt.want)
		}
	}
}

func TestRoleCommandChecks(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
		notStderr  string
	}{
		{"natping needs a config", []string{"natping"}, cli.ExitUsage, "sipfleet natping: --config is required", ""},
		{"natping needs its section", []string{"natping", "--config", "testdata/good.yaml"}, cli.ExitFail, "has no natping section", ""},
		{"proxy needs its section", []string{"proxy", "--config", "testdata/good.yaml"}, cli.ExitFail, "has no proxy section", ""},
		{"lb needs a config", []string{"lb"}, cli.ExitUsage, "sipfleet lb: --config is required", ""},
		{"lb needs its section", []string{"lb", "--config", "testdata/good.yaml"}, cli.ExitFail, "has no lb section", ""},
		{"bad config", []string{"proxy", "--config", "testdata/bad.yaml"}, cli.ExitFail, "sipfleet proxy: testdata/bad.yaml: 3 problems", "not yet implemented"},
		{"bad log level", []string{"run", "--config", "testdata/good.yaml", "--log-level", "loud"}, cli.ExitUsage, `bad log level "loud"`, ""},
		{"unknown flag", []string{"registrar", "--nope"}, cli.ExitUsage, "flag provided but not defined", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := run(t, "", tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantStderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.wantCode, tt.wantStderr)
			}
			if tt.notStderr != "" && strings.Contains(errOut, tt.notStderr) {
				t.Errorf("stderr %q should not contain %q", errOut, tt.notStderr)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name:       "ok",
			args:       []string{"validate", "--config", "testdata/good.yaml"},
			wantCode:   cli.ExitOK,
			wantStdout: "ok\n",
		},
		{
			name:     "every problem with its line",
			args:     []string{"validate", "--config", "testdata/bad.yaml"},
			wantCode: cli.ExitFail,
			wantStdout: `testdata/bad.yaml:2: log.level: "loud" is not one of: debug, info, warn, error
testdata/bad.yaml:6: listeners[0].listen: bad address "127.0.0.1": missing port in address (want host:port or [ipv6]:port)
testdata/bad.yaml:7: listeners[0].sockts: unknown key (did you mean sockets?)
`,
			wantStderr: "sipfleet validate: testdata/bad.yaml: 3 problems\n",
		},
		{
			name:       "missing file",
			args:       []string{"validate", "--config", "testdata/nope.yaml"},
			wantCode:   cli.ExitFail,
			wantStderr: "sipfleet validate: read config: open testdata/nope.yaml: no such file or directory\n",
		},
		{
			name:       "no --config",
			args:       []string{"validate"},
			wantCode:   cli.ExitUsage,
			wantStderr: "sipfleet validate: --config is required\nusage: sipfleet validate --config FILE\n",
		},
		{
			name:       "stray argument",
			args:       []string{"validate", "--config", "testdata/good.yaml", "extra"},
			wantCode:   cli.ExitUsage,
			wantStderr: "sipfleet validate: unexpected argument \"extra\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
			if out != tt.wantStdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, tt.wantStdout)
			}
			if !strings.HasPrefix(errOut, tt.wantStderr) {
				t.Errorf("stderr %q, want it to start with %q", errOut, tt.wantStderr)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout bool // usage on stdout rather than stderr
		wantStderr string
	}{
		{name: "no command", args: nil, wantCode: cli.ExitUsage},
		{name: "help", args: []string{"help"}, wantCode: cli.ExitOK, wantStdout: true},
		{name: "--help", args: []string{"--help"}, wantCode: cli.ExitOK, wantStdout: true},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: cli.ExitUsage, wantStderr: `sipfleet: unknown command "frobnicate"`},
		{name: "help for unknown command", args: []string{"help", "frobnicate"}, wantCode: cli.ExitUsage, wantStderr: `unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", tt.args...)
			usage := errOut
			if tt.wantStdout {
				usage = out
			}
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
			for _, want := range []string{"Usage:\n  sipfleet <command> [flags]", "  validate ", "  up "} {
				if !strings.Contains(usage, want) {
					t.Errorf("usage lacks %q:\n%s", want, usage)
				}
			}
			if !strings.Contains(errOut, tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.wantStderr)
			}
		})
	}
}

func TestHelpForCommand(t *testing.T) {
	code, _, errOut := run(t, "", "help", "validate")
	if code != cli.ExitOK || !strings.Contains(errOut, "usage: sipfleet validate --config FILE") || !strings.Contains(errOut, "-config file") {
		t.Errorf("exit %d, stderr %q; want 0 and validate's flags", code, errOut)
	}
}
