package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/testenv"
)

// The LB's end-to-end tests (issue 3, "Tests"): `sipfleet lb` built from
// this tree, SIPp phones on its public side and SIPp backends on its
// private side, every one on its own 127.0.0.x.
//
// Each test owns eight loopback addresses from its base: base+0 is the
// LB's public socket, base+1 its private socket and its admin listener,
// base+2 the phone (SIPp UAC or a hand-driven client), base+3 onward the
// backends. The bases (150 to 230, so 127.0.0.150 to .237) are apart
// from the other e2e tests'. The runs of calls (TestLBCalls,
// TestLBFailoverOnKill, TestLBReloadUnderLoad) and the one waiting out a
// Timer B (TestLBFailoverAcrossReload) are long: go test -short skips
// them, except in CI.
//
// Nothing here sleeps to synchronise: the LB is ready when its /readyz
// answers (StartNode), a SIPp backend when its socket is bound (StartUAS),
// and a state change is polled for on the admin API under a deadline.

// lbPoll is how often the admin API is polled while waiting for a change.
const lbPoll = 20 * time.Millisecond

// lbIP returns the test's n-th loopback address from base.
func lbIP(t *testing.T, base, n int) netip.Addr {
	t.Helper()
	return testenv.LoopbackIP(t, base+n)
}

// lbOptions is what a test sets in the LB's config; the rest is fixed.
type lbOptions struct {
	base         int           // the test's first 127.0.0.x
	list         string        // the dispatcher list, Kamailio's format
	algorithm    string        // round-robin when empty
	t1           time.Duration // sip.t1; lbDefaultT1 when zero
	tcp          bool          // a TCP listener beside the public UDP one
	pathReceived string        // nat when empty
	maxFailover  int           // 3 when zero
	// probe holds the lb.probe settings, "key: value" per line; probing
	// is off when empty, as the SIPp call scenarios would count a probe
	// as an unexpected call.
	probe string
}

// lbDefaultT1 is the LB's T1 unless a test needs a short Timer B. The LB
// retransmits a dispatched INVITE after T1 without a 100 (Timer A), and
// SIPp's uas_call aborts a call on an INVITE retransmitted after its 180
// (see scenarios/uas_answer.xml): with RFC 3261's 500 ms, one backend
// SIPp stalled that long on a loaded machine fails a call. 2 s makes that
// stall implausible; nothing in these tests waits on a T1-based timer.
const lbDefaultT1 = 2 * time.Second

// lbNode is a running `sipfleet lb` and the addresses it serves.
type lbNode struct {
	t      *testing.T
	node   *testenv.Node
	admin  string         // http://IP:PORT of the admin API
	pub    netip.AddrPort // public UDP (and TCP when asked for)
	priv   netip.AddrPort // private UDP
	list   string         // path of the dispatcher list, for reload tests
	client *http.Client
}

// startLB writes the config and the dispatcher list and starts the LB,
// which is ready once its /readyz answers 200.
func startLB(t *testing.T, o lbOptions) *lbNode {
	t.Helper()
	pubIP, privIP := lbIP(t, o.base, 0), lbIP(t, o.base, 1)
	l := &lbNode{t: t, priv: testenv.AddrPort(privIP, testenv.FreeUDPPort(t, privIP))}
	if o.tcp {
		l.pub = testenv.AddrPort(pubIP, testenv.FreePort(t, pubIP))
	} else {
		l.pub = testenv.AddrPort(pubIP, testenv.FreeUDPPort(t, pubIP))
	}
	adminAddr := testenv.AddrPort(privIP, testenv.FreeTCPPort(t, privIP))
	l.admin = "http://" + adminAddr.String()
	l.list = testenv.WriteFile(t, "dispatcher.list", o.list)
	if o.algorithm == "" {
		o.algorithm = "round-robin"
	}
	if o.t1 == 0 {
		o.t1 = lbDefaultT1
	}
	if o.pathReceived == "" {
		o.pathReceived = "nat"
	}
	if o.maxFailover == 0 {
		o.maxFailover = 3
	}
	if o.probe == "" {
		o.probe = "mode: off"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "log:\n  level: info\nadmin:\n  listen: %s\nsip:\n  t1: %s\n", adminAddr, o.t1)
	b.WriteString("listeners:\n")
	fmt.Fprintf(&b, "  - name: public-udp\n    side: public\n    proto: udp\n    listen: %s\n", l.pub)
	if o.tcp {
		fmt.Fprintf(&b, "  - name: public-tcp\n    side: public\n    proto: tcp\n    listen: %s\n", l.pub)
	}
	fmt.Fprintf(&b, "  - name: private-udp\n    side: private\n    proto: udp\n    listen: %s\n", l.priv)
	fmt.Fprintf(&b, "lb:\n  dispatcher_list: %s\n  proxy_set: 1\n  registrar_set: 2\n", l.list)
	fmt.Fprintf(&b, "  algorithm: %s\n  path_received: %s\n  max_failover: %d\n", o.algorithm, o.pathReceived, o.maxFailover)
	// The flood limit is per source IP and every test's calls come from
	// one SIPp; pike has tests of its own, so it is off here.
	b.WriteString("  pike:\n    threshold: 0\n  probe:\n")
	for line := range strings.SplitSeq(strings.TrimSpace(o.probe), "\n") {
		b.WriteString("    " + strings.TrimSpace(line) + "\n")
	}
	cfg := testenv.WriteFile(t, "lb.yaml", b.String())
	l.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	l.node = testenv.StartNode(t, l.admin+"/readyz", "lb", "--config", cfg)
	return l
}

