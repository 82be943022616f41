//go:build linux

package netns

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/testenv"
)

// LB high availability (issue 7): an active/passive pair of `sipfleet lb`
// under Debian's keepalived, tested for real in network namespaces.
//
//	               bridge "pub" 198.51.100.0/24          bridge "lan" 10.77.0.0/24
//	sfha-ph  ─eth0─┤                                      ├─eth0─ sfha-be
//	(phones .50)   ├─eth0─ sfha-lb1 (.11) ─eth1───────────┤       (.20: registrar :5070,
//	               ├─eth0─ sfha-lb2 (.12) ─eth1───────────┤        proxy :5080, SQLite)
//	   public VIP 198.51.100.10            private VIP 10.77.0.10
//
// Both bridges live in the namespace sfha-sw. The two LBs run the same
// lb.yaml: a public listener on the public VIP and a private one on the
// private VIP, each with advertise equal to listen, so both bind the VIPs
// with IP_FREEBIND before they hold them. keepalived moves the two VIPs
// together; the private one is what the LB writes into Path and
// Record-Route, so the bindings and dialogs made through lb1 name an
// address that lb2 holds after the takeover. keepalived's config is
// deploy/keepalived/keepalived.conf.example with the test's addresses
// put in, and its health check is deploy/keepalived/check-sipfleet-lb.sh.
//
// The phones are sockets the test process opens inside sfha-ph (haNS.do
// enters the namespace on a locked OS thread): the test writes and checks
// every SIP message itself, with no program in between that could hide
// which hop failed.

// The test's addresses: documentation and private ranges, used only
// inside the namespaces it creates.
var (
	haPubVIP  = netip.MustParseAddr("198.51.100.10")
	haPrivVIP = netip.MustParseAddr("10.77.0.10")
	haPhoneIP = netip.MustParseAddr("198.51.100.50")
	haBackend = netip.MustParseAddr("10.77.0.20")
)

const (
	haRegPort   = 5070
	haProxyPort = 5080
	// haLBAdmin is each LB's management listener, on the loopback of its
	// own namespace: where keepalived's check asks /readyz.
	haLBAdmin = "127.0.0.1:9060"
	// haTakeoverWait bounds the wait for the VIP to answer again; the
	// time it took is reported, not asserted.
	haTakeoverWait = 30 * time.Second
)

