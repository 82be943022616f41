//go:build linux

package netns

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/store/sqlstore"
	"github.com/sipfleet/sipfleet/internal/testenv"
)

// The lab's addresses (see the package doc) and timings.
const (
	domain   = "example.com"
	lbPub    = "203.0.113.10"
	natPub   = "203.0.113.2"
	peerPub  = "203.0.113.20"
	gwPub    = "203.0.113.1"
	lbPriv   = "10.0.0.10"
	gwLAN    = "10.0.0.1"
	srvLAN   = "10.0.0.2"
	natLAN   = "192.168.1.1"
	phoneLAN = "192.168.1.100"

	regPort   = 5070
	proxyPort = 5080

	// conntrackTimeout is the NAT's UDP binding lifetime: seconds, not
	// the usual minutes, so the test shows both outcomes quickly.
	conntrackTimeout = 5 * time.Second
	// pingInterval is the pingers' interval, well inside the timeout.
	pingInterval = 2 * time.Second
	// extraPhones register besides alice, from their own ports, so the
	// two pingers have bindings to share.
	extraPhones = 6
)

var (
	lbPublic  = netip.MustParseAddrPort(lbPub + ":5060")
	lbPrivate = netip.MustParseAddrPort(lbPriv + ":5060")
)

// world is the lab's namespaces by role.
type world struct {
	l                                      *lab
	pubSw, lanSw, lb, nat, phone, peer, gw string
	srv                                    string
}

// TestRealNAT is issue 6's proof, in four steps over one lab:
//  1. the phone registers through the NAT and the LB; the stored binding
//     has the NAT's public address as received and the LB in its path;
//  2. with no pinger, once the NAT has forgotten the binding, a request
//     to the phone through the LB dies at the NAT;
//  3. with two pingers on (shards 0 and 1 of 2), after three conntrack
//     timeouts the binding is still open: a request through the LB
//     reaches the phone, and a call from the second public host through
//     the LB, the proxy and the LB again completes;
//  4. the keepalives captured at the NAT all come from the LB's public
//     address, every binding gets them, and none twice in an interval;
//     with OPTIONS for keepalives, the phones' answers go to the LB, which
//     counts and drops them.
func TestRealNAT(t *testing.T) {
	testenv.SkipIfShort(t)
	testenv.RequireRoot(t, "network namespaces, iptables and raw sockets")
	for _, tool := range []string{"ip", "iptables", "sipp", "tshark"} {
		testenv.RequireBinary(t, tool)
	}
	bin := testenv.BuildSipfleet(t)
	w := buildWorld(t)
	f := startFleet(t, w, bin)

	if !t.Run("1 register through the NAT", f.stepRegister) {
		t.FailNow()
	}
	if !t.Run("2 no pinger: the binding expires and requests die at the NAT", f.stepNoPinger) {
		t.FailNow()
	}
	f.pingerOn(t)
	if !t.Run("3 pinger on: the binding stays open", f.stepBindingOpen) {
		t.FailNow()
	}
	t.Run("3 pinger on: a call from the internet reaches the phone", f.stepCall)
	t.Run("4 keepalives come from the LB, once per interval per binding", f.stepCapture)
	t.Run("4 OPTIONS keepalives: the LB absorbs the phones' answers", f.stepOptions)
}

