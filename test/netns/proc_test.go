//go:build linux

package netns

import (
	"bufio"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Bounds of a process's life in the test.
const (
	readyWait = 20 * time.Second // a node's /readyz
	stopGrace = 10 * time.Second // exit after SIGTERM before SIGKILL
	logShown  = 32 << 10         // of a log, when a test fails
)

// proc is a process started inside a namespace by `ip netns exec`, which
// execs it, so the pid is the process's own and signals reach it. It is
// stopped when the test ends, and its output printed if the test failed.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // what Wait returned; read after done
}

// start runs args inside ns, in dir (SIPp writes its files where it
// runs), for the life of t.
func start(t *testing.T, name, ns, dir string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, log: filepath.Join(t.TempDir(), name+".log"), done: make(chan struct{})}
	out, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = out, out
	// The kernel kills it if the test binary dies (a panic, -timeout).
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		out.Close()
		close(p.done)
	}()
	t.Cleanup(p.cleanup)
	t.Logf("%s: pid %d in %s: %s", name, p.cmd.Process.Pid, ns, strings.Join(args, " "))
	return p
}

// cleanup stops what still runs; one that does not exit cleanly on
// SIGTERM fails the test. How a process that ended by itself ended is
// for the test to judge, when it waits for it.
func (p *proc) cleanup() {
	running := !p.exited()
	if err := p.stop(); running && err != nil {
		p.t.Errorf("%s: on SIGTERM: %v", p.name, err)
	}
	if p.t.Failed() {
		p.t.Logf("%s: log %s (end):\n%s", p.name, p.log, tail(p.log, logShown))
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process with SIGTERM, or SIGKILL after stopGrace, and
// returns how it ended; a process that had exited already is left as it
// was.
func (p *proc) stop() error {
	return p.end(syscall.SIGTERM)
}

// interrupt is stop with SIGINT, which tshark takes as "finish up".
func (p *proc) interrupt() error { return p.end(syscall.SIGINT) }

func (p *proc) end(sig syscall.Signal) error {
	if p.exited() {
		return p.err
	}
	_ = p.cmd.Process.Signal(sig)
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.err
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("still running %v after %v; killed", sig, stopGrace)
	}
}

// wait waits for the process to end by itself, killing it after limit.
func (p *proc) wait(limit time.Duration) error {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.err
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s: still running after %v; killed", p.name, limit)
	}
}

func (p *proc) logs() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// node starts `sipfleet ARGS` in ns and waits until its /readyz, on the
// namespace's admin address, answers 200. A node that exits first is an
// error, with its log.
func startNode(t *testing.T, name, ns, bin, admin string, args ...string) (*proc, error) {
	t.Helper()
	p := start(t, name, ns, "", append([]string{bin}, args...)...)
	client := httpIn(ns)
	deadline := time.Now().Add(readyWait)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := client.Get("http://" + admin + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.done:
			return p, fmt.Errorf("%s exited before it was ready (%v):\n%s", name, p.err, tail(p.log, logShown))
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return p, fmt.Errorf("%s not ready within %v:\n%s", name, readyWait, tail(p.log, logShown))
		}
	}
}

// boundUDP reports whether the process pid has a UDP socket bound to addr,
// read from /proc/PID/net/udp, which shows the process's own namespace.
func boundUDP(pid int, addr netip.AddrPort) bool {
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/udp", pid))
	if err != nil {
		return false
	}
	defer f.Close()
	a := addr.Addr().As4()
	want := fmt.Sprintf("%02X%02X%02X%02X:%04X", a[3], a[2], a[1], a[0], addr.Port())
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) > 1 && fields[1] == want {
			return true
		}
	}
	return false
}

// tail is the end of a file, at most n bytes.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