// TestHAKeepalivedTakeover: phones registered and a call set up through
// lb1; lb1's sipfleet is killed; keepalived's health check fails, lb1
// drops the VIPs and lb2 takes them over. The takeover time, from the kill
// until an OPTIONS to the VIP (sent every 50 ms) is answered again, is
// logged. Then the existing call's re-INVITE and BYE, and a new call, go
// through lb2 and reach the callee, who never registered again.
func TestHAKeepalivedTakeover(t *testing.T) {
	testenv.SkipIfShort(t)
	testenv.RequireRoot(t, "network namespaces and keepalived")
	ip := testenv.RequireBinary(t, "ip")
	keepalived := testenv.RequireBinary(t, "keepalived")
	testenv.RequireBinary(t, "curl") // the health check asks /readyz with it
	bin := testenv.BuildSipfleet(t)
	began := time.Now()

	n := haBuildNet(t, ip, "sfha-sw", []string{"pub", "lan"}, []haLink{
		{host: "sfha-lb1", ifname: "eth0", bridge: "pub", addr: "198.51.100.11/24"},
		{host: "sfha-lb1", ifname: "eth1", bridge: "lan", addr: "10.77.0.11/24"},
		{host: "sfha-lb2", ifname: "eth0", bridge: "pub", addr: "198.51.100.12/24"},
		{host: "sfha-lb2", ifname: "eth1", bridge: "lan", addr: "10.77.0.12/24"},
		{host: "sfha-ph", ifname: "eth0", bridge: "pub", addr: haPhoneIP.String() + "/24"},
		{host: "sfha-be", ifname: "eth0", bridge: "lan", addr: haBackend.String() + "/24"},
	})
	dsn := haStartBackends(t, n, bin)

	// (1) The pair. lb1's LB and keepalived first, so that lb1 is the
	// master (with nopreempt, whichever node gets there first keeps the
	// VIPs); lb2's LB starts while lb1 holds the VIPs, which is the point
	// of binding them with IP_FREEBIND.
	lbCfg := haLBConfig(t)
	check := haInstallCheck(t)
	example, err := os.ReadFile("../../deploy/keepalived/keepalived.conf.example")
	if err != nil {
		t.Fatal(err)
	}
	lb1 := haStart(t, ip, "sfha-lb1", "lb1-sipfleet", bin, "lb", "--config", lbCfg)
	haWaitReady(t, n.ns["sfha-lb1"], lb1, "http://"+haLBAdmin+"/readyz")
	ka1 := haKeepalived(t, ip, keepalived, "sfha-lb1", haKeepalivedConf(t, string(example), check, false))
	pollUntil(t, haReadyWait, haPoll, "lb1 holds both VIPs", func() bool {
		return n.hasAddr("sfha-lb1", haPubVIP) && n.hasAddr("sfha-lb1", haPrivVIP)
	})
	lb2 := haStart(t, ip, "sfha-lb2", "lb2-sipfleet", bin, "lb", "--config", lbCfg)
	haWaitReady(t, n.ns["sfha-lb2"], lb2, "http://"+haLBAdmin+"/readyz")
	if !n.hasAddr("sfha-lb1", haPubVIP) || n.hasAddr("sfha-lb2", haPubVIP) {
		t.Fatal("the VIP moved while lb2 started; the standby's readiness was not shown")
	}
	t.Logf("lb2 (standby) is ready while lb1 holds %s and %s: IP_FREEBIND works", haPubVIP, haPrivVIP)
	ka2 := haKeepalived(t, ip, keepalived, "sfha-lb2", haKeepalivedConf(t, string(example), check, true))
	pollUntil(t, haReadyWait, haPoll, "lb2's keepalived in BACKUP state", func() bool {
		return strings.Contains(ka2.logs(), "Entering BACKUP STATE")
	})

	// (2) Phones register through the VIP; a call is set up through lb1.
	vip := netip.AddrPortFrom(haPubVIP, 5060)
	ph := n.ns["sfha-ph"]
	alice := haNewPhone(t, ph, haPhoneIP, "alice")
	bob := haNewPhone(t, ph, haPhoneIP, "bob")
	monitor := haNewPhone(t, ph, haPhoneIP, "monitor")
	alice.register(vip)
	bob.register(vip)
	call := haCall(t, alice, bob, vip, "ha-call-1")
	// Record-Route names the VIPs, never an LB's own address: that is
	// what lets lb2 carry on a dialog lb1 set up.
	for _, e := range call.recordRoute {
		if !strings.Contains(e, vip.String()) && !strings.Contains(e, haPrivVIP.String()+":5060") &&
			!strings.Contains(e, fmt.Sprintf("%s:%d", haBackend, haProxyPort)) {
			t.Errorf("Record-Route entry %s names neither a VIP nor the proxy", e)
		}
	}
	haAwaitOptions(t, monitor, vip, time.Now(), "before") // the VIP answers, through lb1
	lb2Before := haLBForwarded(t, n.ns["sfha-lb2"])

	// (3) lb1's sipfleet dies. Its keepalived stays up, so what moves the
	// VIPs is the health check: /readyz stops answering, lb1 goes to
	// FAULT, drops the VIPs and advertises priority 0, and lb2 takes over.
	killed := time.Now()
	lb1.kill()
	takeover, probes := haAwaitOptions(t, monitor, vip, killed, "after")
	t.Logf("LB takeover: the VIP answered through lb2 %s after lb1's sipfleet was killed (OPTIONS every %s, %d sent)",
		takeover.Round(time.Millisecond), haPoll, probes)
	pollUntil(t, haReadyWait, haPoll, "lb1 dropped both VIPs", func() bool {
		return !n.hasAddr("sfha-lb1", haPubVIP) && !n.hasAddr("sfha-lb1", haPrivVIP)
	})
	if !n.hasAddr("sfha-lb2", haPubVIP) || !n.hasAddr("sfha-lb2", haPrivVIP) {
		t.Fatalf("the VIP answers but lb2 does not hold both VIPs")
	}
	// An operator then stops lb1's keepalived (or the host goes down):
	// lb2 keeps the VIPs either way.
	if err := ka1.stop(); err != nil {
		t.Error(err)
	}
	if !n.hasAddr("sfha-lb2", haPubVIP) || !n.hasAddr("sfha-lb2", haPrivVIP) {
		t.Fatalf("lb2 lost the VIPs when lb1's keepalived stopped")
	}

	// (4) The call set up through lb1 goes on through lb2: its Route set
	// names the VIPs, which lb2 now holds. Then a new call: Bob never
	// registered again, and his binding's Path names the private VIP.
	if out := haSipfleet(t, bin, "contacts", "list", "--db", dsn, "bob@"+haDomain); !strings.Contains(out, bob.contact) ||
		!strings.Contains(out, haPrivVIP.String()+":5060") {
		t.Errorf("Bob's binding, registered through lb1, should be there with a Path naming the private VIP:\n%s", out)
	}
	call.reinvite(vip)
	call.bye(vip)
	call2 := haCall(t, alice, bob, vip, "ha-call-2")
	call2.bye(vip)
	if after := haLBForwarded(t, n.ns["sfha-lb2"]); after <= lb2Before {
		t.Errorf("lb2 forwarded %v requests before the takeover and %v after: the calls did not go through it", lb2Before, after)
	}
	t.Logf("the whole scenario took %s", time.Since(began).Round(time.Millisecond))
}

