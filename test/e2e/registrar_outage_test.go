package e2e

import (
	"io"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/testenv"
)

// regProxyMode is how regProxy treats connections.
type regProxyMode int

const (
	regForward   regProxyMode = iota // relay to the database
	regRefuse                        // accept and close at once: the server is down
	regBlackhole                     // accept and never answer: the network is cut
)

// regProxy stands between a registrar and its database server, so that a
// test takes the database away and brings it back without touching the
// server, which others share. Changing the mode drops every connection
// it holds.
type regProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	mode  regProxyMode
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startRegProxy(t *testing.T, ip netip.Addr, target string) *regProxy {
	t.Helper()
	ln, err := net.Listen("tcp", netip.AddrPortFrom(ip, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	p := &regProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.set(regRefuse)
		p.wg.Wait()
	})
	return p
}

func (p *regProxy) addr() string { return p.ln.Addr().String() }

func (p *regProxy) set(m regProxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// track keeps cs unless the mode changed from m meanwhile.
func (p *regProxy) track(m regProxyMode, cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode != m {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *regProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		m := p.mode
		p.mu.Unlock()
		switch m {
		case regRefuse:
			c.Close()
		case regBlackhole:
			if !p.track(m, c) {
				c.Close()
			}
		case regForward:
			p.wg.Go(func() { p.relay(c) })
		}
	}
}

func (p *regProxy) relay(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(regForward, c, up) {
		c.Close()
		up.Close()
		return
	}
	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		dst.Close()
		src.Close()
	}
	wg.Go(func() { pipe(up, c) })
	wg.Go(func() { pipe(c, up) })
	wg.Wait()
}

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
			proxy := startRegProxy(t, ip, u.Host)
			u.Host = proxy.addr()
			const queryTimeout = time.Second
			reg := startRegistrar(t, regOptions{ip: ip, dsn: u.String(), auth: true, queryTimeout: queryTimeout})
			ua := newRegUA(t, testenv.LoopbackIP(t, 89+2*i), "alice")
			ua.register(reg.sip, 300)

			outage := func(mode regProxyMode, requests int) {
				t.Helper()
				proxy.set(mode)
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
				proxy.set(regForward)
				// The first REGISTER back may meet a pooled connection the
				// outage broke; the store sends it again on a fresh one.
				for n := range 3 {
					if m := ua.register(reg.sip, 300); len(regContactsOf(t, m)) != 1 {
						t.Errorf("REGISTER %d after the outage: 200 lists %v", n, regContactsOf(t, m))
					}
				}
			}
			outage(regRefuse, 3)
			outage(regBlackhole, 2)

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
