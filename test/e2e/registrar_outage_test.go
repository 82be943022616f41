package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/testenv"
)

// TestRegistrarDBOutage (issue 4: "When the database is down the
// registrar answers 500/503 with Retry-After, logs it once per outage,
// and recovers by itself when the database returns"): the registrar
// reaches its database through a proxy of the test's, which takes the
// database away twice — as a server that refuses connections, then as a
// network that swallows them — without touching the real server. During
// each outage every authenticated REGISTER gets 503 with Retry-After
// within the query timeout, and /readyz says not ready; after it, the
// same node registers again. Each outage is logged once, as is its end.
// Addresses .88 to .91.
func TestRegistrarDBOutage(t *testing.T) {
	testenv.SkipIfShort(t)
	for i, engine := range []string{"mysql", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			d := regFreshDB(t, engine)
			regMigrate(t, d, "alice")
			ip := testenv.LoopbackIP(t, 88+2*i)
			u, err := url.Parse(d.dsn)
			if err != nil {
				t.Fatal(err)
			}
			proxy := testenv.StartTCPProxy(t, ip, u.Host)
			u.Host = proxy.Addr()
			const queryTimeout = time.Second
			reg := startRegistrar(t, regOptions{ip: ip, dsn: u.String(), auth: true, queryTimeout: queryTimeout})
			ua := newRegUA(t, testenv.LoopbackIP(t, 89+2*i), "alice")
			ua.register(reg.sip, 300)

			outage := func(mode testenv.ProxyMode, requests int) {
				t.Helper()
				proxy.Set(mode)
				for n := range requests {
					start := time.Now()
					m := ua.do(reg.sip, ua.request(ua.contact, 300, ua.authorization()))
					took := time.Since(start)
					if m.StatusCode() != 503 || header(m, "Retry-After") == "" {
						t.Errorf("mode %d, REGISTER %d with the database away: %s, Retry-After %q; want 503 with Retry-After",
							mode, n, m.StartLine(), header(m, "Retry-After"))
					}
					if took > queryTimeout+time.Second {
						t.Errorf("mode %d, REGISTER %d: answered after %v; want within the query timeout %v", mode, n, took, queryTimeout)
					}
				}
				if code, body := reg.get("/readyz"); code == 200 {
					t.Errorf("/readyz during the outage: %d %s", code, body)
				}
				proxy.Set(testenv.ProxyForward)
				// The first REGISTER back may meet a pooled connection the
				// outage broke; the store sends it again on a fresh one.
				for n := range 3 {
					if m := ua.register(reg.sip, 300); len(regContactsOf(t, m)) != 1 {
						t.Errorf("REGISTER %d after the outage: 200 lists %v", n, regContactsOf(t, m))
					}
				}
			}
			outage(testenv.ProxyRefuse, 3)
			outage(testenv.ProxyBlackhole, 2)

			if rows := d.rows(t); len(rows) != 1 || rows[0].CSeq != ua.cseq {
				t.Errorf("location holds %+v; want alice's binding at CSeq %d", rows, ua.cseq)
			}
			logs := reg.node.Logs()
			for _, line := range []string{"location database unreachable", "location database reachable again"} {
				if n := strings.Count(logs, line); n != 2 {
					t.Errorf("the node logged %q %d times; want 2 (once per outage):\n%s", line, n, logs)
				}
			}
			if got := reg.counter("registered"); got != 7 {
				t.Errorf("registered %d; want 7", got)
			}
		})
	}
}