// buildWorld builds the network of the package doc.
func buildWorld(t *testing.T) *world {
	l := newLab(t)
	w := &world{l: l}
	w.pubSw, w.lanSw = l.ns("pub"), l.ns("lan")
	l.bridge(w.pubSw)
	l.bridge(w.lanSw)
	w.lb, w.nat, w.phone, w.peer, w.gw, w.srv = l.ns("lb"), l.ns("nat"), l.ns("phone"), l.ns("peer"), l.ns("gw"), l.ns("srv")
	l.plug(w.pubSw, "lb", w.lb, "pub", lbPub+"/24")
	l.plug(w.pubSw, "nat", w.nat, "wan", natPub+"/24")
	l.plug(w.pubSw, "peer", w.peer, "eth0", peerPub+"/24")
	l.plug(w.pubSw, "gw", w.gw, "pub", gwPub+"/24")
	l.plug(w.lanSw, "lb", w.lb, "lan", lbPriv+"/24")
	l.plug(w.lanSw, "gw", w.gw, "lan", gwLAN+"/24")
	l.plug(w.lanSw, "srv", w.srv, "eth0", srvLAN+"/24")
	l.wire(w.nat, "lan", w.phone, "eth0")
	l.ip("-n", w.nat, "addr", "add", natLAN+"/24", "dev", "lan")
	l.ip("-n", w.phone, "addr", "add", phoneLAN+"/24", "dev", "eth0")
	l.ip("-n", w.phone, "route", "add", "default", "via", natLAN)
	l.ip("-n", w.srv, "route", "add", "default", "via", gwLAN)
	// gw routes the LAN to the internet. The pingers' packets carry the
	// LB's address as their source; with reverse-path filtering off (a
	// new namespace's default, set here all the same) gw forwards them.
	l.sysctl(w.gw, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
		"net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.lan.rp_filter=0")
	// nat is a home router. The INPUT rule only counts: what the LB sends
	// to a binding the NAT no longer has ends there, at the router itself,
	// instead of being forwarded to the phone.
	l.sysctl(w.nat, "net.ipv4.ip_forward=1")
	inside(t, w.nat, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE")
	inside(t, w.nat, "iptables", "-A", "INPUT", "-i", "wan", "-p", "udp", "-s", lbPub)
	// Set after the NAT rule: conntrack exists in a namespace once used.
	secs := strconv.Itoa(int(conntrackTimeout.Seconds()))
	l.sysctl(w.nat, "net.netfilter.nf_conntrack_udp_timeout="+secs, "net.netfilter.nf_conntrack_udp_timeout_stream="+secs)
	return w
}

// fleet is the running sipfleet nodes and what the steps share.
type fleet struct {
	w       *world
	bin     string
	dsn     string
	db      store.Store
	proxyOK error // nil when the proxy role runs; else why not

	alice   *phone    // alice's socket on the phone (port 5060), when open
	extra   []*phone  // the other bindings behind the NAT
	pingers []*proc   // the two NAT pingers, shards 0 and 1 of 2
	tshark  *proc     // capturing keepalives on the NAT's wan side
	capture string    // its output file
	since   time.Time // when the binding kept open was made
	probes  int       // requests sent to the phone, for unique ids

	pingStart time.Time      // when the pingers were started
	stale     netip.AddrPort // alice's received address of step 1, gone from the NAT
}

func startFleet(t *testing.T, w *world, bin string) *fleet {
	f := &fleet{w: w, bin: bin}
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "location.db")
	f.dsn = dsn
	db, err := sqlstore.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.db = db
	list := testenv.WriteFile(t, "dispatcher.list",
		fmt.Sprintf("1 sip:%s:%d 0 0\n2 sip:%s:%d 0 0\n", srvLAN, proxyPort, srvLAN, regPort))
	f.node(t, "lb", w.lb, "127.0.0.1:9060", fmt.Sprintf(`sip:
  t1: 2s
listeners:
  - name: public-udp
    side: public
    listen: %s
  - name: private-udp
    side: private
    listen: %s
lb:
  dispatcher_list: %s
  algorithm: round-robin
  path_received: nat
  pike:
    threshold: 0
  probe:
    mode: "off"
`, lbPublic, lbPrivate, list))
	f.node(t, "registrar", w.srv, "127.0.0.1:9061", fmt.Sprintf(`listeners:
  - name: udp
    side: private
    listen: %s:%d
registrar:
  db: %q
  domain: %s
  auth: false
`, srvLAN, regPort, dsn, domain))
	// The proxy is the last piece of the seed's path; this test checks
	// that it runs before relying on it (step 3's call).
	_, f.proxyOK = f.tryNode(t, "proxy", w.srv, "127.0.0.1:9062", fmt.Sprintf(`sip:
  t1: 2s
listeners:
  - name: udp
    side: private
    listen: %s:%d
proxy:
  db: %q
  domain: %s
  auth: false
  edges: [%s]
`, srvLAN, proxyPort, dsn, domain, lbPrivate))
	if f.proxyOK != nil {
		t.Logf("the proxy does not run; step 3's call will be skipped: %v", f.proxyOK)
	}
	return f
}

