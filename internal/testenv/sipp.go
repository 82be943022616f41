package testenv

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds of the runner's own waits.
const (
	// readyWait bounds StartUAS's wait for SIPp's socket.
	readyWait = 10 * time.Second
	// stopGrace is how long Stop lets SIPp exit on SIGTERM before SIGKILL.
	stopGrace = 5 * time.Second
)

// Sipp is one SIPp process started by StartSipp. Its files live in a
// directory of the test's own, and the process is killed when the test ends.
type Sipp struct {
	t     testing.TB
	opts  SippOptions
	files sippFiles
	cmd   *exec.Cmd
	start time.Time

	done chan struct{} // closed once the process has exited and been reaped
	exit error         // what cmd.Wait returned; read after done

	mu       sync.Mutex
	ended    string // why the runner ended it: "", "stop", "kill" or "deadline"
	observed bool   // the test has been given the result and its error
	once     sync.Once
	result   SippResult
	failure  error
	finished time.Time
}

// StartSipp starts SIPp as o says, without waiting for anything. A wrong
// option, a non-loopback address or a failure to start fails the test.
func StartSipp(t testing.TB, o SippOptions) *Sipp {
	t.Helper()
	bin := RequireBinary(t, "sipp")
	if err := o.validate(); err != nil {
		t.Fatalf("sipp %s: %v", o.Scenario, err)
	}
	o = o.withDefaults()
	requireLoopback(t, "sipp local address", o.Local)
	if o.Remote.IsValid() {
		requireLoopback(t, "sipp remote address", o.Remote.Addr())
	}
	if isFile(o.Scenario) {
		if _, err := os.Stat(o.Scenario); err != nil {
			t.Fatalf("sipp scenario: %v", err)
		}
	}
	if o.Port == 0 {
		o.Port = freePort(t, o.Local, o.network() == "udp", o.network() == "tcp")
	}
	s := &Sipp{t: t, opts: o, files: newSippFiles(t.TempDir()), done: make(chan struct{})}
	if err := s.run(bin); err != nil {
		t.Fatalf("sipp %s: %v", o.Name, err)
	}
	t.Cleanup(s.cleanup)
	t.Logf("sipp %s: pid %d: %s", o.Name, s.PID(), s.Cmdline())
	return s
}

// StartUAS starts a SIPp meant to receive calls and waits until its socket
// is bound, so that a UAC started next finds it listening.
func StartUAS(t testing.TB, o SippOptions) *Sipp {
	t.Helper()
	s := StartSipp(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), readyWait)
	defer cancel()
	if err := s.WaitReady(ctx); err != nil {
		t.Fatalf("sipp %s: %v", s.opts.Name, err)
	}
	return s
}

