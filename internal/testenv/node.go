package testenv

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds of a node's life in a test.
const (
	// nodeReadyWait bounds the wait for a node's /readyz.
	nodeReadyWait = 20 * time.Second
	// nodeStopGrace is how long a node has to exit on SIGTERM.
	nodeStopGrace = 10 * time.Second
	// nodeLogShown is how much of a node's log a failed test prints.
	nodeLogShown = 64 << 10
)

// Node is a sipfleet process started by StartNode.
type Node struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	log  string

	done chan struct{} // closed once the process has exited
	exit error         // what cmd.Wait returned; read after done

	grace time.Duration // how long Stop waits after SIGTERM

	mu    sync.Mutex
	ended bool // Stop or Kill was called
}

// StartNode runs the sipfleet binary (BuildSipfleet) with args, such as
// "lb", "--config", WriteFile(t, "lb.yaml", cfg), and waits until the HTTP
// URL ready (the node's /readyz on its admin listener, on loopback) answers
// 200. Its stdout and stderr go to a log file that a failed test prints.
// When the test ends it is stopped with SIGTERM, and the test fails if it
// does not exit cleanly within 10 s (it is then killed) or if it exited
// before anyone stopped it.
func StartNode(t testing.TB, ready string, args ...string) *Node {
	t.Helper()
	return startNode(t, BuildSipfleet(t), ready, args...)
}

func startNode(t testing.TB, bin, ready string, args ...string) *Node {
	t.Helper()
	n, err := launchNode(t, bin, ready, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: pid %d ready (%s)", n.name, n.PID(), ready)
	return n
}

// launchNode starts bin and waits for it to be ready; a node that fails to
// get ready is killed, and its log is printed if the test fails.
func launchNode(t testing.TB, bin, ready string, args ...string) (*Node, error) {
	name := "sipfleet"
	if len(args) > 0 {
		name += " " + args[0]
	}
	if err := checkReadyURL(ready); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	n := &Node{t: t, name: name, log: WriteFile(t, "node.log", ""), grace: nodeStopGrace, done: make(chan struct{})}
	if err := n.start(bin, args); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	t.Cleanup(n.cleanup)
	ctx, cancel := context.WithTimeout(context.Background(), nodeReadyWait)
	defer cancel()
	if err := n.waitReady(ctx, ready); err != nil {
		n.Kill()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return n, nil
}

// checkReadyURL accepts only http(s) URLs on a loopback IP address.
func checkReadyURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("ready URL %q: want http://127.0.0.x:PORT/readyz", raw)
	}
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil || !ip.Unmap().IsLoopback() {
		return fmt.Errorf("ready URL %q: the host must be a loopback IP address", raw)
	}
	return nil
}

func (n *Node) start(bin string, args []string) error {
	log, err := os.OpenFile(n.log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	n.cmd = exec.Command(bin, args...)
	n.cmd.Stdout, n.cmd.Stderr = log, log
	n.cmd.SysProcAttr = dieWithParent()
	if err := n.cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start: %w", err)
	}
	go func() {
		n.exit = n.cmd.Wait()
		log.Close()
		close(n.done)
	}()
	return nil
}

// waitReady polls ready until it answers 200, the node exits or ctx ends.
func (n *Node) waitReady(ctx context.Context, ready string) error {
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Second}
	tick := time.NewTicker(2 * pollEvery)
	defer tick.Stop()
	for {
		if readyNow(ctx, client, ready) {
			return nil
		}
		select {
		case <-n.done:
			return fmt.Errorf("exited before it was ready: %v", n.exitStatus())
		case <-ctx.Done():
			return fmt.Errorf("not ready at %s after %s: %w", ready, nodeReadyWait, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

func readyNow(ctx context.Context, c *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// exitStatus describes how the process ended; call it after done.
func (n *Node) exitStatus() string {
	if n.exit == nil {
		return "exit status 0"
	}
	return n.exit.Error()
}

// PID is the node's process id.
func (n *Node) PID() int { return n.cmd.Process.Pid }

// LogPath is the file holding the node's stdout and stderr.
func (n *Node) LogPath() string { return n.log }

// Logs returns the node's output so far.
func (n *Node) Logs() string {
	b, err := os.ReadFile(n.log)
	if err != nil {
		n.t.Errorf("%s: %v", n.name, err)
	}
	return string(b)
}

// Signal sends sig to the node, e.g. syscall.SIGHUP to make it reload.
func (n *Node) Signal(sig os.Signal) error {
	if err := n.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("%s: signal %v: %w", n.name, sig, err)
	}
	return nil
}

// Stop sends SIGTERM and waits up to 10 s for the node to exit, then kills
// it. The error says the stop was not clean: the node had already exited,
// exited non-zero, or had to be killed.
func (n *Node) Stop() error {
	already := n.markEnded()
	select {
	case <-n.done:
		if !already {
			return fmt.Errorf("%s: had exited before it was stopped: %s", n.name, n.exitStatus())
		}
		return nil
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(n.grace)
	defer timer.Stop()
	select {
	case <-n.done:
	case <-timer.C:
		_ = n.cmd.Process.Kill()
		<-n.done
		return fmt.Errorf("%s: still running %s after SIGTERM; killed", n.name, n.grace)
	}
	if n.exit != nil {
		return fmt.Errorf("%s: on SIGTERM: %v", n.name, n.exit)
	}
	return nil
}

// Kill ends the node with SIGKILL, as a crash would, and waits for it.
func (n *Node) Kill() {
	n.markEnded()
	_ = n.cmd.Process.Kill()
	<-n.done
}

// markEnded records that the test ends the node; it reports whether that
// had already been done.
func (n *Node) markEnded() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	was := n.ended
	n.ended = true
	return was
}

func (n *Node) cleanup() {
	if err := n.Stop(); err != nil {
		n.t.Error(err)
	}
	if n.t.Failed() {
		n.t.Logf("%s: log %s (end):\n%s", n.name, n.log, tail(n.log, nodeLogShown))
	}
}