// node starts a sipfleet node whose config is cfg with a log level and
// an admin listener in front, and waits until it is ready.
func (f *fleet) node(t *testing.T, name, ns, admin, cfg string) *proc {
	t.Helper()
	p, err := f.tryNode(t, name, ns, admin, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fleet) tryNode(t *testing.T, name, ns, admin, cfg string) (*proc, error) {
	t.Helper()
	path := testenv.WriteFile(t, name+".yaml", fmt.Sprintf("log:\n  level: debug\nadmin:\n  listen: %s\n%s", admin, cfg))
	// `sipfleet run` runs every role of its file, here the one: the same
	// as `sipfleet lb|registrar|proxy|natping --config`.
	return startNode(t, name, ns, f.bin, admin, "run", "--config", path)
}

// sipp runs one SIPp call in ns and returns it; args follow the
// scenario's own.
func sipp(t *testing.T, name, ns, scen string, args ...string) *proc {
	t.Helper()
	dir := t.TempDir()
	full := append([]string{"sipp", "-sf", scenario(t, scen), "-t", "u1", "-m", "1",
		"-timeout", "20s", "-recv_timeout", "10000", "-nostdin", "-trace_err", "-trace_msg"}, args...)
	return start(t, name, ns, dir, full...)
}

// waitSipp waits for a SIPp run to end and requires its call to have
// succeeded (exit status 0), showing its error and message logs if not.
func waitSipp(t *testing.T, p *proc) {
	t.Helper()
	if err := p.wait(40 * time.Second); err != nil {
		files, _ := filepath.Glob(filepath.Join(p.cmd.Dir, "*.log"))
		var logs strings.Builder
		for _, file := range files {
			fmt.Fprintf(&logs, "--- %s\n%s\n", filepath.Base(file), tail(file, logShown))
		}
		t.Fatalf("%s: %v\n%s%s", p.name, err, p.logs(), logs.String())
	}
}

// aliceBinding reads alice's one binding from the location table.
func (f *fleet) aliceBinding(t *testing.T) store.Binding {
	t.Helper()
	bs, err := f.db.Bindings(context.Background(), store.AOR{User: "alice", Domain: domain}, time.Now())
	if err != nil || len(bs) != 1 {
		t.Fatalf("alice's bindings: %v, %v; want one", bs, err)
	}
	return bs[0]
}

// registerAlice registers alice with SIPp from the phone's port 5060 and
// returns her binding, checked: received is the NAT's public side, and
// the path the LB's private socket with that received.
func (f *fleet) registerAlice(t *testing.T) store.Binding {
	t.Helper()
	waitSipp(t, sipp(t, "sipp-register", f.w.phone, "phone_register", lbPublic.String(),
		"-i", phoneLAN, "-p", "5060", "-s", "alice", "-key", "domain", domain, "-key", "expires", "3600"))
	b := f.aliceBinding(t)
	if !strings.HasPrefix(b.Received, "sip:"+natPub+":") {
		t.Errorf("received %q: want the NAT's public address sip:%s:PORT", b.Received, natPub)
	}
	if !strings.Contains(b.Path, "sip:"+lbPrivate.String()+";lr") || !strings.Contains(b.Path, "received=") {
		t.Errorf("path %q: want the LB's private socket %s with ;lr and ;received=", b.Path, lbPrivate)
	}
	if !b.Keepalive {
		t.Error("binding not marked for keepalives")
	}
	t.Logf("alice: contact %s received %s path %s", b.Contact, b.Received, b.Path)
	return b
}

func (f *fleet) stepRegister(t *testing.T) {
	b := f.registerAlice(t)
	pub := receivedAddr(t, b)
	if !f.hasFlow(t, pub) {
		t.Errorf("the NAT has no binding %s:5060 <-> %v:\n%s", phoneLAN, pub, f.conntrack(t))
	}
}

// receivedAddr is a binding's received address.
func receivedAddr(t *testing.T, b store.Binding) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(strings.TrimPrefix(b.Received, "sip:"))
	if err != nil {
		t.Fatalf("received %q: %v", b.Received, err)
	}
	return ap
}

// conntrack is the NAT's connection table.
func (f *fleet) conntrack(t *testing.T) string {
	t.Helper()
	return inside(t, f.w.nat, "cat", "/proc/net/nf_conntrack")
}

// hasFlow reports whether the NAT holds the binding of alice's port 5060
// to the LB, mapped to pub.
func (f *fleet) hasFlow(t *testing.T, pub netip.AddrPort) bool {
	t.Helper()
	orig := fmt.Sprintf("src=%s dst=%s sport=5060 dport=5060", phoneLAN, lbPub)
	reply := fmt.Sprintf("src=%s dst=%s sport=5060 dport=%d", lbPub, pub.Addr(), pub.Port())
	for line := range strings.SplitSeq(f.conntrack(t), "\n") {
		if strings.Contains(line, orig) && strings.Contains(line, reply) {
			return true
		}
	}
	return false
}