// get fetches an admin API path and returns its body; anything but 200
// fails the test.
func (l *lbNode) get(path string) []byte {
	l.t.Helper()
	return l.do(http.MethodGet, path)
}

func (l *lbNode) do(method, path string) []byte {
	l.t.Helper()
	req, err := http.NewRequest(method, l.admin+path, nil)
	if err != nil {
		l.t.Fatal(err)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		l.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		l.t.Fatalf("%s %s: %v", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		l.t.Fatalf("%s %s: %s\n%s", method, path, resp.Status, body)
	}
	return body
}

// metric reads one sample from /metrics, named with its labels as exposed.
func (l *lbNode) metric(name string) float64 {
	l.t.Helper()
	for line := range strings.SplitSeq(string(l.get("/metrics")), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				l.t.Fatalf("metric %s: %q: %v", name, line, err)
			}
			return f
		}
	}
	l.t.Fatalf("metric %s: not in /metrics", name)
	return 0
}

// forwarded is how many requests the LB has sent on.
func (l *lbNode) forwarded() float64 { return l.metric("sipfleet_lb_requests_forwarded_total") }

// lbDest is one row of GET /v1/dispatcher.
type lbDest struct {
	SetID     int    `json:"setid"`
	URI       string `json:"uri"`
	State     string `json:"state"`
	Selected  uint64 `json:"selected"`
	Failures  uint64 `json:"failures"`
	ProbeOK   uint64 `json:"probe_ok"`
	ProbeFail uint64 `json:"probe_failures"`
	LastError string `json:"last_error"`
}

// dests lists the dispatcher's destinations by URI.
func (l *lbNode) dests() map[string]lbDest {
	l.t.Helper()
	var rows []lbDest
	if err := json.Unmarshal(l.get("/v1/dispatcher"), &rows); err != nil {
		l.t.Fatalf("GET /v1/dispatcher: %v", err)
	}
	out := make(map[string]lbDest, len(rows))
	for _, r := range rows {
		out[r.URI] = r
	}
	return out
}

// writeList replaces the dispatcher list file atomically, so that a
// reload never reads half of it.
func (l *lbNode) writeList(content string) {
	l.t.Helper()
	tmp := l.list + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		l.t.Fatal(err)
	}
	if err := os.Rename(tmp, l.list); err != nil {
		l.t.Fatal(err)
	}
}

// waitUntil polls cond until it holds and returns how long that took, or
// fails the test after within with the last state cond described.
func waitUntil(t *testing.T, what string, within time.Duration, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(lbPoll)
	defer tick.Stop()
	for {
		ok, state := cond()
		if ok {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s; last seen: %s", what, within, state)
		}
		<-tick.C
	}
}

// waitState waits until the destination uri is in state.
func (l *lbNode) waitState(uri, state string, within time.Duration) time.Duration {
	l.t.Helper()
	return waitUntil(l.t, uri+" "+state, within, func() (bool, string) {
		d, ok := l.dests()[uri]
		return ok && d.State == state, fmt.Sprintf("%+v", d)
	})
}

// backendTimeout bounds every backend SIPp of these tests (-timeout); the
// tests stop them long before.
const backendTimeout = 60 * time.Second

// startBackend starts a SIPp server scenario on ip and a free port.
func startBackend(t *testing.T, name, scenario string, ip netip.Addr, maxCalls int) *testenv.Sipp {
	t.Helper()
	return testenv.StartUAS(t, testenv.SippOptions{Scenario: Scenario(t, scenario), Name: name,
		Local: ip, MaxCalls: maxCalls, Timeout: backendTimeout})
}

// uri is a backend's SIP URI as the dispatcher list names it.
func uri(s *testenv.Sipp) string { return "sip:" + s.Addr().String() }

// proxySet is a dispatcher list putting the backends in set 1 (the
// proxies) with priority 0.
func proxySet(backends ...*testenv.Sipp) string {
	var b strings.Builder
	for _, s := range backends {
		fmt.Fprintf(&b, "1 %s 0 0\n", uri(s))
	}
	return b.String()
}