// haStartBackends creates the database and starts the registrar and the
// proxy in sfha-be, both ready when it returns; it returns the DSN.
func haStartBackends(t *testing.T, n *haNet, bin string) string {
	t.Helper()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "sipfleet.db")
	haSipfleet(t, bin, "db", "migrate", "--db", dsn)
	for _, u := range []string{"alice", "bob"} {
		haSipfleet(t, bin, "user", "add", "--db", dsn, u+"@"+haDomain, "password-of-"+u)
	}
	// Authentication is off: the test is about the LB pair, and the
	// digest has tests of its own.
	const secret = "sfha-backend-secret-0123456789"
	reg := testenv.WriteFile(t, "registrar.yaml", fmt.Sprintf(`log:
  level: info
admin:
  listen: 127.0.0.1:9061
listeners:
  - name: udp
    side: private
    proto: udp
    listen: %s:%d
registrar:
  db: %q
  domain: %s
  auth: false
  secret: %s
`, haBackend, haRegPort, dsn, haDomain, secret))
	// The LBs reach the proxy from the private VIP, so that is the edge
	// (and, with its port, where foreign domains would leave through).
	prx := testenv.WriteFile(t, "proxy.yaml", fmt.Sprintf(`log:
  level: info
admin:
  listen: 127.0.0.1:9062
listeners:
  - name: udp
    side: private
    proto: udp
    listen: %s:%d
proxy:
  db: %q
  domain: %s
  auth: false
  secret: %s
  edges: [%s:5060]
  timer_c: 30s
`, haBackend, haProxyPort, dsn, haDomain, secret, haPrivVIP))
	be := n.ns["sfha-be"]
	r := haStart(t, n.ip, "sfha-be", "registrar", bin, "registrar", "--config", reg)
	p := haStart(t, n.ip, "sfha-be", "proxy", bin, "proxy", "--config", prx)
	haWaitReady(t, be, r, "http://127.0.0.1:9061/readyz")
	haWaitReady(t, be, p, "http://127.0.0.1:9062/readyz")
	return dsn
}

// haLBConfig writes the one lb.yaml both LBs run.
func haLBConfig(t *testing.T) string {
	t.Helper()
	list := testenv.WriteFile(t, "dispatcher.list", fmt.Sprintf("1 sip:%s:%d 0 0\n2 sip:%s:%d 0 0\n",
		haBackend, haProxyPort, haBackend, haRegPort))
	// lb.secret is shared, so either LB relays the responses to what the
	// other one sent. Probing is for inactive destinations only: the
	// standby cannot send from the VIP it does not hold, so its probes of
	// active destinations would all fail and it would take over with
	// every backend marked down.
	return testenv.WriteFile(t, "lb.yaml", fmt.Sprintf(`log:
  level: info
admin:
  listen: %s
listeners:
  - name: public-udp
    side: public
    proto: udp
    listen: %[2]s:5060
    advertise: %[2]s:5060
  - name: private-udp
    side: private
    proto: udp
    listen: %[3]s:5060
    advertise: %[3]s:5060
lb:
  dispatcher_list: %s
  proxy_set: 1
  registrar_set: 2
  secret: sfha-lb-pair-secret-0123456789
  private_networks: [10.77.0.0/24]
  probe:
    mode: inactive
`, haLBAdmin, haPubVIP, haPrivVIP, list))
}

