package testenv

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSippArgs(t *testing.T) {
	files := newSippFiles("/d")
	trace := []string{"-trace_stat", "-stf", "/d/stat.csv", "-fd", "1",
		"-trace_screen", "-screen_file", "/d/screen.log",
		"-trace_err", "-error_file", "/d/errors.log",
		"-trace_calldebug", "-calldebug_file", "/d/calldebug.log",
		"-trace_logs", "-log_file", "/d/logs.log", "-max_log_size", "16777216"}
	for _, tc := range []struct {
		name string
		opts SippOptions
		want []string
	}{{
		name: "built-in uas, defaults",
		opts: SippOptions{Scenario: "uas", MaxCalls: 3, Port: 5071},
		want: join([]string{"-sn", "uas", "-i", "127.0.0.1", "-p", "5071", "-t", "u1", "-m", "3",
			"-timeout", "30s", "-nostdin", "-recv_timeout", "5000"}, trace),
	}, {
		name: "uac from a file, everything set",
		opts: SippOptions{
			Scenario: "/s/uac_call.xml", Remote: netip.MustParseAddrPort("127.0.0.2:5060"),
			Local: netip.MustParseAddr("127.0.0.3"), Port: 5090, Transport: "t1", Service: "bob",
			Rate: 2.5, RatePeriod: 2 * time.Second, MaxCalls: 10, Limit: 4, CallLength: 150 * time.Millisecond,
			Timeout: 1500 * time.Millisecond, RecvTimeout: -1, InjectionFile: "/u.csv",
			Keys: map[string]string{"expires": "60", "domain": "localhost"}, Vars: map[string]string{"x": "1"},
			AuthUser: "alice", AuthPass: "pw", AuthURI: "localhost", TraceMessages: true,
			Args: []string{"-aa"},
		},
		want: join([]string{"-sf", "/s/uac_call.xml", "127.0.0.2:5060", "-i", "127.0.0.3", "-p", "5090",
			"-t", "t1", "-m", "10", "-timeout", "2s", "-nostdin",
			"-s", "bob", "-r", "2.5", "-rp", "2000", "-l", "4", "-d", "150", "-inf", "/u.csv",
			"-key", "domain", "localhost", "-key", "expires", "60", "-set", "x", "1",
			"-au", "alice", "-ap", "pw", "-auth_uri", "localhost"},
			trace, []string{"-trace_msg", "-message_file", "/d/messages.log", "-aa"}),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts.withDefaults()
			if got := o.args(files); !slices.Equal(got, tc.want) {
				t.Errorf("args:\n got %s\nwant %s", strings.Join(got, " "), strings.Join(tc.want, " "))
			}
		})
	}
}

func join(parts ...[]string) []string { return slices.Concat(parts...) }

func TestSippOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts SippOptions
		want string
	}{
		{"no scenario", SippOptions{MaxCalls: 1}, "no Scenario"},
		{"unbounded", SippOptions{Scenario: "uas"}, "MaxCalls must be set"},
		{"bad transport", SippOptions{Scenario: "uas", MaxCalls: 1, Transport: "l1"}, "Transport"},
		{"background", SippOptions{Scenario: "uas", MaxCalls: 1, Args: []string{"-bg"}}, "-bg is set by the runner"},
		{"own timeout", SippOptions{Scenario: "uas", MaxCalls: 1, Args: []string{"-timeout", "1h"}}, "-timeout is set by the runner"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("validate() = %v; want an error containing %q", err, tc.want)
			}
		})
	}
	if err := (&SippOptions{Scenario: "uas", MaxCalls: 1}).validate(); err != nil {
		t.Errorf("minimal options: %v", err)
	}
}

func TestIsFile(t *testing.T) {
	for in, want := range map[string]bool{"uac": false, "uas": false, "x.xml": true, "dir/uac": true} {
		if got := isFile(in); got != want {
			t.Errorf("isFile(%q) = %v", in, got)
		}
	}
}