// waitSipp waits for a SIPp that ends by itself (MaxCalls reached).
func waitSipp(t *testing.T, s *testenv.Sipp, within time.Duration) testenv.SippResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	r, err := s.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// stopSipp ends a backend that has served its part and returns its
// counts.
func stopSipp(t *testing.T, s *testenv.Sipp) testenv.SippResult {
	t.Helper()
	r, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sippMessages is what a SIPp run with TraceMessages logged: the
// -message_file the runner puts in the run's directory.
func sippMessages(t *testing.T, s *testenv.Sipp) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.Dir(), "messages.log"))
	if err != nil {
		t.Fatalf("SIPp message log: %v (TraceMessages set?)", err)
	}
	return string(b)
}

// sippRequests returns the requests with the given method that a SIPp
// sent, as its message log shows them.
func sippRequests(log, method string) []string {
	var out []string
	for _, block := range strings.Split(log, "----------------------------------------------- ") {
		head, msg, ok := strings.Cut(block, "\n\n")
		if !ok || !strings.Contains(head, "message sent") {
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(msg), method+" ") {
			out = append(out, msg)
		}
	}
	return out
}

// rrEntry is the Record-Route entry the LB writes for a UDP socket when
// a request crosses sockets (double Record-Route, r2=on).
func rrEntry(a netip.AddrPort) string { return fmt.Sprintf("<sip:%s;lr;r2=on>", a) }

// TestLBCalls: calls from a phone through the LB to two backends picked
// round robin. Each call's ACK and BYE reach the backend that answered by
// following the route set the phone learnt from the LB's double
// Record-Route, and the backends share the calls evenly.
func TestLBCalls(t *testing.T) {
	testenv.SkipIfShort(t)
	t.Parallel()
	const base, calls = 150, 40
	a := startBackend(t, "backend-a", "uas_call", lbIP(t, base, 3), calls)
	b := startBackend(t, "backend-b", "uas_call", lbIP(t, base, 4), calls)
	lb := startLB(t, lbOptions{base: base, list: proxySet(a, b)})

	uac := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_call"), Name: "phone",
		Remote: lb.pub, Local: lbIP(t, base, 2), Service: "bob", MaxCalls: calls, Rate: 20,
		CallLength: 50 * time.Millisecond, TraceMessages: true})
	r := waitSipp(t, uac, 60*time.Second)
	if err := r.Check(calls, 0); err != nil {
		t.Fatalf("phone: %v", err)
	}

	// The phone's route set is the Record-Route reversed: the LB's public
	// entry first, so it reaches the LB on the side it can.
	route := "Route: " + rrEntry(lb.pub) + ", " + rrEntry(lb.priv)
	log := sippMessages(t, uac)
	for _, method := range []string{"ACK", "BYE"} {
		reqs := sippRequests(log, method)
		if len(reqs) < calls {
			t.Errorf("phone sent %d %ss, want at least %d", len(reqs), method, calls)
		}
		for _, m := range reqs {
			if !strings.Contains(m, route+"\n") && !strings.Contains(m, route+"\r\n") {
				t.Errorf("%s without the LB's route set %q:\n%s", method, route, m)
				break
			}
		}
	}

	ra, rb := stopSipp(t, a), stopSipp(t, b)
	t.Logf("backend a: %s; backend b: %s", ra, rb)
	// Round robin over two active destinations alternates exactly.
	if ra.Successful != calls/2 || rb.Successful != calls/2 || ra.Failed+rb.Failed != 0 {
		t.Errorf("backends completed %d and %d calls (failed %d, %d); want %d each",
			ra.Successful, rb.Successful, ra.Failed, rb.Failed, calls/2)
	}
	// INVITE, ACK and BYE of each call; a retransmitted BYE adds one.
	if got := lb.forwarded(); got < 3*calls {
		t.Errorf("LB forwarded %v requests, want at least %d", got, 3*calls)
	}
}

// TestLBRegisterPath: a REGISTER through the LB reaches the registrar
// (set 2) with a Path naming the LB's private socket, with ;lr and the
// phone's real source in ;received= (path_received: always), and the
// phone gets the registrar's 200.
func TestLBRegisterPath(t *testing.T) {
	t.Parallel()
	const base, regs = 158, 3
	registrar := startBackend(t, "registrar", "uas_register_path", lbIP(t, base, 3), regs)
	lb := startLB(t, lbOptions{base: base, list: "2 " + uri(registrar) + " 0 0\n", pathReceived: "always"})

	phone := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_register"), Name: "phone",
		Remote: lb.pub, Local: lbIP(t, base, 2), Service: "alice", Keys: domainKeys, MaxCalls: regs, Rate: 20})
	if err := waitSipp(t, phone, 40*time.Second).Check(regs, 0); err != nil {
		t.Errorf("phone: %v", err)
	}
	if err := waitSipp(t, registrar, 20*time.Second).Check(regs, 0); err != nil {
		t.Errorf("registrar: %v", err)
	}
	want := fmt.Sprintf("path <sip:%s;lr;received=sip:%s>", lb.priv, phone.Addr())
	log := registrar.ActionLog()
	if n := strings.Count(log, want+"\n"); n != regs {
		t.Errorf("registrar logged %q %d times, want %d; its log:\n%s", want, n, regs, log)
	}
}