// haInstallCheck copies the shipped health check where keepalived's
// script security accepts it and the example's script_user (nobody) can
// run it: a root-owned directory that others may read and enter.
func haInstallCheck(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("../../deploy/keepalived/check-sipfleet-lb.sh")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "sfha-check-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "check-sipfleet-lb.sh")
	if err := os.WriteFile(path, src, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// haKeepalivedConf is the shipped example with the test's addresses and
// check script, for lb1 or (lb2) for lb2. The interface names are the
// example's: the LB namespaces name theirs eth0 (public) and eth1 (LAN).
func haKeepalivedConf(t *testing.T, example, check string, lb2 bool) string {
	t.Helper()
	subs := []string{
		"203.0.113.10/32", haPubVIP.String() + "/32",
		"10.0.0.9/32", haPrivVIP.String() + "/32",
		"/etc/keepalived/check-sipfleet-lb.sh", check,
	}
	if lb2 {
		subs = append(subs, "router_id sipfleet-lb1", "router_id sipfleet-lb2", "priority 150", "priority 100")
	}
	for i := 0; i < len(subs); i += 2 {
		if !strings.Contains(example, subs[i]) {
			t.Fatalf("keepalived.conf.example no longer has %q, which the test replaces; update haKeepalivedConf", subs[i])
		}
	}
	name := "keepalived-lb1.conf"
	if lb2 {
		name = "keepalived-lb2.conf"
	}
	return testenv.WriteFile(t, name, strings.NewReplacer(subs...).Replace(example))
}

// haKeepalived runs keepalived in the foreground (-n) logging to its
// output (-l), with pid files of its own so that two instances on one
// machine do not collide.
func haKeepalived(t *testing.T, ip, keepalived, ns, conf string) *haProc {
	t.Helper()
	dir := t.TempDir()
	return haStart(t, ip, ns, strings.TrimPrefix(ns, "sfha-")+"-keepalived", keepalived, "-n", "-l", "-f", conf,
		"-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"))
}

// haAwaitOptions sends an OPTIONS for the LB to vip every haPoll until one
// sent after since is answered 200, and returns the time from since to
// that answer and how many were sent. Answers to OPTIONS sent before since
// do not count, so after a kill the answer can only be the standby's.
func haAwaitOptions(t *testing.T, p *haPhone, vip netip.AddrPort, since time.Time, label string) (time.Duration, int) {
	t.Helper()
	deadline := since.Add(haTakeoverWait)
	sent := map[string]bool{}
	for i := 1; ; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("the VIP %s did not answer OPTIONS within %s (%d sent)", vip, haTakeoverWait, i-1)
		}
		id := fmt.Sprintf("ha-options-%s-%d", label, i)
		sent[id] = true
		p.options(vip, id)
		next := time.Now().Add(haPoll)
		for {
			m, _, err := p.recv(next)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if !m.IsRequest() && m.StatusCode() == 200 && sent[string(m.CallID())] {
				return time.Since(since), i
			}
		}
	}
}

// haLBForwarded reads the requests an LB has forwarded from its /metrics,
// inside its namespace.
func haLBForwarded(t *testing.T, ns *haNS) float64 {
	t.Helper()
	resp, err := ns.httpClient().Get("http://" + haLBAdmin + "/metrics")
	if err != nil {
		t.Fatalf("%s: GET /metrics: %v", ns.name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: GET /metrics: %s", ns.name, resp.Status)
	}
	const name = "sipfleet_lb_requests_forwarded_total "
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", ns.name, sc.Text(), err)
			}
			return f
		}
	}
	t.Fatalf("%s: %s not in /metrics (%v)", ns.name, strings.TrimSpace(name), sc.Err())
	return 0
}
