package testenv

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The node tests start this test binary as a stand-in node (see
// helperEnv), so they check the runner without a built sipfleet.

// helperNode starts the stand-in in mode on a free loopback port.
func helperNode(t *testing.T, mode string) (*Node, error) {
	t.Helper()
	t.Setenv(helperEnv, mode)
	ip := LoopbackIP(t, 51)
	addr := AddrPort(ip, FreeTCPPort(t, ip))
	return launchNode(t, os.Args[0], fmt.Sprintf("http://%s/readyz", addr), mode, addr.String())
}

func TestNodeReadyAndStop(t *testing.T) {
	n, err := helperNode(t, "serve")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if logs := n.Logs(); !strings.Contains(logs, "helper: serving") || !strings.Contains(logs, "helper: stopping") {
		t.Errorf("log %s lacks the node's output:\n%s", n.LogPath(), logs)
	}
}

func TestNodeExitsBeforeReady(t *testing.T) {
	t.Setenv(helperEnv, "exit")
	_, err := launchNode(t, os.Args[0], "http://127.0.0.1:9/readyz", "exit", "3")
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready: exit status 3") {
		t.Errorf("got %v; want an error saying it exited with status 3", err)
	}
}

func TestNodeStubbornIsKilled(t *testing.T) {
	n, err := helperNode(t, "stubborn")
	if err != nil {
		t.Fatal(err)
	}
	n.grace = 100 * time.Millisecond
	if err := n.Stop(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop on a node ignoring SIGTERM: %v; want an error saying it was killed", err)
	}
}

func TestNodeCrashIsReported(t *testing.T) {
	n, err := helperNode(t, "crash")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	<-n.done
	if err := n.Stop(); err == nil || !strings.Contains(err.Error(), "had exited before it was stopped: exit status 3") {
		t.Errorf("Stop after a crash: %v; want an error naming the crash", err)
	}
}

func TestNodeKill(t *testing.T) {
	n, err := helperNode(t, "serve")
	if err != nil {
		t.Fatal(err)
	}
	n.Kill()
	if err := n.Stop(); err != nil {
		t.Errorf("Stop after Kill: %v; want nil, the test asked for the end", err)
	}
}

func TestCheckReadyURL(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:9060/readyz", "http://127.0.0.9:1/readyz", "http://[::1]:9060/readyz"} {
		if err := checkReadyURL(ok); err != nil {
			t.Errorf("checkReadyURL(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"http://192.0.2.1:9060/readyz", "http://localhost:9060/readyz", "ftp://127.0.0.1/", "::"} {
		if err := checkReadyURL(bad); err == nil {
			t.Errorf("checkReadyURL(%q) accepted it", bad)
		}
	}
}