// TestLBReceivedRouting: a backend reaches a phone behind a NAT through
// the LB. The backend (a hand-driven proxy) sends an INVITE to the LB's
// private socket with the Path the phone registered through as its Route:
// <sip:LB-private;lr;received=sip:PHONE>, and the phone's registered
// Contact, a private address, as Request-URI. The LB sends it to the
// received= address out of its public side and Record-Routes it twice;
// the phone (SIPp) answers, and the proxy gets 180 and 200 back from the
// LB's private socket, then completes the call along the route set.
func TestLBReceivedRouting(t *testing.T) {
	t.Parallel()
	const base = 166
	phone := startBackend(t, "phone", "uas_call", lbIP(t, base, 2), 1)
	proxy := testenv.NewSIPClient(t, testenv.AddrPort(lbIP(t, base, 3), 0))
	// The proxy is a backend, as in a fleet; nothing is dispatched to it.
	lb := startLB(t, lbOptions{base: base, list: "1 sip:" + proxy.Addr().String() + " 0 0\n"})

	d := dialog{from: "<sip:alice@example.com>;tag=prx1", to: "<sip:bob@example.com>",
		callID: "nat-1@" + proxy.Addr().String(), via: proxy.Addr().String()}
	path := fmt.Sprintf("<sip:%s;lr;received=sip:%s>", lb.priv, phone.Addr())
	proxy.Send(lb.priv, d.request("INVITE", "sip:bob@192.168.1.20:5060", 1,
		"Route: "+path, "Contact: <sip:alice@"+proxy.Addr().String()+">"))

	// The LB's entry facing the phone comes first, so the phone's route
	// set starts with an address it can reach; the proxy's starts with the
	// private one.
	wantRR := []string{rrEntry(lb.pub), rrEntry(lb.priv)}
	var ok *sip.Msg
	for _, code := range []int{180, 200} {
		m, from := expectMsg(t, proxy, strconv.Itoa(code), func(m *sip.Msg) bool {
			return !m.IsRequest() && m.StatusCode() == code
		})
		if from != lb.priv {
			t.Errorf("%d came from %s, want the LB's private socket %s", code, from, lb.priv)
		}
		if got := routes(t, m, sip.HdrRecordRoute); !slices.Equal(got, wantRR) {
			t.Errorf("%d Record-Route %v, want %v", code, got, wantRR)
		}
		if n := m.Count(sip.HdrVia); n != 1 {
			t.Errorf("%d has %d Vias, want only the proxy's", code, n)
		}
		ok = m
	}

	// ACK and BYE as the proxy's UAC side sends them (RFC 3261 12.1.2):
	// to the phone's Contact, along the Record-Route reversed.
	contacts := routes(t, ok, sip.HdrContact)
	if len(contacts) != 1 {
		t.Fatalf("200 Contact %v, want one", contacts)
	}
	target := strings.Trim(contacts[0], "<>")
	d.to = header(ok, "To")
	route := "Route: " + wantRR[1] + ", " + wantRR[0]
	proxy.Send(lb.priv, d.request("ACK", target, 1, route))
	proxy.Send(lb.priv, d.request("BYE", target, 2, route))
	m, from := expectMsg(t, proxy, "200 for the BYE", func(m *sip.Msg) bool {
		_, method, _ := m.CSeq()
		return !m.IsRequest() && m.StatusCode() == 200 && string(method) == "BYE"
	})
	if from != lb.priv || m.Count(sip.HdrVia) != 1 {
		t.Errorf("BYE's 200 from %s with %d Vias; want from %s with one", from, m.Count(sip.HdrVia), lb.priv)
	}
	if err := waitSipp(t, phone, 20*time.Second).Check(1, 0); err != nil {
		t.Errorf("phone: %v", err)
	}
}