// dropped is how many packets from the LB ended at the NAT itself.
func (f *fleet) dropped(t *testing.T) int {
	t.Helper()
	out := inside(t, f.w.nat, "iptables", "-L", "INPUT", "-v", "-x", "-n")
	for line := range strings.SplitSeq(out, "\n") {
		// The rule has no target, so its columns are one short.
		if fields := strings.Fields(line); len(fields) > 6 && slices.Contains(fields, lbPub) {
			n, _ := strconv.Atoi(fields[0])
			return n
		}
	}
	t.Fatalf("no counting rule in the NAT's INPUT chain:\n%s", out)
	return 0
}

// probe sends alice a request the way the proxy would, through the LB's
// private socket and her Path, from the server LAN.
func (f *fleet) probe(t *testing.T, b store.Binding) (*ua, []byte) {
	t.Helper()
	f.probes++
	u := newUA(t, f.w.srv, srvLAN+":0")
	return u, u.options(b.Contact, b.Path, f.probes)
}

func (f *fleet) stepNoPinger(t *testing.T) {
	b := f.aliceBinding(t)
	pub := receivedAddr(t, b)
	pollUntil(t, 4*conntrackTimeout, 250*time.Millisecond, "the NAT forgets the idle binding", func() bool {
		return !f.hasFlow(t, pub)
	})
	ph := newUA(t, f.w.phone, phoneLAN+":5060").serve()
	defer ph.close()
	before := f.dropped(t)
	u, req := f.probe(t, b)
	u.send(lbPrivate, req)
	pollUntil(t, 5*time.Second, 50*time.Millisecond, "the request reaches the NAT", func() bool {
		return f.dropped(t) > before
	})
	// The request ended at the router: it is counted there, so it was
	// not forwarded to the phone.
	if pings, reqs := ph.counts(); reqs != 0 || len(pings) != 0 {
		t.Fatalf("the phone got %d requests and keepalives %s with no binding at the NAT", reqs, describe(pings))
	}
}

// pingerOn starts capturing on the NAT's wan side and two pingers
// sharing the table, then registers again (the NAT forgot the binding in
// step 2) with alice and the extra phones. The pingers run first so that
// a binding's first keepalive comes within an interval of its REGISTER,
// however long the pingers and tshark take to start on a busy machine;
// until then they ping alice's stale address, which the NAT drops.
func (f *fleet) pingerOn(t *testing.T) {
	f.stale = receivedAddr(t, f.aliceBinding(t))
	f.startCapture(t)
	f.pingStart = time.Now()
	for shard := range 2 {
		f.pingers = append(f.pingers, f.node(t, fmt.Sprintf("natping%d", shard), f.w.srv,
			fmt.Sprintf("127.0.0.1:%d", 9063+shard), fmt.Sprintf(`natping:
  db: %q
  interval: %s
  source: %s
  shard: %d
  shards: 2
`, f.dsn, pingInterval, lbPublic, shard)))
	}
	b := f.registerAlice(t)
	f.since = time.Now()
	t.Logf("alice registered again, binding %d", b.ID)
	f.alice = newUA(t, f.w.phone, phoneLAN+":5060").serve()
	t.Cleanup(func() {
		for _, p := range append(f.extra, f.alice) {
			if p != nil {
				p.close()
			}
		}
	})
	for i := range extraPhones {
		u := newUA(t, f.w.phone, fmt.Sprintf("%s:%d", phoneLAN, 6001+i))
		u.register(lbPublic, fmt.Sprintf("bob%d", i+1))
		f.extra = append(f.extra, u.serve())
	}
}

// startCapture runs tshark on the NAT's wan side for every 4-byte UDP
// payload (a CRLFCRLF keepalive), whatever its source, and waits until
// it captures.
func (f *fleet) startCapture(t *testing.T) {
	f.capture = filepath.Join(t.TempDir(), "keepalives.csv")
	f.tshark = start(t, "tshark", f.w.nat, t.TempDir(), "sh", "-c",
		"exec tshark -i wan -n -l -f 'udp and udp[4:2] = 12' -T fields -E separator=, "+
			"-e frame.time_epoch -e ip.src -e udp.srcport -e ip.dst -e udp.dstport > "+f.capture)
	pollUntil(t, 20*time.Second, 50*time.Millisecond, "tshark captures", func() bool {
		return strings.Contains(f.tshark.logs(), "Capturing on")
	})
}

