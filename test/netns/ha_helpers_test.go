//go:build linux

package netns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/testenv"
)

// Plumbing for the LB high-availability test (ha_test.go): network
// namespaces joined by bridges, processes run inside them with `ip netns
// exec`, and sockets the test process itself opens inside them.
//
// Every name here starts with "ha" and every namespace with "sfha-", as
// another test of this package builds namespaces of its own at the same
// time.

// Bounds of the test's waits; each is a deadline for a poll, never a
// sleep.
const (
	haPoll       = 50 * time.Millisecond // how often a condition is polled
	haReadyWait  = 20 * time.Second      // a node's /readyz, a VRRP state
	haStopGrace  = 10 * time.Second      // a process's exit after SIGTERM
	haSIPWait    = 5 * time.Second       // one SIP message
	haCmdTimeout = 30 * time.Second      // one ip or sipfleet CLI command
	haLogShown   = 32 << 10              // bytes of a log a failed test prints
)

// haNS is a network namespace created by the test, named sfha-*, whose
// handle (/run/netns/NAME) is held open so that sockets can be made in it.
type haNS struct {
	name string
	fd   int
}

// do runs fn on an OS thread that has entered the namespace. A socket
// keeps the namespace it was created in, so a listener or connection made
// in fn can be used afterwards from any goroutine. fn runs on a goroutine
// of its own so that the caller's thread never changes namespace; if the
// thread cannot be switched back it stays locked, and the Go runtime ends
// it with that goroutine rather than reuse it.
func (n *haNS) do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open own network namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter %s: %w", n.name, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("leave %s: %w", n.name, err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// listenUDP binds a UDP socket inside the namespace.
func (n *haNS) listenUDP(t *testing.T, addr netip.AddrPort) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	err := n.do(func() error {
		var err error
		c, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
		return err
	})
	if err != nil {
		t.Fatalf("%s: bind UDP %s: %v", n.name, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// httpClient is an HTTP client whose connections are made inside the
// namespace: a node's management listener on the namespace's own
// 127.0.0.1 is out of the test process's reach otherwise.
func (n *haNS) httpClient() *http.Client {
	tr := &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var c net.Conn
			err := n.do(func() error {
				var err error
				c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
				return err
			})
			return c, err
		},
	}
	return &http.Client{Transport: tr, Timeout: time.Second}
}

// haNet is the test's set of namespaces.
type haNet struct {
	t  *testing.T
	ip string // the ip command
	ns map[string]*haNS
}

// haLink is one host's port on a bridge of the switch namespace.
type haLink struct {
	host   string // the host's namespace
	ifname string // the interface inside the host
	bridge string // the bridge in the switch namespace
	addr   string // the host's address, CIDR
}

