package testenv

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults for the bounds every SIPp run gets.
const (
	// DefaultSippTimeout is -timeout when SippOptions.Timeout is zero.
	DefaultSippTimeout = 30 * time.Second
	// DefaultRecvTimeout is -recv_timeout when SippOptions.RecvTimeout is
	// zero: a call waiting longer than this for a message fails, instead of
	// holding the run until SIPp's retransmissions give up (32 s).
	DefaultRecvTimeout = 5 * time.Second
	// killGrace is how long after -timeout a SIPp still running is killed:
	// -timeout stops new calls, but SIPp waits for calls in progress.
	killGrace = 10 * time.Second
)

// SippOptions describe one SIPp run. MaxCalls is required; every other zero
// value means SIPp's default or the toolkit's.
type SippOptions struct {
	// Scenario is a built-in scenario (-sn: "uac", "uas", ...) or the path
	// of an XML scenario (-sf): a name ending in ".xml" or holding a "/".
	Scenario string
	// Remote is where a UAC sends every request (SIPp's remote host); zero
	// for a UAS.
	Remote netip.AddrPort
	// Local is SIPp's IP (-i), 127.0.0.1 when zero; Port its port (-p), a
	// free one when zero (so readiness can be checked).
	Local netip.Addr
	Port  int
	// Transport is -t: "u1" (UDP, one socket; the default) or "t1" (TCP).
	Transport string
	// Service is -s, the Request-URI user of SIPp's scenarios.
	Service string
	// Rate is -r in calls per second (SIPp's default is 10); RatePeriod -rp.
	Rate       float64
	RatePeriod time.Duration
	// MaxCalls is -m: SIPp exits after that many calls. Required.
	MaxCalls int
	// Limit is -l, the most simultaneous calls.
	Limit int
	// CallLength is -d, the length of a scenario's <pause/>.
	CallLength time.Duration
	// Timeout is -timeout, DefaultSippTimeout when zero; the runner kills
	// SIPp if it still runs 10 s later.
	Timeout time.Duration
	// RecvTimeout is -recv_timeout, DefaultRecvTimeout when zero; negative
	// leaves it unset.
	RecvTimeout time.Duration
	// InjectionFile is -inf, a CSV of per-call values ([field0], ...).
	InjectionFile string
	// Keys are -key NAME VALUE, the scenario's [NAME] keywords; Vars are
	// -set NAME VALUE, its global [$NAME] variables.
	Keys map[string]string
	Vars map[string]string
	// AuthUser, AuthPass and AuthURI are -au, -ap and -auth_uri, what the
	// [authentication] keyword answers a challenge with.
	AuthUser, AuthPass, AuthURI string
	// TraceMessages logs every message sent and received (-trace_msg);
	// off by default, as it slows SIPp down under load.
	TraceMessages bool
	// Args are more SIPp options, passed as given (not -bg, -m, -timeout or
	// the trace options, which the runner owns).
	Args []string
	// Name labels the run in logs; the scenario's base name when empty.
	Name string

	// killGrace is how long after Timeout the runner kills SIPp; 10 s
	// unless a test of the runner shortens it.
	killGrace time.Duration
}

// sippFiles are the files a run writes, all in its own directory.
type sippFiles struct {
	dir                                         string
	stat, screen, errors, messages, debug, logs string
	stdout, stderr                              string
}

func newSippFiles(dir string) sippFiles {
	p := func(name string) string { return filepath.Join(dir, name) }
	return sippFiles{
		dir: dir, stat: p("stat.csv"), screen: p("screen.log"), errors: p("errors.log"),
		messages: p("messages.log"), debug: p("calldebug.log"), logs: p("logs.log"),
		stdout: p("stdout.log"), stderr: p("stderr.log"),
	}
}

// owned are the options the runner sets itself.
var owned = []string{"-bg", "-m", "-timeout", "-nostdin", "-i", "-p", "-sf", "-sn", "-trace_stat",
	"-stf", "-trace_screen", "-screen_file", "-trace_err", "-error_file", "-trace_msg",
	"-message_file", "-trace_calldebug", "-calldebug_file", "-trace_logs", "-log_file"}