// TestLBFailoverOnKill: a backend dies in the middle of a run of calls.
//
// Probing is off: the OPTIONS probes would reach the SIPp call backends,
// which count them as unexpected calls. The LB notices the death from
// the traffic instead: an INVITE it sent there times out (Timer B, 64*T1,
// 3.2 s with T1 = 50 ms), it reports the failure (failure_threshold 1
// takes the backend out of rotation at once) and fails the INVITE over to
// the live backend, well within the phone's 8 s receive timeout. The
// backends are uas_answer, which absorb the INVITE retransmissions that a
// 50 ms T1 brings on a loaded machine (uas_call aborts on them).
//
// So the only calls that may fail are those the dead backend had already
// answered when it died: their BYE (or the rest of their INVITE
// transaction) has nowhere to go. Those were in progress at the kill, and
// SIPp's -l caps the calls in progress at callLimit: that is the bound.
// At 20 calls/s with calls of 100 ms, about one is expected.
func TestLBFailoverOnKill(t *testing.T) {
	testenv.SkipIfShort(t)
	t.Parallel()
	const base, calls, callLimit = 174, 200, 10
	a := startBackend(t, "backend-a", "uas_answer", lbIP(t, base, 3), calls)
	b := startBackend(t, "backend-b", "uas_answer", lbIP(t, base, 4), calls)
	lb := startLB(t, lbOptions{base: base, list: proxySet(a, b), t1: 50 * time.Millisecond,
		probe: "mode: off\nfailure_threshold: 1"})

	uac := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_call"), Name: "phone",
		Remote: lb.pub, Local: lbIP(t, base, 2), Service: "bob", MaxCalls: calls, Rate: 20, Limit: callLimit,
		CallLength: 100 * time.Millisecond, RecvTimeout: 8 * time.Second, Timeout: 60 * time.Second})

	// About 20 calls in (INVITE, ACK and BYE each), kill backend a.
	waitUntil(t, "20 calls forwarded", 20*time.Second, func() (bool, string) {
		n := lb.forwarded()
		return n >= 60, fmt.Sprintf("%v requests forwarded", n)
	})
	ka, err := a.Kill()
	if err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	t.Logf("killed backend a after its last statistics: %s", ka)

	took := lb.waitState(uri(a), "inactive", 64*50*time.Millisecond+5*time.Second)
	t.Logf("backend a inactive %s after the kill", took)

	r := waitSipp(t, uac, 90*time.Second)
	t.Logf("phone: %s (run ended %s after the kill)", r, time.Since(killedAt).Round(time.Millisecond))
	if r.Created != calls || r.Current != 0 || r.Successful+r.Failed != calls {
		t.Errorf("phone: %s; want all %d calls made and ended", r, calls)
	}
	if r.Failed > callLimit {
		t.Errorf("phone: %d calls failed; at most the %d in progress at the kill may", r.Failed, callLimit)
	}
	ds := lb.dests()
	if got := ds[uri(a)]; got.State != "inactive" || got.Failures == 0 {
		t.Errorf("backend a: %+v; want inactive with traffic failures", got)
	}
	if got := ds[uri(b)]; got.State != "active" {
		t.Errorf("backend b: %+v; want active", got)
	}
	if n := lb.metric("sipfleet_lb_failovers_total"); n < 1 {
		t.Errorf("LB failed over %v times; the INVITEs sent to the dead backend should have", n)
	}
	rb := stopSipp(t, b)
	t.Logf("backend b: %s", rb)
	if rb.Failed != 0 {
		t.Errorf("backend b: %d failed calls", rb.Failed)
	}
}

// TestLBProbing: OPTIONS probing takes a dead backend out of rotation and
// brings it back once it answers again. The backend starts "trying"
// (flag 2), out of rotation until probes succeed, so its going active
// proves probing works; then it is killed, and a new one is started on
// the same port.
func TestLBProbing(t *testing.T) {
	t.Parallel()
	const base = 182
	const interval = 200 * time.Millisecond
	// A probe every 200 ms; 5 probes a second at most, for the test's life.
	const probes = 1000
	ip := lbIP(t, base, 3)
	first := startBackend(t, "backend", "uas_options", ip, probes)
	dst := uri(first)
	lb := startLB(t, lbOptions{base: base, list: "1 " + dst + " 2 0\n",
		probe: fmt.Sprintf("mode: all\ninterval: %s\ntimeout: %s\nfailure_threshold: 1\nsuccess_threshold: 1",
			interval, interval)})

	// With both thresholds at 1 a state changes on the first probe that
	// disagrees: at most a round (interval) and a probe's timeout, 0.4 s.
	// The bound leaves room for a loaded machine.
	const within = 5 * time.Second
	took := lb.waitState(dst, "active", within)
	t.Logf("active after %s", took)
	if d := lb.dests()[dst]; d.ProbeOK == 0 {
		t.Errorf("active without a successful probe: %+v", d)
	}

	if _, err := first.Kill(); err != nil {
		t.Fatal(err)
	}
	took = lb.waitState(dst, "inactive", within)
	d := lb.dests()[dst]
	t.Logf("inactive %s after the kill: %+v", took, d)
	if d.ProbeFail == 0 || d.LastError == "" {
		t.Errorf("inactive without a failed probe on record: %+v", d)
	}

	second := testenv.StartUAS(t, testenv.SippOptions{Scenario: Scenario(t, "uas_options"), Name: "backend-again",
		Local: ip, Port: int(first.Addr().Port()), MaxCalls: probes, Timeout: backendTimeout})
	took = lb.waitState(dst, "active", within)
	t.Logf("active again %s after the restart", took)
	if r := stopSipp(t, second); r.Successful == 0 || r.Failed != 0 {
		t.Errorf("new backend: %s; want probes answered and nothing unexpected", r)
	}
}