// haBuildNet creates the switch namespace with its bridges and one
// namespace per host, each with its veth ports and addresses, and removes
// them all when the test ends. Namespaces of the same names left by an
// earlier run that was killed are removed first, with what runs in them.
func haBuildNet(t *testing.T, ip, sw string, bridges []string, links []haLink) *haNet {
	t.Helper()
	n := &haNet{t: t, ip: ip, ns: map[string]*haNS{}}
	names := []string{sw}
	for _, l := range links {
		if !slices.Contains(names, l.host) {
			names = append(names, l.host)
		}
	}
	for _, name := range names {
		n.removeStale(name)
	}
	// Registered before any namespace exists, so it runs after every
	// process's cleanup (t.Cleanup is last in, first out): a namespace
	// is deleted once nothing runs in it.
	t.Cleanup(func() {
		for _, name := range names {
			if statNS(name) != nil {
				continue // never created: the test failed before
			}
			if err := n.ipCmd("netns", "del", name); err != nil {
				t.Errorf("delete namespace %s: %v", name, err)
			}
		}
	})
	for _, name := range names {
		n.mustIP("netns", "add", name)
		fd, err := unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatalf("open namespace %s: %v", name, err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		n.ns[name] = &haNS{name: name, fd: fd}
		n.mustIP("-n", name, "link", "set", "lo", "up")
	}
	for _, br := range bridges {
		n.mustIP("-n", sw, "link", "add", br, "type", "bridge")
		n.mustIP("-n", sw, "link", "set", br, "up")
	}
	for _, l := range links {
		// The veth is made in the switch namespace with its peer moved
		// straight into the host's: nothing appears in the namespace the
		// test runs in.
		port := strings.TrimPrefix(l.host, "sfha-") + "-" + l.ifname
		n.mustIP("-n", sw, "link", "add", port, "type", "veth", "peer", "name", l.ifname, "netns", l.host)
		n.mustIP("-n", sw, "link", "set", port, "master", l.bridge, "up")
		n.mustIP("-n", l.host, "addr", "add", l.addr, "dev", l.ifname)
		n.mustIP("-n", l.host, "link", "set", l.ifname, "up")
	}
	return n
}

func statNS(name string) error {
	_, err := os.Stat("/run/netns/" + name)
	return err
}

// removeStale deletes a namespace of ours left by an earlier run (a test
// binary killed before its cleanup), ending first the processes that run
// in it, which that run started.
func (n *haNet) removeStale(name string) {
	if statNS(name) != nil {
		return
	}
	out, _ := exec.Command(n.ip, "netns", "pids", name).Output()
	for _, f := range strings.Fields(string(out)) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if err := n.ipCmd("netns", "del", name); err != nil {
		n.t.Fatalf("remove namespace %s left by an earlier run: %v", name, err)
	}
	n.t.Logf("removed namespace %s left by an earlier run", name)
}

func (n *haNet) ipCmd(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), haCmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, n.ip, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (n *haNet) mustIP(args ...string) {
	n.t.Helper()
	if err := n.ipCmd(args...); err != nil {
		n.t.Fatal(err)
	}
}

// hasAddr reports whether the host's namespace has the IPv4 address ip.
func (n *haNet) hasAddr(host string, ip netip.Addr) bool {
	out, err := exec.Command(n.ip, "-n", host, "-4", "-o", "addr", "show").Output()
	if err != nil {
		n.t.Fatalf("ip -n %s addr show: %v", host, err)
	}
	return bytes.Contains(out, []byte(" "+ip.String()+"/"))
}

// haProc is a process run inside a namespace with `ip netns exec`, which
// execs the program in its own place: the pid is the program's, so a
// signal reaches it and not a wrapper.
type haProc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed once the process has exited
	exit error         // what Wait returned; read after done

	mu    sync.Mutex
	ended bool // the test ended it on purpose
}

