//go:build linux

package netns

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// nsPrefix starts the name of every namespace this package makes, with
// the test process's pid after it, so concurrent runs never collide and
// a run can tell which leftovers belong to dead ones.
const nsPrefix = "sfnat"

// lab is the set of network namespaces one test builds; every one is
// deleted when the test ends, whatever its outcome, which also removes
// their interfaces and iptables rules.
type lab struct {
	t      *testing.T
	prefix string
	made   []string
}

func newLab(t *testing.T) *lab {
	t.Helper()
	sweepStale(t)
	l := &lab{t: t, prefix: nsPrefix + strconv.Itoa(os.Getpid()) + "-"}
	t.Cleanup(l.teardown)
	return l
}

// sweepStale deletes the namespaces of earlier runs whose process is
// gone (a run killed before its cleanup).
func sweepStale(t *testing.T) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatalf("ip netns list: %v", err)
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest, ok := strings.CutPrefix(name, nsPrefix)
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(strings.SplitN(rest, "-", 2)[0])
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
			continue
		}
		_ = exec.Command("ip", "netns", "del", name).Run()
	}
}

func (l *lab) teardown() {
	for i := len(l.made) - 1; i >= 0; i-- {
		if out, err := exec.Command("ip", "netns", "del", l.made[i]).CombinedOutput(); err != nil {
			l.t.Errorf("ip netns del %s: %v: %s", l.made[i], err, out)
		}
	}
}

// ns creates a namespace with its loopback up and returns its full name.
func (l *lab) ns(short string) string {
	l.t.Helper()
	name := l.prefix + short
	l.ip("netns", "add", name)
	l.made = append(l.made, name)
	l.ip("-n", name, "link", "set", "lo", "up")
	return name
}

// ip runs the ip command; a failure fails the test.
func (l *lab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// inside runs a command inside ns and returns its output; a failure
// fails t.
func inside(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("in %s: %s: %v: %s", ns, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// sysctl sets kernel parameters of ns ("key=value").
func (l *lab) sysctl(ns string, settings ...string) {
	l.t.Helper()
	inside(l.t, ns, append([]string{"sysctl", "-q", "-w"}, settings...)...)
}

// bridge makes ns a switch: a bridge br0 that forwards at once (no STP,
// no forwarding delay).
func (l *lab) bridge(ns string) {
	l.t.Helper()
	l.ip("-n", ns, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0")
	l.ip("-n", ns, "link", "set", "br0", "up")
}

// wire joins two namespaces with a veth pair, created straight inside
// them so no name is ever taken in the host's namespace, and brings both
// ends up.
func (l *lab) wire(ns1, if1, ns2, if2 string) {
	l.t.Helper()
	l.ip("link", "add", if1, "netns", ns1, "type", "veth", "peer", "name", if2, "netns", ns2)
	l.ip("-n", ns1, "link", "set", if1, "up")
	l.ip("-n", ns2, "link", "set", if2, "up")
}

// plug connects host to the switch sw as interface ifname with address
// cidr; the switch's port is named port.
func (l *lab) plug(sw, port, host, ifname, cidr string) {
	l.t.Helper()
	l.wire(host, ifname, sw, port)
	l.ip("-n", sw, "link", "set", port, "master", "br0")
	l.ip("-n", host, "addr", "add", cidr, "dev", ifname)
}

// inNS runs fn on an OS thread that has joined the network namespace ns:
// the sockets fn opens live in ns for good, and may be used from any
// goroutine afterwards. The thread goes back to its own namespace before
// it is unlocked. It must not die instead: a process started with
// Pdeathsig from that thread earlier, as every process here is, would
// be killed with it. If it cannot go back, it stays locked, and dies with
// the goroutine; the processes it started, if any, with it.
func inNS(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer home.Close()
		target, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		err = fn()
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// httpIn is an HTTP client whose connections are made inside ns, for the
// admin API of a node running there (on the namespace's own 127.0.0.1).
func httpIn(ns string) *http.Client {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := inNS(ns, func() (err error) {
			// One literal address: the Dialer connects on this goroutine,
			// so the socket is made in ns.
			c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
	return &http.Client{Timeout: 2 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true, DialContext: dial}}
}

// listenUDPIn opens a UDP socket on addr inside ns.
func listenUDPIn(t *testing.T, ns, addr string) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	err := inNS(ns, func() (err error) {
		ua, err := net.ResolveUDPAddr("udp4", addr)
		if err == nil {
			c, err = net.ListenUDP("udp4", ua)
		}
		return err
	})
	if err != nil {
		t.Fatalf("listen %s in %s: %v", addr, ns, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// pollUntil calls check every interval until it returns true, failing the
// test if it has not within limit; what names the awaited state.
func pollUntil(t *testing.T, limit, every time.Duration, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", limit, what)
		}
		<-tick.C
	}
}
