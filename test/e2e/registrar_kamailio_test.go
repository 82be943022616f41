package e2e

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/testenv"
)

// kamailioModules is where Debian's kamailio packages put the modules;
// db_mysql.so comes from kamailio-mysql-modules.
const kamailioModules = "/usr/lib/x86_64-linux-gnu/kamailio/modules"

// Bounds of a Kamailio run in a test.
const (
	kamReadyWait = 10 * time.Second
	kamStopGrace = 5 * time.Second
)

// kamailioCfg is a Kamailio 5.6 registrar on usrloc db_mode=3 (every
// save() and lookup() goes to SQL, as in ../shared/bench/kamailio/
// registrar.cfg) that also routes: a request for a user is looked up in
// the location table and forwarded, statelessly, to the contact found;
// one for the server itself (no user) gets 200, which tells the test
// Kamailio is up. %[1]s is the database URL, %[2]d use_domain.
const kamailioCfg = `#!KAMAILIO
debug=2
log_stderror=yes
disable_tcp=yes
enable_sctp=no
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=off

loadmodule "db_mysql.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"

modparam("usrloc", "db_url", "%[1]s")
modparam("usrloc", "db_mode", 3)
modparam("usrloc", "use_domain", %[2]d)
modparam("usrloc", "db_ops_ruid", 1)
modparam("registrar", "use_path", 1)
modparam("registrar", "path_mode", 0)
modparam("registrar", "path_use_received", 1)

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (is_method("REGISTER")) {
		if (!save("location")) {
			sl_reply_error();
		}
		exit;
	}
	if ($rU == $null) {
		sl_send_reply("200", "OK");
		exit;
	}
	if (!lookup("location")) {
		sl_send_reply("404", "Not Found");
		exit;
	}
	forward();
	exit;
}
`

// startKamailio runs Kamailio with kamailioCfg on ip (one UDP worker)
// and waits until it answers an OPTIONS. It is stopped when the test
// ends; its log is printed if the test failed.
func startKamailio(t *testing.T, ip netip.Addr, dbURL string, useDomain int) netip.AddrPort {
	t.Helper()
	testenv.RequireBinary(t, "kamailio")
	if _, err := os.Stat(filepath.Join(kamailioModules, "db_mysql.so")); err != nil {
		msg := "kamailio's db_mysql module is missing (apt-get install kamailio-mysql-modules)"
		if testenv.InCI() {
			t.Fatal(msg)
		}
		t.Skip(msg + "; skipping (in CI this fails)")
	}
	// Kamailio writes DATETIMEs in its local time, sipfleet in UTC (see
	// internal/store's doc): a Kamailio sharing the table runs in UTC.
	return runKamailio(t, ip, fmt.Sprintf(kamailioCfg, dbURL, useDomain), "TZ=UTC")
}

// runKamailio runs Kamailio with the config text cfg on a free UDP port
// of ip (one worker), with env added to its environment, and waits until
// it answers an OPTIONS for itself with 200 (the configs say so for a
// request without a user). It is stopped when the test ends; its log is
// printed if the test failed.
func runKamailio(t *testing.T, ip netip.Addr, cfg string, env ...string) netip.AddrPort {
	t.Helper()
	bin := testenv.RequireBinary(t, "kamailio")
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "kamailio.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := testenv.AddrPort(ip, testenv.FreeUDPPort(t, ip))
	logPath := filepath.Join(dir, "kamailio.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", cfgPath, "-l", "udp:"+addr.String(), "-n", "1", "-m", "32", "-M", "4",
		"-DD", "-E", "-w", dir, "-Y", dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	// Its own process group, so that stopping it reaches its children;
	// and gone if the test binary dies.
	cmd.SysProcAttr = testenv.GroupDyingWithParent()
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start kamailio: %v", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	t.Cleanup(func() {
		pgid := cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(kamStopGrace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
			t.Errorf("kamailio: still running %s after SIGTERM; killed", kamStopGrace)
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("kamailio log %s:\n%s", logPath, b)
		}
	})
	probe := testenv.NewSIPClient(t, testenv.AddrPort(ip, 0))
	deadline := time.Now().Add(kamReadyWait)
	for n := 1; ; n++ {
		select {
		case <-done:
			t.Fatalf("kamailio exited before it was ready")
		default:
		}
		probe.Send(addr, testenv.CRLF(fmt.Sprintf("OPTIONS sip:%[1]s SIP/2.0\nVia: SIP/2.0/UDP %[2]s;branch=z9hG4bK-kprobe-%[3]d\n"+
			"Max-Forwards: 70\nFrom: <sip:probe@%[2]s>;tag=p%[3]d\nTo: <sip:%[1]s>\nCall-ID: kprobe-%[3]d@%[2]s\n"+
			"CSeq: %[3]d OPTIONS\nContent-Length: 0\n\n", addr, probe.Addr(), n)))
		b, _, err := probe.Recv(200 * time.Millisecond)
		if err == nil && strings.HasPrefix(string(b), "SIP/2.0 200 ") {
			t.Logf("kamailio: pid %d ready on %s", cmd.Process.Pid, addr)
			return addr
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("kamailio: no 200 to OPTIONS on %s within %s", addr, kamReadyWait)
		}
	}
}

