package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/cli"
	"github.com/sipfleet/sipfleet/internal/testenv"
)

// Loopback addresses of the serving commands' tests: 127.0.0.124 (up)
// and .125 (run), in the block of issue 7's tests (.120 to .129).
const (
	upTestIP  = 124
	runTestIP = 125
)

// readyWait bounds the wait for an in-process fleet's /readyz.
const readyWait = 20 * time.Second

func TestUpRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"listen not ip:port", []string{"--listen", "localhost:5060"}, `--listen "localhost:5060": want ip:port`},
		{"admin not ip:port", []string{"--admin", "9060"}, `--admin "9060": want ip:port`},
		{"listen without port", []string{"--listen", "127.0.0.1:0"}, "listen: give a port"},
		{"no room above listen", []string{"--listen", "127.0.0.1:65530"}, "leaves no room for the backends' ports"},
		{"bad log level", []string{"--log-level", "loud"}, `bad log level "loud"`},
		{"domain breaking the yaml", []string{"--domain", "a\nb"}, "domain"},
		{"stray argument", []string{"now"}, `unexpected argument "now"`},
		{"unknown flag", []string{"--nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"up", "--data", t.TempDir()}, tt.args...)
			code, out, errOut := run(t, "", args...)
			if code != cli.ExitUsage || !strings.Contains(errOut, tt.wantStderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, cli.ExitUsage, tt.wantStderr)
			}
			if out != "" {
				t.Errorf("stdout %q; want nothing", out)
			}
		})
	}
}

// TestUpServesAndStops runs `up --demo` in-process: it prints the layout
// and the demo users, /readyz answers, the generated files are there, and
// cancelling its context (what SIGINT and SIGTERM do) stops it with 0.
func TestUpServesAndStops(t *testing.T) {
	ip := testenv.LoopbackIP(t, upTestIP)
	listen := testenv.AddrPort(ip, testenv.FreePort(t, ip))
	if listen.Port() > 65535-22 {
		// up puts the backends 10 to 22 ports above the LB's.
		t.Skipf("port %d leaves no room for the backends", listen.Port())
	}
	admin := testenv.AddrPort(ip, testenv.FreeTCPPort(t, ip))
	data := t.TempDir()
	p := start(t, "up", "--demo", "--data", data, "--listen", listen.String(), "--admin", admin.String())
	waitReady(t, p, "http://"+admin.String()+"/readyz")
	out := p.waitOutput(t, "password", 2)
	for _, want := range []string{
		"lb          " + listen.String() + " udp+tcp",
		fmt.Sprintf("proxies     %s, %s", at(ip, listen, 11), at(ip, listen, 12)),
		fmt.Sprintf("registrars  %s, %s", at(ip, listen, 21), at(ip, listen, 22)),
		"database    sqlite:" + filepath.Join(data, "sipfleet.db"),
		"admin       http://" + admin.String(),
		"user        alice@localhost password ",
		"user        bob@localhost password ",
		"outbound proxy " + listen.String(),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"sipfleet.db", "dispatcher.list", "lb.yaml", "registrar-1.yaml", "registrar-2.yaml", "proxy-1.yaml", "proxy-2.yaml"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("data directory: %v", err)
		}
	}
	if code := p.stop(t); code != cli.ExitOK {
		t.Errorf("exit %d after cancel, want 0:\n%s", code, p.out.String())
	}
	if !strings.Contains(p.out.String(), "sipfleet up: stopped") {
		t.Errorf("no goodbye:\n%s", p.out.String())
	}
}

// at is the address off ports above listen, on the backends' ip.
func at(ip netip.Addr, listen netip.AddrPort, off int) netip.AddrPort {
	return netip.AddrPortFrom(ip, listen.Port()+uint16(off))
}

// process is a serving command running in-process until stop.
type process struct {
	out    *syncBuffer // stdout and stderr, interleaved
	cancel context.CancelFunc
	done   chan int
}

func start(t *testing.T, args ...string) *process {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &process{out: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	app := &cli.App{Stdout: p.out, Stderr: p.out}
	go func() { p.done <- app.Run(ctx, args) }()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

// stop cancels the command's context and returns its exit code.
func (p *process) stop(t *testing.T) int {
	t.Helper()
	p.cancel()
	select {
	case code := <-p.done:
		p.done <- code // for the cleanup
		return code
	case <-time.After(readyWait):
		t.Fatalf("still running %s after cancel:\n%s", readyWait, p.out.String())
		return -1
	}
}

// waitReady polls url until it answers 200; the command exiting first, or
// the deadline, fails the test.
func waitReady(t *testing.T, p *process, url string) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyWait)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case code := <-p.done:
			p.done <- code
			t.Fatalf("exited %d before it was ready:\n%s", code, p.out.String())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %s:\n%s", url, readyWait, p.out.String())
		}
	}
}

// waitOutput polls the output until it holds n lines containing substr.
func (p *process) waitOutput(t *testing.T, substr string, n int) string {
	t.Helper()
	deadline := time.Now().Add(readyWait)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		out := p.out.String()
		if strings.Count(out, substr) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("output has not %d lines with %q after %s:\n%s", n, substr, readyWait, out)
		}
		<-tick.C
	}
}

// syncBuffer is a bytes.Buffer that a running command writes while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