// TestLBFailover503: the first destination by priority refuses every
// INVITE with 503; the LB ACKs the 503 itself and tries the next one
// (max_failover 2), so every call succeeds there and the phone never
// hears of the 503. The failure threshold is high so the refusing backend
// stays in rotation and sees every INVITE.
func TestLBFailover503(t *testing.T) {
	t.Parallel()
	const base, calls = 190, 10
	a := startBackend(t, "backend-503", "uas_503", lbIP(t, base, 3), calls)
	b := startBackend(t, "backend-ok", "uas_call", lbIP(t, base, 4), calls)
	list := fmt.Sprintf("1 %s 0 10\n1 %s 0 0\n", uri(a), uri(b))
	lb := startLB(t, lbOptions{base: base, list: list, algorithm: "priority", maxFailover: 2,
		probe: "mode: off\nfailure_threshold: 100"})

	phone := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_call"), Name: "phone",
		Remote: lb.pub, Local: lbIP(t, base, 2), Service: "bob", MaxCalls: calls, Rate: 20})
	if err := waitSipp(t, phone, 40*time.Second).Check(calls, 0); err != nil {
		t.Errorf("phone: %v", err)
	}
	// uas_503 counts a call when the ACK of its 503 comes, and exits
	// after calls of them; the good backend is stopped.
	if err := waitSipp(t, a, 20*time.Second).Check(calls, 0); err != nil {
		t.Errorf("backend answering 503: %v", err)
	}
	// Its calls are done (the phone's are); its statistics show them
	// within a second, and a SIPp stopped before that reports none.
	waitUntil(t, "the good backend's statistics", 10*time.Second, func() (bool, string) {
		r, err := b.Progress()
		return err == nil && r.Successful >= calls, fmt.Sprintf("%+v, %v", r, err)
	})
	if err := stopSipp(t, b).Check(calls, 0); err != nil {
		t.Errorf("backend answering 200: %v", err)
	}
	if n := lb.metric("sipfleet_lb_failovers_total"); n != calls {
		t.Errorf("LB failed over %v times, want %d", n, calls)
	}
}

// TestLBReloadUnderLoad: the dispatcher list changes twice while calls
// flow, once reloaded through the API and once by SIGHUP, each time
// adding a backend. No call is lost, each new backend gets calls once it
// is in the list, and the old destinations keep their counters.
func TestLBReloadUnderLoad(t *testing.T) {
	testenv.SkipIfShort(t)
	t.Parallel()
	const base, calls = 198, 160
	var backends []*testenv.Sipp
	for i, name := range []string{"a", "b", "c", "d"} {
		backends = append(backends, startBackend(t, "backend-"+name, "uas_call", lbIP(t, base, 3+i), calls))
	}
	a, c, d := backends[0], backends[2], backends[3]
	lb := startLB(t, lbOptions{base: base, list: proxySet(backends[:2]...)})

	uac := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_call"), Name: "phone",
		Remote: lb.pub, Local: lbIP(t, base, 2), Service: "bob", MaxCalls: calls, Rate: 20,
		CallLength: 100 * time.Millisecond, Timeout: 60 * time.Second})
	waitUntil(t, "15 calls forwarded", 20*time.Second, func() (bool, string) {
		n := lb.forwarded()
		return n >= 45, fmt.Sprintf("%v requests forwarded", n)
	})
	before := lb.dests()[uri(a)].Selected

	// Reload through the API: c joins.
	lb.writeList(proxySet(backends[:3]...))
	var sum struct{ Destinations, Added, Removed, Kept int }
	if err := json.Unmarshal(lb.do(http.MethodPost, "/v1/dispatcher/reload"), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Destinations != 3 || sum.Added != 1 || sum.Removed != 0 || sum.Kept != 2 {
		t.Errorf("API reload: %+v; want 3 destinations, 1 added, 2 kept", sum)
	}
	waitUntil(t, "backend c selected after the API reload", 5*time.Second, func() (bool, string) {
		got := lb.dests()[uri(c)]
		return got.Selected > 0, fmt.Sprintf("%+v", got)
	})
	if after := lb.dests()[uri(a)].Selected; after < before {
		t.Errorf("backend a's selections went from %d to %d across the reload; its counters should carry over", before, after)
	}

	// Reload by SIGHUP: d joins.
	lb.writeList(proxySet(backends...))
	if err := lb.node.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "backend d selected after SIGHUP", 5*time.Second, func() (bool, string) {
		got, ok := lb.dests()[uri(d)]
		return ok && got.Selected > 0, fmt.Sprintf("listed %v: %+v", ok, got)
	})
	if err := waitSipp(t, uac, 60*time.Second).Check(calls, 0); err != nil {
		t.Errorf("phone: %v; reloads must lose no call", err)
	}

	total := 0
	for i, s := range backends {
		r := stopSipp(t, s)
		t.Logf("backend %c: %s", 'a'+i, r)
		total += r.Successful
		if r.Failed != 0 || r.Successful == 0 {
			t.Errorf("backend %c: %s; want calls and no failure", 'a'+i, r)
		}
	}
	if total != calls {
		t.Errorf("backends completed %d calls in all, want %d", total, calls)
	}
}

