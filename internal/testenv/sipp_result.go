package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// SippResult is what a SIPp run counted, read from its statistics.
type SippResult struct {
	// ExitCode is SIPp's exit status (SippExitMeaning explains it), or -1
	// when a signal killed it.
	ExitCode int
	// Stopped says the runner ended it (Stop, Kill, a context ending or its
	// deadline); Killed that it died of SIGKILL, so the counts are those of
	// its last statistics dump, up to a second old; TimedOut that it was
	// killed for outliving its Timeout.
	Stopped, Killed, TimedOut bool

	// Created, Successful and Failed count calls (SIPp's cumulative
	// counters); Current are calls still in progress when it ended.
	Created, Successful, Failed, Current int
	// Retransmissions SIPp made, Warnings it logged, messages it received
	// for calls it had just ended (DeadCallMsgs) or never knew
	// (OutOfCallMsgs).
	Retransmissions, Warnings, DeadCallMsgs, OutOfCallMsgs int
	// Causes counts failed calls by SIPp's reason ("UnexpectedMessage",
	// "TimeoutOnRecv", "RegexpHdrNotFound", "CallRejected", ...); only
	// reasons with calls are present. Empty when read from a screen.
	Causes map[string]int

	// Source is where the counts were read: "stat" (the -trace_stat CSV),
	// "screen" (-trace_screen) or "stdout"; empty if SIPp wrote none.
	Source string
	// Elapsed is how long the process ran.
	Elapsed time.Duration
}

// Check returns an error unless exactly successful calls succeeded and
// failed calls failed, with none left in progress.
func (r SippResult) Check(successful, failed int) error {
	if r.Successful == successful && r.Failed == failed && r.Current == 0 {
		return nil
	}
	return fmt.Errorf("want %d successful and %d failed calls; got %s", successful, failed, r)
}

func (r SippResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "created=%d successful=%d failed=%d current=%d retrans=%d",
		r.Created, r.Successful, r.Failed, r.Current, r.Retransmissions)
	if len(r.Causes) > 0 {
		fmt.Fprintf(&b, " causes=%s", formatCauses(r.Causes))
	}
	fmt.Fprintf(&b, " exit=%d (%s)", r.ExitCode, SippExitMeaning(r.ExitCode))
	switch {
	case r.TimedOut:
		b.WriteString(" killed at its deadline")
	case r.Killed:
		b.WriteString(" killed")
	case r.Stopped:
		b.WriteString(" stopped")
	}
	return b.String()
}

func formatCauses(m map[string]int) string {
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s:%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// SippExitMeaning says what a SIPp 3.6 exit status means.
func SippExitMeaning(code int) string {
	switch code {
	case 0:
		return "no call failed"
	case 1:
		return "a call failed, or SIPp stopped on an error before its scenario ran"
	case 97:
		return "-timeout passed with no call completed"
	case 99:
		return "SIPp stopped for another reason"
	case 254:
		return "cannot bind a socket"
	case 255:
		return "fatal error"
	case -1:
		return "killed by a signal"
	}
	return "unknown exit status"
}

// collect reads the run's statistics once SIPp has exited, and judges
// whether it ran its scenario through.
func (s *Sipp) collect() (SippResult, error) {
	s.once.Do(func() {
		s.result, s.failure = s.read()
	})
	return s.result, s.failure
}

func (s *Sipp) read() (SippResult, error) {
	r := s.readCounts()
	r.Elapsed = s.finished.Sub(s.start)
	var exit *exec.ExitError
	if errors.As(s.exit, &exit) {
		r.ExitCode = exit.ExitCode()
	} else if s.exit != nil {
		return r, fmt.Errorf("sipp %s: wait: %w", s.opts.Name, s.exit)
	}
	s.mu.Lock()
	ended := s.ended
	s.mu.Unlock()
	r.Stopped = ended != ""
	r.Killed = r.ExitCode == -1
	r.TimedOut = ended == "deadline"
	return r, s.judge(r)
}

// judge returns an error when SIPp did not run its scenario through.
func (s *Sipp) judge(r SippResult) error {
	name := s.opts.Name
	switch {
	case r.TimedOut:
		return fmt.Errorf("sipp %s: killed, still running %s after its -timeout %s: %s%s",
			name, s.opts.killGrace, s.opts.Timeout, r, s.explain())
	case r.Stopped:
		return nil
	case r.Source == "":
		return fmt.Errorf("sipp %s: exit %d (%s), no statistics written%s",
			name, r.ExitCode, SippExitMeaning(r.ExitCode), s.explain())
	case r.ExitCode == 0, r.ExitCode == 97, r.ExitCode == 1 && r.Failed > 0:
		return nil
	}
	return fmt.Errorf("sipp %s: exit %d (%s): %s%s", name, r.ExitCode, SippExitMeaning(r.ExitCode), r, s.explain())
}

// readCounts takes the counts from the best source SIPp left.
func (s *Sipp) readCounts() SippResult {
	if r, err := readStatCSV(s.files.stat); err == nil {
		return r
	}
	for _, src := range []struct{ name, path string }{{"screen", s.files.screen}, {"stdout", s.files.stdout}} {
		if r, err := readScreen(src.path); err == nil {
			r.Source = src.name
			return r
		}
	}
	return SippResult{}
}

// explain is the end of SIPp's stderr and error log, for an error message.
func (s *Sipp) explain() string {
	var b strings.Builder
	for _, f := range []struct{ name, path string }{{"stderr", s.files.stderr}, {"errors", s.files.errors}} {
		if t := tail(f.path, 1500); t != "" {
			fmt.Fprintf(&b, "\n--- sipp %s (end) ---\n%s", f.name, t)
		}
	}
	return b.String()
}

// diagnostics is what a failed test logs about a SIPp.
func (s *Sipp) diagnostics() string {
	r, err := s.collect()
	var b strings.Builder
	fmt.Fprintf(&b, "result: %s", r)
	if err != nil {
		fmt.Fprintf(&b, "\nerror: %v", err)
	} else {
		b.WriteString(s.explain())
	}
	for _, f := range []struct{ name, path string }{{"aborted calls", s.files.debug}, {"messages", s.files.messages}} {
		if t := tail(f.path, 4000); t != "" {
			fmt.Fprintf(&b, "\n--- sipp %s (end) ---\n%s", f.name, t)
		}
	}
	return b.String()
}

// tail returns up to the last n bytes of a file, "" if it is missing or empty.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return ""
	}
	off := max(fi.Size()-n, 0)
	buf := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return ""
	}
	return strings.TrimSpace(string(buf))
}