func (f *fleet) stepBindingOpen(t *testing.T) {
	b := f.aliceBinding(t)
	pub := receivedAddr(t, b)
	// Three timeouts' worth of quiet from the phone: without keepalives
	// the NAT would have dropped the binding twice over.
	// Waiting is the point here: the NAT's timeout has to pass.
	hold := f.since.Add(3 * conntrackTimeout)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(hold) {
		if !f.hasFlow(t, pub) {
			t.Fatalf("the NAT dropped the binding %v with the pingers on:\n%s", pub, f.conntrack(t))
		}
		<-tick.C
	}
	pings, _ := f.alice.counts()
	if n := pings[lbPublic]; n < 3 || len(pings) != 1 {
		t.Errorf("alice's keepalives by source: %s; want several, all from %v", describe(pings), lbPublic)
	}
	u, req := f.probe(t, b)
	resp, err := u.transact(lbPrivate, req)
	if err != nil {
		t.Fatalf("request to the phone through the LB: %v", err)
	}
	if resp.StatusCode() != 200 {
		t.Fatalf("request to the phone through the LB: %d, want the phone's 200", resp.StatusCode())
	}
}

func (f *fleet) stepCall(t *testing.T) {
	if f.proxyOK != nil {
		t.Skipf("the proxy role does not run here (%v); the binding was shown open by a request through the LB", f.proxyOK)
	}
	pub := receivedAddr(t, f.aliceBinding(t))
	f.alice.close() // SIPp takes over alice's socket
	f.alice = nil
	uas := sipp(t, "sipp-phone", f.w.phone, "phone_answer", "-i", phoneLAN, "-p", "5060", "-key", "public", pub.String())
	pollUntil(t, 10*time.Second, 50*time.Millisecond, "the phone's SIPp listens", func() bool {
		return boundUDP(uas.cmd.Process.Pid, netip.MustParseAddrPort(phoneLAN+":5060"))
	})
	uac := sipp(t, "sipp-peer", f.w.peer, "peer_call", lbPublic.String(),
		"-i", peerPub, "-p", "5060", "-s", "alice", "-key", "domain", domain)
	waitSipp(t, uac)
	waitSipp(t, uas)
}

// keepalive is one captured packet.
type keepalive struct {
	at       time.Time
	src, dst netip.AddrPort
}

func (f *fleet) stepCapture(t *testing.T) {
	// The pingers' own accounts: together they read every binding once
	// a cycle.
	var total int
	for i, p := range f.pingers {
		n := metric(t, f.w.srv, fmt.Sprintf("127.0.0.1:%d", 9063+i), "sipfleet_natping_cycle_bindings")
		if errs := metric(t, f.w.srv, fmt.Sprintf("127.0.0.1:%d", 9063+i), "sipfleet_natping_send_errors_total"); errs != 0 {
			t.Errorf("%s: %v send errors", p.name, errs)
		}
		t.Logf("%s: %v bindings a cycle", p.name, n)
		total += int(n)
	}
	if want := 1 + extraPhones; total != want {
		t.Errorf("the two shards read %d bindings a cycle together, want %d", total, want)
	}
	start := time.Now()
	for _, p := range f.pingers {
		if err := p.stop(); err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
	}
	window := time.Since(f.pingStart) // an upper bound of the pingers' run
	if err := f.tshark.interrupt(); err != nil {
		t.Errorf("tshark: %v", err)
	}
	t.Logf("pingers stopped in %v", time.Since(start).Round(time.Millisecond))
	kas := readCapture(t, f.capture)
	f.checkKeepalives(t, kas, window)
}