// haStart starts argv inside namespace ns, output to a log file. The
// kernel kills it if the test binary dies (Pdeathsig); when the test ends
// it gets SIGTERM, then SIGKILL after haStopGrace, and a failed test
// prints the end of its log.
func haStart(t *testing.T, ip, ns, name string, argv ...string) *haProc {
	t.Helper()
	p := &haProc{t: t, name: name, log: filepath.Join(t.TempDir(), name+".log"), done: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(ip, append([]string{"netns", "exec", ns}, argv...)...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("%s: start: %v", name, err)
	}
	go func() {
		p.exit = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(p.cleanup)
	return p
}

// exited reports whether the process has ended.
func (p *haProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *haProc) kill() {
	p.markEnded()
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop sends SIGTERM and waits for the exit, killing the process after
// haStopGrace.
func (p *haProc) stop() error {
	already := p.markEnded()
	if p.exited() {
		if !already {
			return fmt.Errorf("%s: exited before the test stopped it: %v", p.name, p.exit)
		}
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(haStopGrace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s: still running %s after SIGTERM; killed", p.name, haStopGrace)
	}
}

func (p *haProc) markEnded() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	was := p.ended
	p.ended = true
	return was
}

func (p *haProc) cleanup() {
	if err := p.stop(); err != nil {
		p.t.Error(err)
	}
	if p.t.Failed() {
		p.t.Logf("%s: log %s (end):\n%s", p.name, p.log, haTail(p.log))
	}
}

// logs is the process's output so far.
func (p *haProc) logs() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func haTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > haLogShown {
		b = b[len(b)-haLogShown:]
	}
	return string(b)
}

// haWaitReady polls a node's /readyz inside its namespace until it
// answers 200; the node exiting first fails the test at once.
func haWaitReady(t *testing.T, ns *haNS, p *haProc, url string) {
	t.Helper()
	c := ns.httpClient()
	pollUntil(t, haReadyWait, haPoll, p.name+" ready at "+url, func() bool {
		if p.exited() {
			t.Fatalf("%s exited before it was ready: %v\n%s", p.name, p.exit, haTail(p.log))
		}
		resp, err := c.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// haSipfleet runs a sipfleet CLI command (outside any namespace: the
// database commands only touch the SQLite file) to its end.
func haSipfleet(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), haCmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("sipfleet %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// haDomain is the SIP domain of the test's fleet.
const haDomain = "example.com"

// haPhone is a hand-driven UA on a UDP socket in the phones' namespace,
// made by the test process itself (haNS.do): the test reads and writes
// every message, with no program in between.
type haPhone struct {
	t       *testing.T
	user    string
	c       *net.UDPConn
	addr    netip.AddrPort
	contact string
	buf     []byte
	// REGISTER's Call-ID and CSeq (RFC 3261 §10.2.4: one Call-ID per UA).
	regCallID string
	regCSeq   int
	seq       int // for unique branches, tags and Call-IDs
}

func haNewPhone(t *testing.T, ns *haNS, ip netip.Addr, user string) *haPhone {
	t.Helper()
	c := ns.listenUDP(t, netip.AddrPortFrom(ip, 0))
	addr := c.LocalAddr().(*net.UDPAddr).AddrPort()
	return &haPhone{t: t, user: user, c: c, addr: addr, buf: make([]byte, 65535),
		contact:   fmt.Sprintf("sip:%s@%s", user, addr),
		regCallID: fmt.Sprintf("reg-%s-%d@%s", user, addr.Port(), ip)}
}

// next returns a token unique within the phone, for branches and tags.
func (p *haPhone) next(what string) string {
	p.seq++
	return fmt.Sprintf("%s-%s-%d-%d", what, p.user, p.addr.Port(), p.seq)
}

func (p *haPhone) send(to netip.AddrPort, msg []byte) {
	p.t.Helper()
	if _, err := p.c.WriteToUDPAddrPort(msg, to); err != nil {
		p.t.Fatalf("%s: send to %s: %v", p.user, to, err)
	}
}

// recv returns the next SIP message, or an error matching
// os.ErrDeadlineExceeded when none comes before deadline.
func (p *haPhone) recv(deadline time.Time) (*sip.Msg, netip.AddrPort, error) {
	if err := p.c.SetReadDeadline(deadline); err != nil {
		return nil, netip.AddrPort{}, err
	}
	n, from, err := p.c.ReadFromUDPAddrPort(p.buf)
	if err != nil {
		return nil, from, err
	}
	m := new(sip.Msg)
	if err := m.Parse(bytes.Clone(p.buf[:n])); err != nil {
		return nil, from, fmt.Errorf("%s: unparsable message from %s: %w\n%s", p.user, from, err, p.buf[:n])
	}
	return m, from, nil
}

// expect returns the next message that match accepts, logging and
// skipping others (100 Trying, a retransmission), and fails the test when
// none comes within haSIPWait.
func (p *haPhone) expect(what string, match func(*sip.Msg) bool) (*sip.Msg, netip.AddrPort) {
	p.t.Helper()
	deadline := time.Now().Add(haSIPWait)
	for {
		m, from, err := p.recv(deadline)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			p.t.Fatalf("%s: no %s within %s", p.user, what, haSIPWait)
		}
		if err != nil {
			p.t.Fatal(err)
		}
		if match(m) {
			return m, from
		}
		p.t.Logf("%s: skipped while waiting for %s: %s", p.user, what, m.StartLine())
	}
}

// expectRequest waits for a request of the method and Call-ID.
func (p *haPhone) expectRequest(method, callID string) (*sip.Msg, netip.AddrPort) {
	p.t.Helper()
	return p.expect(method+" of "+callID, func(m *sip.Msg) bool {
		return m.IsRequest() && string(m.MethodBytes()) == method && string(m.CallID()) == callID
	})
}

// expectResponse waits for a response with the status code to the
// request of the Call-ID, CSeq number and method.
func (p *haPhone) expectResponse(code int, callID string, cseq int, method string) *sip.Msg {
	p.t.Helper()
	m, _ := p.expect(fmt.Sprintf("%d to %s %d %s", code, callID, cseq, method), func(m *sip.Msg) bool {
		seq, meth, err := m.CSeq()
		return err == nil && !m.IsRequest() && m.StatusCode() == code && string(m.CallID()) == callID &&
			int(seq) == cseq && string(meth) == method
	})
	return m
}

// register binds the phone's contact through the LB for an hour and wants
// a 200 (the registrar does not authenticate in this test).
func (p *haPhone) register(lb netip.AddrPort) {
	p.t.Helper()
	p.regCSeq++
	var b strings.Builder
	fmt.Fprintf(&b, "REGISTER sip:%s SIP/2.0\n", haDomain)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\n", p.addr, p.next("reg"))
	fmt.Fprintf(&b, "Max-Forwards: 70\nFrom: <sip:%[1]s@%[2]s>;tag=%[3]s\nTo: <sip:%[1]s@%[2]s>\n", p.user, haDomain, p.next("tag"))
	fmt.Fprintf(&b, "Call-ID: %s\nCSeq: %d REGISTER\n", p.regCallID, p.regCSeq)
	fmt.Fprintf(&b, "Contact: <%s>\nExpires: 3600\nContent-Length: 0\n\n", p.contact)
	p.send(lb, testenv.CRLF(b.String()))
	p.expectResponse(200, p.regCallID, p.regCSeq, "REGISTER")
}

// options sends an OPTIONS for the LB itself (no user part: the LB
// answers it, as it does a monitoring system's keepalive) with callID.
func (p *haPhone) options(to netip.AddrPort, callID string) {
	p.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "OPTIONS sip:%s SIP/2.0\n", to)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\n", p.addr, callID)
	fmt.Fprintf(&b, "Max-Forwards: 70\nFrom: <sip:%s@%s>;tag=%s\nTo: <sip:%s>\n", p.user, haDomain, p.next("tag"), to)
	fmt.Fprintf(&b, "Call-ID: %s\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n", callID)
	p.send(to, testenv.CRLF(b.String()))
}

// reply sends a response to req as RFC 3261 §8.2.6.2 builds it, to the
// address the request came from.
func (p *haPhone) reply(to netip.AddrPort, req *sip.Msg, code int, toTag string, extra ...string) {
	p.t.Helper()
	b := sip.AppendResponseHead(nil, req, code, sip.ReasonPhrase(code), []byte(toTag))
	for _, h := range extra {
		name, value, _ := strings.Cut(h, ": ")
		b = sip.AppendHeader(b, name, []byte(value))
	}
	p.send(to, sip.AppendBody(b, nil))
}

// haDialog is an established call as its caller sees it.
type haDialog struct {
	caller, callee *haPhone
	callID         string
	fromTag, toTag string
	target         string   // the callee's Contact: the Request-URI of in-dialog requests
	callerRoute    []string // the caller's route set: the 2xx's Record-Route reversed
	recordRoute    []string // the Record-Route as the callee got it, echoed in its answers
	cseq           int      // the caller's last CSeq
}

// haCall sets up a call from a to b through the LB at vip: INVITE, 180,
// 200, ACK, each checked on arrival.
func haCall(t *testing.T, a, b *haPhone, vip netip.AddrPort, callID string) *haDialog {
	t.Helper()
	d := &haDialog{caller: a, callee: b, callID: callID, fromTag: a.next("from"), toTag: b.next("to"), cseq: 1}
	var m strings.Builder
	fmt.Fprintf(&m, "INVITE sip:%s@%s SIP/2.0\n", b.user, haDomain)
	fmt.Fprintf(&m, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\n", a.addr, a.next("inv"))
	fmt.Fprintf(&m, "Max-Forwards: 70\nFrom: <sip:%s@%s>;tag=%s\nTo: <sip:%s@%s>\n", a.user, haDomain, d.fromTag, b.user, haDomain)
	fmt.Fprintf(&m, "Call-ID: %s\nCSeq: 1 INVITE\nContact: <%s>\nContent-Length: 0\n\n", callID, a.contact)
	a.send(vip, testenv.CRLF(m.String()))

	inv, from := b.expectRequest("INVITE", callID)
	if from != vip {
		t.Errorf("INVITE %s reached %s from %s, want the VIP %s", callID, b.user, from, vip)
	}
	d.recordRoute = haRoutes(t, inv, sip.HdrRecordRoute)
	rr := "Record-Route: " + strings.Join(d.recordRoute, ", ")
	contact := "Contact: <" + b.contact + ">"
	b.reply(from, inv, 180, d.toTag, rr, contact)
	a.expectResponse(180, callID, 1, "INVITE")
	b.reply(from, inv, 200, d.toTag, rr, contact)
	ok := a.expectResponse(200, callID, 1, "INVITE")
	d.callerRoute = haReversed(haRoutes(t, ok, sip.HdrRecordRoute))
	d.target = haContact(t, ok)
	d.ack(vip)
	return d
}

// request sends an in-dialog request from the caller along its route set
// (the LB's public Record-Route entry first, so it goes to the VIP).
func (d *haDialog) request(vip netip.AddrPort, method string, cseq int) {
	a, b := d.caller, d.callee
	var m strings.Builder
	fmt.Fprintf(&m, "%s %s SIP/2.0\n", method, d.target)
	fmt.Fprintf(&m, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\n", a.addr, a.next(strings.ToLower(method)))
	fmt.Fprintf(&m, "Max-Forwards: 70\nFrom: <sip:%s@%s>;tag=%s\nTo: <sip:%s@%s>;tag=%s\n", a.user, haDomain, d.fromTag, b.user, haDomain, d.toTag)
	fmt.Fprintf(&m, "Call-ID: %s\nCSeq: %d %s\n", d.callID, cseq, method)
	fmt.Fprintf(&m, "Route: %s\n", strings.Join(d.callerRoute, ", "))
	if method == "INVITE" {
		fmt.Fprintf(&m, "Contact: <%s>\n", a.contact)
	}
	m.WriteString("Content-Length: 0\n\n")
	a.send(vip, testenv.CRLF(m.String()))
}

// ack acknowledges the last INVITE's 2xx and checks that the callee got it.
func (d *haDialog) ack(vip netip.AddrPort) {
	d.caller.t.Helper()
	d.request(vip, "ACK", d.cseq)
	ack, _ := d.callee.expectRequest("ACK", d.callID)
	if seq, _, _ := ack.CSeq(); int(seq) != d.cseq {
		d.caller.t.Errorf("ACK of %s reached %s with CSeq %d, want %d", d.callID, d.callee.user, seq, d.cseq)
	}
}

// reinvite sends a re-INVITE, has the callee answer it and acknowledges it.
func (d *haDialog) reinvite(vip netip.AddrPort) {
	t := d.caller.t
	t.Helper()
	d.cseq++
	d.request(vip, "INVITE", d.cseq)
	inv, from := d.callee.expectRequest("INVITE", d.callID)
	if got := string(inv.ToTag()); got != d.toTag {
		t.Fatalf("re-INVITE reached %s with To tag %q, want %q: not the dialog's", d.callee.user, got, d.toTag)
	}
	d.callee.reply(from, inv, 200, "", "Record-Route: "+strings.Join(d.recordRoute, ", "), "Contact: <"+d.callee.contact+">")
	d.caller.expectResponse(200, d.callID, d.cseq, "INVITE")
	d.ack(vip)
}

// bye ends the call from the caller's side.
func (d *haDialog) bye(vip netip.AddrPort) {
	d.caller.t.Helper()
	d.cseq++
	d.request(vip, "BYE", d.cseq)
	bye, from := d.callee.expectRequest("BYE", d.callID)
	d.callee.reply(from, bye, 200, "")
	d.caller.expectResponse(200, d.callID, d.cseq, "BYE")
}

// haRoutes lists the name-addrs of a Route-like header in order, whether
// they came in one header line or several.
func haRoutes(t *testing.T, m *sip.Msg, id sip.HdrID) []string {
	t.Helper()
	var out []string
	if err := m.NameAddrs(id, func(na sip.NameAddr) bool {
		out = append(out, string(na.Raw))
		return true
	}); err != nil {
		t.Fatalf("%v: %v", id, err)
	}
	return out
}

// haContact is the URI of a message's first Contact.
func haContact(t *testing.T, m *sip.Msg) string {
	t.Helper()
	var uri string
	if err := m.NameAddrs(sip.HdrContact, func(na sip.NameAddr) bool {
		uri = string(na.URI.Raw)
		return false
	}); err != nil || uri == "" {
		t.Fatalf("no Contact in %s (%v)", m.StartLine(), err)
	}
	return uri
}

func haReversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
