package transport

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkUDPEcho's clients run in a child process, this test binary
// started with echoClientEnv set (TestMain then runs echoClientMain instead
// of the tests), so that the parent's CPU time is the server's alone.

const (
	echoClients   = 8
	echoWindow    = 4 // 32 in flight fits the default 208 KiB socket buffer
	echoTimeout   = 200 * time.Millisecond
	echoClientEnv = "SIPFLEET_ECHO_CLIENTS" // an echoSpec: run as the client process
)

// echoSpec is the client process's work: quota packets to dst, in windows
// (rate 0) or paced at rate packets a second.
type echoSpec struct {
	dst   netip.AddrPort
	quota int
	rate  int
}

func (s echoSpec) String() string { return fmt.Sprintf("%s %d %d", s.dst, s.quota, s.rate) }

func parseEchoSpec(v string) (echoSpec, error) {
	var s echoSpec
	var dst string
	if _, err := fmt.Sscan(v, &dst, &s.quota, &s.rate); err != nil {
		return s, fmt.Errorf("parse echo spec %q: %w", v, err)
	}
	var err error
	s.dst, err = netip.ParseAddrPort(dst)
	return s, err
}

// echoProcess is the client process, started and ready to go.
type echoProcess struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startEchoClients(b *testing.B, spec echoSpec) *echoProcess {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), echoClientEnv+"="+spec.String())
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &echoProcess{cmd: cmd, in: in, out: bufio.NewReader(out)}
	if line, err := p.out.ReadString('\n'); line != "ready\n" {
		p.cmd.Wait()
		b.Fatalf("echo clients: %q, %v", line, err)
	}
	return p
}

// run lets the clients go and returns how many replies they got and the
// CPU time they used getting them.
func (p *echoProcess) run(b *testing.B) (int, time.Duration) {
	fmt.Fprintln(p.in, "go")
	p.in.Close()
	var received int
	var cpu time.Duration
	_, err := fmt.Fscan(p.out, &received, &cpu)
	if werr := p.cmd.Wait(); err != nil || werr != nil {
		b.Fatalf("echo clients: %v, %v", err, werr)
	}
	return received, cpu
}

// echoClientMain is the client process: echoClients sockets that share
// the quota once the parent says go, then report "received cpu".
func echoClientMain(v string) int {
	spec, err := parseEchoSpec(v)
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo clients:", err)
		return 2
	}
	msg, err := os.ReadFile("testdata/invite.sip")
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo clients:", err)
		return 2
	}
	conns := make([]*net.UDPConn, echoClients)
	for i := range conns {
		if conns[i], err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(anyPort(spec.dst.Addr()))); err != nil {
			fmt.Fprintln(os.Stderr, "echo clients:", err)
			return 2
		}
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	cpu0 := processCPU()
	received := runEchoClients(conns, spec, msg)
	fmt.Println(received, int64(processCPU()-cpu0))
	return 0
}

func runEchoClients(conns []*net.UDPConn, spec echoSpec, msg []byte) int {
	var received atomic.Int64
	var wg sync.WaitGroup
	for i, c := range conns {
		quota := spec.quota / len(conns)
		if i < spec.quota%len(conns) {
			quota++
		}
		wg.Go(func() {
			if spec.rate == 0 {
				received.Add(int64(windowClient(c, spec.dst, msg, quota)))
				return
			}
			rate := float64(spec.rate) / float64(len(conns))
			offset := time.Duration(float64(time.Second) / rate * float64(i) / float64(len(conns)))
			received.Add(int64(pacedClient(c, spec.dst, msg, quota, rate, offset)))
		})
	}
	wg.Wait()
	return int(received.Load())
}

// windowClient keeps up to echoWindow requests in flight until quota were
// sent, and returns how many replies came back. A timeout writes off what
// is in flight and carries on, so one drop does not end the run.
func windowClient(c *net.UDPConn, dst netip.AddrPort, msg []byte, quota int) int {
	buf := make([]byte, 2048)
	sent, got, inflight := 0, 0, 0
	for sent < quota || inflight > 0 {
		for ; inflight < echoWindow && sent < quota; sent, inflight = sent+1, inflight+1 {
			c.WriteToUDPAddrPort(msg, dst)
		}
		c.SetReadDeadline(time.Now().Add(echoTimeout))
		if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
			inflight = 0 // lost
			continue
		}
		got++
		inflight--
	}
	return got
}

// pacedClient sends quota requests at rate a second, evenly spaced after
// offset, while another goroutine counts the replies. The pacing is the
// load under test: a ticker wakes it every paceTick and it sends what is
// due by then, so a late wake-up catches up rather than lowering the rate.
func pacedClient(c *net.UDPConn, dst netip.AddrPort, msg []byte, quota int, rate float64, offset time.Duration) int {
	got := make(chan int, 1)
	go func() { got <- countReplies(c, quota) }()
	<-time.After(offset)
	interval := time.Duration(float64(time.Second) / rate)
	tick := time.NewTicker(paceTick)
	defer tick.Stop()
	start := time.Now()
	for sent := 0; sent < quota; <-tick.C {
		for due := min(int(time.Since(start)/interval)+1, quota); sent < due; sent++ {
			c.WriteToUDPAddrPort(msg, dst)
		}
	}
	return <-got
}

// paceTick is how often pacedClient sends what is due.
const paceTick = 200 * time.Microsecond

// countReplies reads until quota replies came or none came for echoTimeout.
func countReplies(c *net.UDPConn, quota int) int {
	buf := make([]byte, 2048)
	n := 0
	for ; n < quota; n++ {
		c.SetReadDeadline(time.Now().Add(echoTimeout))
		if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
			break
		}
	}
	return n
}