// kamRequest sends an OPTIONS for user@regDomain from caller to
// Kamailio, which looks the user up and forwards it.
func kamRequest(t *testing.T, caller *testenv.SIPClient, kam netip.AddrPort, user string, n int) {
	t.Helper()
	caller.Send(kam, testenv.CRLF(fmt.Sprintf("OPTIONS sip:%[1]s@%[2]s SIP/2.0\nVia: SIP/2.0/UDP %[3]s;branch=z9hG4bK-kopt-%[4]d\n"+
		"Max-Forwards: 70\nFrom: <sip:caller@%[2]s>;tag=c%[4]d\nTo: <sip:%[1]s@%[2]s>\nCall-ID: kopt-%[4]d-%[5]s@%[3]s\n"+
		"CSeq: 1 OPTIONS\nContent-Length: 0\n\n", user, regDomain, caller.Addr(), n, regRandom(4))))
}

// TestRegistrarKamailioInterop (issue 4, "Interop"): Kamailio 5.6's
// registrar with usrloc db_mode=3 and sipfleet's share one MariaDB
// database, migrated by `sipfleet db migrate`. A binding sipfleet saved
// is found by Kamailio's lookup("location"): an OPTIONS for the AoR sent
// to Kamailio reaches the phone at its registered contact and the
// phone's 200 comes back. A binding Kamailio saved is listed by `sipfleet
// contacts list`, and sipfleet's registrar reports it in the 200 to a
// query REGISTER and refreshes it in place. Kamailio runs both with
// use_domain=1 (AoRs are user@domain, as sipfleet keeps them) and with
// use_domain=0 (the benchmark's setting: Kamailio stores the user alone,
// with a NULL domain), sipfleet's registrar with the matching use_domain,
// so both see one row per binding. Addresses .92 to .99.
func TestRegistrarKamailioInterop(t *testing.T) {
	testenv.SkipIfShort(t)
	for i, useDomain := range []int{1, 0} {
		t.Run(fmt.Sprintf("use_domain=%d", useDomain), func(t *testing.T) {
			t.Parallel()
			base := 92 + 4*i
			d := regFreshDB(t, "mysql")
			regMigrate(t, d)
			// Each registrar matches AoRs as the other does: with the
			// domain, or (use_domain=0, single-domain setups) by user alone.
			reg := startRegistrar(t, regOptions{ip: testenv.LoopbackIP(t, base), dsn: d.dsn, noDomain: useDomain == 0})
			kam := startKamailio(t, testenv.LoopbackIP(t, base+1), kamailioURL(t, d.dsn), useDomain)
			caller := testenv.NewSIPClient(t, testenv.AddrPort(testenv.LoopbackIP(t, base+3), 0))

			// sipfleet saves, Kamailio looks up.
			alice := newRegUA(t, testenv.LoopbackIP(t, base+2), "alice")
			alice.register(reg.sip, 300)
			kamRequest(t, caller, kam, "alice", 1)
			req, from := expectRequest(t, alice.c, "OPTIONS")
			if got := string(req.RequestURIBytes()); got != alice.contact {
				t.Errorf("Kamailio forwarded the OPTIONS for alice with Request-URI %s; want her contact %s", got, alice.contact)
			}
			reply(alice.c, from, req, 200, "a1")
			expectResponse(t, caller, 200)
			kamRequest(t, caller, kam, "nobody", 2)
			expectResponse(t, caller, 404)

			// Kamailio saves, sipfleet lists and serves.
			bob := newRegUA(t, testenv.LoopbackIP(t, base+2), "bob")
			if m := bob.do(kam, bob.request(bob.contact, 300)); m.StatusCode() != 200 {
				t.Fatalf("REGISTER bob to Kamailio: %s", m.StartLine())
			}
			bobAOR, wantDomain := "bob@"+regDomain, regDomain
			if useDomain == 0 {
				bobAOR, wantDomain = "bob", ""
			}
			if out := regContacts(t, d, bobAOR); !strings.Contains(out, bob.contact) {
				t.Errorf("contacts list %s lacks Kamailio's binding %s:\n%s", bobAOR, bob.contact, out)
			}
			rows := d.rows(t)
			if len(rows) != 2 || rows[1].User != "bob" || rows[1].Domain != wantDomain || rows[1].Contact != bob.contact {
				t.Fatalf("location holds %+v; want alice's binding, then bob's from Kamailio (domain %q)", rows, wantDomain)
			}
			query := bob.do(reg.sip, bob.request("", 0))
			if got := regContactsOf(t, query); query.StatusCode() != 200 || len(got) != 1 || !strings.HasPrefix(got[0], "<"+bob.contact+">") {
				t.Errorf("query REGISTER for bob to sipfleet: %s listing %v; want 200 with %s", query.StartLine(), got, bob.contact)
			}
			bob.register(reg.sip, 600)
			if rows := d.rows(t); len(rows) != 2 || rows[1].CSeq != bob.cseq || rows[1].Contact != bob.contact {
				t.Errorf("after sipfleet refreshed bob: %+v; want Kamailio's row refreshed in place (CSeq %d)", rows, bob.cseq)
			}
			kamRequest(t, caller, kam, "bob", 3)
			req, from = expectRequest(t, bob.c, "OPTIONS")
			reply(bob.c, from, req, 200, "b1")
			expectResponse(t, caller, 200)
		})
	}
}

// kamailioURL is Kamailio's db_url for a sipfleet mysql:// URL: the same
// form, without sipfleet's query parameters.
func kamailioURL(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.RawQuery = ""
	if u.Port() == "" {
		u.Host += ":3306"
	}
	return u.String()
}
