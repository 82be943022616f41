//go:build linux

package natpingbench

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sipfleet/sipfleet/internal/role/natping"
)

// A sink is where the benchmark's keepalives go, and how they are
// counted.
type sink struct {
	name  string
	dst   netip.AddrPort
	open  func(t *testing.T) *natping.RawSender // a sender whose packets reach the sink
	count func(t *testing.T) int                // packets the sink has taken so far
}

// nicSink is a network interface that takes every packet and drops it: a
// veth whose peer is down, in a namespace of the benchmark's own. The
// sender pays for the whole send path down to the device, and nothing
// after it, as with a real NIC; its TX drop counter counts the packets.
func nicSink(t *testing.T) sink {
	ns := "sfnpbench" + strconv.Itoa(os.Getpid())
	ipCmd(t, "netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	ipCmd(t, "-n", ns, "link", "add", "nic0", "type", "veth", "peer", "name", "peer0")
	ipCmd(t, "-n", ns, "link", "set", "nic0", "up")
	ipCmd(t, "-n", ns, "addr", "add", "192.0.2.1/24", "dev", "nic0")
	ipCmd(t, "-n", ns, "route", "add", "198.51.100.0/24", "dev", "nic0")
	// A neighbour entry, so no packet waits for an ARP answer that will
	// not come.
	ipCmd(t, "-n", ns, "neigh", "add", "198.51.100.7", "lladdr", "02:00:00:00:00:07", "dev", "nic0", "nud", "permanent")
	return sink{
		name: "nic (veth, peer down)",
		dst:  netip.MustParseAddrPort("198.51.100.7:40000"),
		open: func(t *testing.T) *natping.RawSender {
			var s *natping.RawSender
			err := inNS(ns, func() (err error) {
				s, err = natping.NewRawSender(netip.MustParseAddrPort("203.0.113.10:5060"), netip.AddrPort{})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		count: func(t *testing.T) int { return linkCounter(t, ns, "nic0", "tx_dropped") },
	}
}

// loopbackSink is a port nobody listens on at 127.0.0.1: the kernel
// receives each packet, finds no socket and counts it (Udp NoPorts). The
// receiving runs on the same two cores, in the sender's system calls.
func loopbackSink(t *testing.T) sink {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	dst := c.LocalAddr().(*net.UDPAddr).AddrPort()
	c.Close()
	return sink{
		name: "loopback (received, no socket)",
		dst:  dst,
		open: func(t *testing.T) *natping.RawSender {
			s, err := natping.NewRawSender(netip.MustParseAddrPort("127.0.0.2:5060"), netip.AddrPort{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		count: noPorts,
	}
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// linkCounter reads one statistic of an interface in ns.
func linkCounter(t *testing.T, ns, dev, stat string) int {
	out, err := exec.Command("ip", "netns", "exec", ns, "cat", "/sys/class/net/"+dev+"/statistics/"+stat).Output()
	if err != nil {
		t.Fatalf("read %s of %s: %v", stat, dev, err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

// inNS runs fn on a thread that has joined ns, so that the sockets fn
// opens live there, and brings the thread back before letting it go.
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

// noPorts reads Udp NoPorts from /proc/net/snmp: datagrams for a port no
// socket has.
func noPorts(t *testing.T) int {
	f, err := os.Open("/proc/net/snmp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, name := range names {
			if name == "NoPorts" {
				v, _ := strconv.Atoi(fields[i])
				return v
			}
		}
	}
	t.Fatal("no Udp NoPorts in /proc/net/snmp")
	return 0
}