// TestLBFailoverAcrossReload: a call whose INVITE is waiting on a dead
// destination when the dispatcher list is reloaded still fails over to
// the live one. The first destination by priority takes INVITEs and
// never answers (uas_silent); the list is reloaded, unchanged, while the
// INVITE's Timer B (64*T1 = 3.2 s) runs; when it fires, the LB must try
// the second destination, and must not blame it for anything.
func TestLBFailoverAcrossReload(t *testing.T) {
	testenv.SkipIfShort(t)
	t.Parallel()
	const base = 230
	silent := startBackend(t, "backend-silent", "uas_silent", lbIP(t, base, 3), 5)
	good := startBackend(t, "backend-ok", "uas_answer", lbIP(t, base, 4), 5)
	list := fmt.Sprintf("1 %s 0 10\n1 %s 0 0\n", uri(silent), uri(good))
	lb := startLB(t, lbOptions{base: base, list: list, algorithm: "priority", t1: 50 * time.Millisecond,
		probe: "mode: off\nfailure_threshold: 100"})

	phone := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_call"), Name: "phone",
		Remote: lb.pub, Local: lbIP(t, base, 2), Service: "bob", MaxCalls: 1, RecvTimeout: 8 * time.Second})
	waitUntil(t, "the INVITE sent to the silent backend", 10*time.Second, func() (bool, string) {
		d := lb.dests()[uri(silent)]
		return d.Selected > 0, fmt.Sprintf("%+v", d)
	})
	var sum struct{ Destinations, Kept int }
	if err := json.Unmarshal(lb.do(http.MethodPost, "/v1/dispatcher/reload"), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Destinations != 2 || sum.Kept != 2 {
		t.Fatalf("reload: %+v; want both destinations kept", sum)
	}
	if err := waitSipp(t, phone, 30*time.Second).Check(1, 0); err != nil {
		t.Errorf("phone: %v; the INVITE should have failed over to %s", err, uri(good))
	}
	if d := lb.dests()[uri(good)]; d.Failures != 0 || d.State != "active" {
		t.Errorf("live backend: %+v; want active with no failure reported", d)
	}
	if err := stopSipp(t, good).Check(1, 0); err != nil {
		t.Errorf("live backend: %v", err)
	}
}

// TestLBTCP: a phone on TCP calls through the LB's public TCP listener to
// a UDP backend; responses go back on the phone's connection, and its ACK
// and BYE follow the route set over TCP too.
func TestLBTCP(t *testing.T) {
	t.Parallel()
	const base, calls = 206, 3
	backend := startBackend(t, "backend", "uas_call", lbIP(t, base, 3), calls)
	lb := startLB(t, lbOptions{base: base, list: proxySet(backend), tcp: true})

	phone := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_call"), Name: "phone",
		Remote: lb.pub, Local: lbIP(t, base, 2), Transport: "t1", Service: "bob", MaxCalls: calls, Rate: 20})
	if err := waitSipp(t, phone, 40*time.Second).Check(calls, 0); err != nil {
		t.Errorf("phone: %v", err)
	}
	if err := waitSipp(t, backend, 20*time.Second).Check(calls, 0); err != nil {
		t.Errorf("backend: %v", err)
	}
	// SIPp's t1 is one connection: every response went back on it, the LB
	// never dialled the phone.
	accepted := lb.metric(`sipfleet_transport_connections_accepted_total{role="lb"}`)
	dialed := lb.metric(`sipfleet_transport_connections_dialed_total{role="lb"}`)
	if accepted != 1 || dialed != 0 {
		t.Errorf("LB accepted %v and dialled %v TCP connections; want the phone's one, and none dialled", accepted, dialed)
	}
}