func (o *SippOptions) validate() error {
	var errs []error
	if o.Scenario == "" {
		errs = append(errs, errors.New("no Scenario"))
	}
	if o.MaxCalls <= 0 {
		errs = append(errs, errors.New("MaxCalls must be set (> 0): every SIPp run is bounded in calls"))
	}
	if o.Transport != "" && o.Transport != "u1" && o.Transport != "t1" {
		errs = append(errs, fmt.Errorf("Transport %q: want u1 or t1", o.Transport))
	}
	if o.Port < 0 || o.Port > 65535 {
		errs = append(errs, fmt.Errorf("Port %d out of range", o.Port))
	}
	for _, a := range o.Args {
		if slices.Contains(owned, a) {
			errs = append(errs, fmt.Errorf("Args: %s is set by the runner", a))
		}
	}
	return errors.Join(errs...)
}

// withDefaults fills in what the caller left zero, except Port.
func (o SippOptions) withDefaults() SippOptions {
	if !o.Local.IsValid() {
		o.Local = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if o.Transport == "" {
		o.Transport = "u1"
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultSippTimeout
	}
	if o.RecvTimeout == 0 {
		o.RecvTimeout = DefaultRecvTimeout
	}
	if o.killGrace <= 0 {
		o.killGrace = killGrace
	}
	if o.Name == "" {
		o.Name = strings.TrimSuffix(filepath.Base(o.Scenario), ".xml")
	}
	return o
}

// network is the protocol SIPp's main socket uses.
func (o *SippOptions) network() string {
	if o.Transport == "t1" {
		return "tcp"
	}
	return "udp"
}

// isFile tells a scenario file from a built-in scenario name.
func isFile(scenario string) bool {
	return strings.HasSuffix(scenario, ".xml") || strings.ContainsRune(scenario, filepath.Separator)
}

// args is SIPp's command line for o, which withDefaults has completed and
// whose Port is set.
func (o *SippOptions) args(f sippFiles) []string {
	a := []string{"-sn", o.Scenario}
	if isFile(o.Scenario) {
		a[0] = "-sf"
	}
	if o.Remote.IsValid() {
		a = append(a, o.Remote.String())
	}
	a = append(a, "-i", o.Local.String(), "-p", strconv.Itoa(o.Port), "-t", o.Transport,
		"-m", strconv.Itoa(o.MaxCalls), "-timeout", seconds(o.Timeout), "-nostdin")
	a = append(a, o.optional()...)
	a = append(a, "-trace_stat", "-stf", f.stat, "-fd", "1",
		"-trace_screen", "-screen_file", f.screen,
		"-trace_err", "-error_file", f.errors,
		"-trace_calldebug", "-calldebug_file", f.debug,
		"-trace_logs", "-log_file", f.logs,
		"-max_log_size", strconv.Itoa(16<<20))
	if o.TraceMessages {
		a = append(a, "-trace_msg", "-message_file", f.messages)
	}
	return append(a, o.Args...)
}

// optional are the options that appear only when set.
func (o *SippOptions) optional() []string {
	var a []string
	add := func(flag, value string) {
		if value != "" {
			a = append(a, flag, value)
		}
	}
	add("-s", o.Service)
	if o.Rate > 0 {
		add("-r", strconv.FormatFloat(o.Rate, 'f', -1, 64))
	}
	if o.RatePeriod > 0 {
		add("-rp", strconv.FormatInt(o.RatePeriod.Milliseconds(), 10))
	}
	if o.Limit > 0 {
		add("-l", strconv.Itoa(o.Limit))
	}
	if o.CallLength > 0 {
		add("-d", strconv.FormatInt(o.CallLength.Milliseconds(), 10))
	}
	if o.RecvTimeout > 0 {
		add("-recv_timeout", strconv.FormatInt(o.RecvTimeout.Milliseconds(), 10))
	}
	add("-inf", o.InjectionFile)
	a = appendPairs(a, "-key", o.Keys)
	a = appendPairs(a, "-set", o.Vars)
	add("-au", o.AuthUser)
	add("-ap", o.AuthPass)
	add("-auth_uri", o.AuthURI)
	return a
}

// appendPairs adds flag NAME VALUE for each entry, in name order.
func appendPairs(a []string, flag string, m map[string]string) []string {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		a = append(a, flag, k, m[k])
	}
	return a
}

// seconds formats d for -timeout, rounded up to whole seconds ("7s").
func seconds(d time.Duration) string {
	s := (d + time.Second - 1) / time.Second
	return strconv.FormatInt(int64(s), 10) + "s"
}