func (f *fleet) checkKeepalives(t *testing.T, kas []keepalive, window time.Duration) {
	want := map[netip.AddrPort]bool{}
	for _, user := range f.users() {
		bs, err := f.db.Bindings(context.Background(), store.AOR{User: user, Domain: domain}, time.Now())
		if err != nil || len(bs) != 1 {
			t.Fatalf("%s's bindings: %v %v", user, bs, err)
		}
		want[receivedAddr(t, bs[0])] = true
	}
	byDst := map[netip.AddrPort][]time.Time{}
	for _, k := range kas {
		if k.src != lbPublic {
			t.Errorf("keepalive to %v from %v, not from the LB's public address %v", k.dst, k.src, lbPublic)
		}
		if !want[k.dst] && k.dst != f.stale {
			t.Errorf("keepalive to %v, which is no binding's received address", k.dst)
		}
		byDst[k.dst] = append(byDst[k.dst], k.at)
	}
	most := int(window/pingInterval) + 2
	for dst := range want {
		times := byDst[dst]
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		if len(times) < 2 || len(times) > most {
			t.Errorf("%v got %d keepalives in %v; want 2 to %d at one per %v", dst, len(times), window.Round(time.Second), most, pingInterval)
		}
		for i := 1; i < len(times); i++ {
			if gap := times[i].Sub(times[i-1]); gap < pingInterval/2 {
				t.Errorf("%v pinged twice within %v (at %v and %v): two pingers on one binding?",
					dst, gap.Round(time.Millisecond), times[i-1].Format("15:04:05.000"), times[i].Format("15:04:05.000"))
			}
		}
	}
	t.Logf("%d keepalives to %d addresses, all from %v", len(kas), len(byDst), lbPublic)
}

func (f *fleet) users() []string {
	users := []string{"alice"}
	for i := range extraPhones {
		users = append(users, fmt.Sprintf("bob%d", i+1))
	}
	return users
}

// readCapture parses tshark's fields: time, source, port, destination,
// port.
func readCapture(t *testing.T, path string) []keepalive {
	t.Helper()
	var out []keepalive
	for line := range strings.SplitSeq(strings.TrimSpace(tail(path, 1<<30)), "\n") {
		fields := strings.Split(line, ",")
		if len(fields) != 5 {
			continue
		}
		secs, err := strconv.ParseFloat(fields[0], 64)
		src, err1 := netip.ParseAddrPort(fields[1] + ":" + fields[2])
		dst, err2 := netip.ParseAddrPort(fields[3] + ":" + fields[4])
		if err != nil || err1 != nil || err2 != nil {
			t.Fatalf("capture line %q", line)
		}
		out = append(out, keepalive{at: time.Unix(0, int64(secs*1e9)), src: src, dst: dst})
	}
	if len(out) == 0 {
		t.Fatal("no keepalive captured at the NAT")
	}
	return out
}

// metric reads one sample from a node's /metrics inside ns.
func metric(t *testing.T, ns, admin, name string) float64 {
	t.Helper()
	resp, err := httpIn(ns).Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatalf("metrics of %s: %v", admin, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s: %q", name, line)
			}
			return f
		}
	}
	t.Fatalf("%s: not in %s/metrics", name, admin)
	return 0
}

// stepOptions runs a pinger that sends OPTIONS: the phones answer them to
// the LB (the OPTIONS came from its address), and the LB must count and
// drop the answers, not take them for forged responses nor relay them.
func (f *fleet) stepOptions(t *testing.T) {
	lbAdmin := "127.0.0.1:9060"
	relayed := metric(t, f.w.lb, lbAdmin, "sipfleet_lb_responses_relayed_total")
	p := f.node(t, "natping-options", f.w.srv, "127.0.0.1:9065", fmt.Sprintf(`natping:
  db: %q
  interval: %s
  source: %s
  payload: options
`, f.dsn, pingInterval, lbPublic))
	t.Logf("%s ready; stopped when this step ends", p.name)
	pollUntil(t, 10*time.Second, 100*time.Millisecond, "every extra phone answers an OPTIONS, and the LB absorbs the answers", func() bool {
		for _, ph := range f.extra {
			if _, reqs := ph.counts(); reqs == 0 {
				return false
			}
		}
		return metric(t, f.w.lb, lbAdmin, "sipfleet_lb_natping_replies_absorbed_total") >= extraPhones
	})
	if n := metric(t, f.w.lb, lbAdmin, "sipfleet_lb_dropped_forged_responses_total"); n != 0 {
		t.Errorf("the LB took %v answers for forged responses", n)
	}
	if n := metric(t, f.w.lb, lbAdmin, "sipfleet_lb_responses_relayed_total"); n != relayed {
		t.Errorf("the LB relayed %v responses meanwhile; the answers to keepalives go nowhere", n-relayed)
	}
}