// RunUAC runs a SIPp to its end (MaxCalls calls, or its Timeout) and
// returns what it counted. Failed calls are for the test to judge; a SIPp
// that could not run its scenario fails the test.
func RunUAC(t testing.TB, o SippOptions) SippResult {
	t.Helper()
	s := StartSipp(t, o)
	r, err := s.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (s *Sipp) run(bin string) error {
	stdout, err := os.Create(s.files.stdout)
	if err != nil {
		return err
	}
	stderr, err := os.Create(s.files.stderr)
	if err != nil {
		stdout.Close()
		return err
	}
	s.cmd = exec.Command(bin, s.opts.args(s.files)...)
	s.cmd.Dir = s.files.dir // SIPp writes some files where it runs
	s.cmd.Stdout, s.cmd.Stderr = stdout, stderr
	s.cmd.SysProcAttr = dieWithParent()
	s.start = time.Now()
	err = s.cmd.Start()
	if err != nil {
		stdout.Close()
		stderr.Close()
		return fmt.Errorf("start: %w", err)
	}
	go s.reap(stdout, stderr)
	go s.watchdog(s.opts.Timeout + s.opts.killGrace)
	return nil
}

func (s *Sipp) reap(files ...*os.File) {
	s.exit = s.cmd.Wait()
	s.finished = time.Now()
	for _, f := range files {
		f.Close()
	}
	close(s.done)
}

// watchdog kills SIPp if it outlives its -timeout by killGrace: -timeout
// alone lets calls in progress run on.
func (s *Sipp) watchdog(after time.Duration) {
	timer := time.NewTimer(after)
	defer timer.Stop()
	select {
	case <-s.done:
	case <-timer.C:
		s.end("deadline", syscall.SIGKILL)
	}
}

// end records why the runner ends SIPp (the first reason wins) and sends
// sig. A SIPp that has already exited keeps its own exit as it was.
func (s *Sipp) end(why string, sig syscall.Signal) {
	select {
	case <-s.done:
		return
	default:
	}
	s.mu.Lock()
	if s.ended == "" {
		s.ended = why
	}
	s.mu.Unlock()
	_ = s.cmd.Process.Signal(sig) // fails only if it exited meanwhile
}

// Addr is SIPp's own address: where a UAC sends to reach this UAS.
func (s *Sipp) Addr() netip.AddrPort { return AddrPort(s.opts.Local, s.opts.Port) }

// Dir is the directory holding SIPp's statistics and logs.
func (s *Sipp) Dir() string { return s.files.dir }

// PID is SIPp's process id.
func (s *Sipp) PID() int { return s.cmd.Process.Pid }

// Cmdline is SIPp's command line, for logs.
func (s *Sipp) Cmdline() string { return strings.Join(s.cmd.Args, " ") }

// WaitReady waits until SIPp has bound its main socket (UDP) or listens on
// it (TCP), read from /proc: the socket must be SIPp's own, not another
// process's on the same port. It fails at once if SIPp exits first.
func (s *Sipp) WaitReady(ctx context.Context) error {
	err := waitBoundBy(ctx, s.PID(), s.opts.network(), s.Addr(), s.done)
	if err != nil {
		return fmt.Errorf("sipp %s not ready: %w%s", s.opts.Name, err, s.explain())
	}
	return nil
}

// Wait waits for SIPp to end and returns its counts. The error says SIPp
// did not run its scenario through (a fatal error, a kill at its deadline,
// ctx ending first: SIPp is then killed); failed calls are not an error.
func (s *Sipp) Wait(ctx context.Context) (SippResult, error) {
	select {
	case <-s.done:
	case <-ctx.Done():
		s.end("kill", syscall.SIGKILL)
		<-s.done
		r, _ := s.observe()
		return r, fmt.Errorf("sipp %s: killed: %w", s.opts.Name, context.Cause(ctx))
	}
	return s.observe()
}

// Progress reads the counts of SIPp's last statistics dump while it
// runs: up to a second old (-fd 1), so a test that is about to stop a
// SIPp whose calls it knows are done can wait for them to show.
func (s *Sipp) Progress() (SippResult, error) { return readStatCSV(s.files.stat) }

// Stop ends SIPp the way it ends on Ctrl-C (SIGTERM: it stops at once and
// writes its final statistics), or with SIGKILL if it is still there after
// 5 s, and returns its counts. Calls in progress stay in Current.
func (s *Sipp) Stop() (SippResult, error) {
	s.stop()
	return s.observe()
}

func (s *Sipp) stop() {
	s.end("stop", syscall.SIGTERM)
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case <-s.done:
	case <-timer.C:
		s.end("kill", syscall.SIGKILL)
		<-s.done
	}
}

// Kill ends SIPp with SIGKILL, as a crashed backend ends: no final
// statistics, so the counts are those of its last dump (every second).
func (s *Sipp) Kill() (SippResult, error) {
	s.end("kill", syscall.SIGKILL)
	<-s.done
	return s.observe()
}

// observe is collect for the test: an error returned here is the test's
// to judge, so cleanup does not report it again.
func (s *Sipp) observe() (SippResult, error) {
	s.mu.Lock()
	s.observed = true
	s.mu.Unlock()
	return s.collect()
}

// ActionLog returns what the scenario's <log> actions wrote (-trace_logs).
func (s *Sipp) ActionLog() string {
	b, err := os.ReadFile(s.files.logs)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		s.t.Errorf("sipp %s: %v", s.opts.Name, err)
	}
	return string(b)
}

// cleanup stops SIPp when its test ends. A SIPp that could not run its
// scenario fails the test even if the test never looked at it; if the
// test failed, cleanup logs what SIPp saw.
func (s *Sipp) cleanup() {
	s.stop()
	_, err := s.collect()
	s.mu.Lock()
	observed := s.observed
	s.mu.Unlock()
	if err != nil && !observed {
		s.t.Error(err)
	}
	if s.t.Failed() {
		s.t.Logf("sipp %s: %s\n%s", s.opts.Name, s.Cmdline(), s.diagnostics())
	}
}