// TestLBCancel: a phone cancels a ringing call. The LB answers the CANCEL
// 200 itself and cancels its INVITE at the backend it went to with a
// CANCEL of its own; the backend answers that CANCEL, its 487 reaches the
// phone, and the LB ACKs the 487 downstream. The backend is
// uas_ring_proxied: uas_ring_forever's 487 copies the CANCEL's Via, which
// behind a proxy lacks the caller's (see the scenario's comment).
func TestLBCancel(t *testing.T) {
	t.Parallel()
	const base, calls = 214, 3
	backend := startBackend(t, "backend", "uas_ring_proxied", lbIP(t, base, 3), calls)
	lb := startLB(t, lbOptions{base: base, list: proxySet(backend)})

	phone := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_cancel"), Name: "phone",
		Remote: lb.pub, Local: lbIP(t, base, 2), Service: "bob", MaxCalls: calls, Rate: 20})
	if err := waitSipp(t, phone, 40*time.Second).Check(calls, 0); err != nil {
		t.Errorf("phone: %v", err)
	}
	if err := waitSipp(t, backend, 20*time.Second).Check(calls, 0); err != nil {
		t.Errorf("backend: %v", err)
	}
	// The backend's 200 for the LB's own CANCEL has only the LB's Via; it
	// answers a request the LB made and must not count as forged (nor be
	// dropped, leaving the CANCEL to be retransmitted until Timer F).
	if n := lb.metric("sipfleet_lb_dropped_forged_responses_total"); n != 0 {
		t.Errorf("LB dropped %v responses as forged; the 200s for its own CANCELs are not", n)
	}
}

// TestLBScenarios proves the scenarios the LB tests added, without the
// LB, as scenarios_test.go does for the others: uas_ring_proxied against
// uac_cancel, and uas_answer against a hand-driven caller that sends its
// INVITE twice, as a proxy retransmitting it would.
func TestLBScenarios(t *testing.T) {
	t.Parallel()
	const base = 214 // TestLBCancel's block, from +4
	t.Run("ring_proxied", func(t *testing.T) {
		uas := startBackend(t, "callee", "uas_ring_proxied", lbIP(t, base, 5), 2)
		uac := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_cancel"), Name: "caller",
			Remote: uas.Addr(), Local: lbIP(t, base, 4), Service: "bob", MaxCalls: 2, Rate: 20})
		if err := waitSipp(t, uac, 40*time.Second).Check(2, 0); err != nil {
			t.Errorf("caller: %v", err)
		}
		if err := waitSipp(t, uas, 20*time.Second).Check(2, 0); err != nil {
			t.Errorf("callee: %v", err)
		}
	})
	t.Run("answer", func(t *testing.T) {
		uas := startBackend(t, "callee", "uas_answer", lbIP(t, base, 7), 1)
		caller := testenv.NewSIPClient(t, testenv.AddrPort(lbIP(t, base, 6), 0))
		d := dialog{from: fmt.Sprintf("<sip:alice@%s>;tag=a1", caller.Addr()), to: fmt.Sprintf("<sip:bob@%s>", uas.Addr()),
			callID: "answer-1@" + caller.Addr().String(), via: caller.Addr().String()}
		invite := d.request("INVITE", "sip:bob@"+uas.Addr().String(), 1, "Contact: <sip:alice@"+caller.Addr().String()+">")
		var ok *sip.Msg
		for range 2 { // the INVITE and its retransmission: a 200 each
			caller.Send(uas.Addr(), invite)
			ok = expectResponse(t, caller, 200)
		}
		d.to = header(ok, "To")
		caller.Send(uas.Addr(), d.request("ACK", "sip:uas@"+uas.Addr().String(), 1))
		caller.Send(uas.Addr(), d.request("BYE", "sip:uas@"+uas.Addr().String(), 2))
		expectMsg(t, caller, "200 for the BYE", func(m *sip.Msg) bool {
			_, method, _ := m.CSeq()
			return !m.IsRequest() && m.StatusCode() == 200 && string(method) == "BYE"
		})
		if err := waitSipp(t, uas, 20*time.Second).Check(1, 0); err != nil {
			t.Errorf("callee: %v", err)
		}
	})
}

// TestLBKeepalive: an OPTIONS for the LB itself is answered 200 by the
// LB, and nothing reaches a backend.
func TestLBKeepalive(t *testing.T) {
	t.Parallel()
	const base, pings = 222, 3
	// A destination nobody listens on: nothing may be sent there.
	unused := testenv.AddrPort(lbIP(t, base, 3), testenv.FreeUDPPort(t, lbIP(t, base, 3)))
	lb := startLB(t, lbOptions{base: base, list: "1 sip:" + unused.String() + " 0 0\n"})

	monitor := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_options"), Name: "monitor",
		Remote: lb.pub, Local: lbIP(t, base, 2), MaxCalls: pings, Rate: 20})
	if err := waitSipp(t, monitor, 40*time.Second).Check(pings, 0); err != nil {
		t.Errorf("monitor: %v", err)
	}
	if n := lb.forwarded(); n != 0 {
		t.Errorf("LB forwarded %v requests; keepalives are its own to answer", n)
	}
	if n := lb.metric("sipfleet_lb_local_replies_total"); n < pings {
		t.Errorf("LB answered %v requests itself, want at least %d", n, pings)
	}
}
