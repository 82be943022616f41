package resolver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/sipfleet/sipfleet/internal/resolver/dnstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a Config.Now that tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// first is a Config.Rand that always draws 0: RFC 2782's selection then
// keeps the records of one priority in the order of the answer, weight-0
// ones first.
func first(int) int { return 0 }

// newResolver makes a Resolver asking servers, with a hand-moved clock
// unless cfg has one, and Rand first unless cfg has one.
func newResolver(t testing.TB, cfg Config, servers ...string) *Resolver {
	t.Helper()
	cfg.Nameservers = servers
	if cfg.Now == nil {
		cfg.Now = newClock().Now
	}
	if cfg.Rand == nil {
		cfg.Rand = first
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Second
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func strs(ts []Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}

func resolve(t testing.TB, r *Resolver, q Query) []string {
	t.Helper()
	ts, err := r.Resolve(context.Background(), q)
	if err != nil {
		t.Fatalf("Resolve(%+v): %v", q, err)
	}
	return strs(ts)
}

// zone is the test domain: example.com with NAPTR records for UDP, TCP
// and TLS, the SRV records they name, and addresses of the SRV targets.
var zone = []string{
	"example.com. 60 IN NAPTR 50 10 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.example.com.",
	"example.com. 60 IN NAPTR 90 10 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
	"example.com. 60 IN NAPTR 90 5 \"s\" \"SIP+D2T\" \"\" _sip._tcp.example.com.",
	"example.com. 60 IN NAPTR 100 10 \"s\" \"E2U+sip\" \"\" _sip._udp.example.com.",
	"example.com. 60 IN A 192.0.2.1",
	"example.com. 60 IN AAAA 2001:db8::1",
	"_sips._tcp.example.com. 60 IN SRV 10 10 5061 tls1.example.com.",
	"_sip._tcp.example.com. 60 IN SRV 10 10 5060 tcp1.example.com.",
	"_sip._udp.example.com. 60 IN SRV 20 10 5080 udp2.example.com.",
	"_sip._udp.example.com. 60 IN SRV 10 10 5070 udp1.example.com.",
	"tls1.example.com. 60 IN A 192.0.2.11",
	"tcp1.example.com. 60 IN A 192.0.2.21",
	"udp1.example.com. 60 IN A 192.0.2.31",
	"udp1.example.com. 60 IN A 192.0.2.32",
	"udp1.example.com. 60 IN AAAA 2001:db8::31",
	"udp2.example.com. 60 IN A 192.0.2.41",
}

func TestResolvePaths(t *testing.T) {
	tests := []struct {
		name       string
		zone       []string
		transports []string
		q          Query
		want       []string
		queries    int // -1: do not check
	}{
		{
			name: "IPv4 literal", zone: zone,
			q:    Query{Host: "192.0.2.7"},
			want: []string{"udp:192.0.2.7:5060 (192.0.2.7)"},
		},
		{
			name: "IPv6 literal in brackets, port and transport", zone: zone,
			q:    Query{Host: "[2001:db8::7]", Port: 5070, Transport: "tcp"},
			want: []string{"tcp:[2001:db8::7]:5070 (2001:db8::7)"},
		},
		{
			name: "IPv6 literal, sips", zone: zone,
			q:    Query{Host: "2001:db8::7", Secure: true},
			want: []string{"tls:[2001:db8::7]:5061 (2001:db8::7)"},
		},
		{
			name: "IPv4 literal, transport tls", zone: zone,
			q:    Query{Host: "192.0.2.7", Transport: "TLS"},
			want: []string{"tls:192.0.2.7:5061 (192.0.2.7)"},
		},
		{
			name: "port given: A and AAAA only, no NAPTR or SRV", zone: zone,
			q: Query{Host: "example.com", Port: 5099},
			want: []string{
				"udp:192.0.2.1:5099 (example.com)",
				"udp:[2001:db8::1]:5099 (example.com)",
			},
			queries: 2,
		},
		{
			name: "port and transport given", zone: zone,
			q: Query{Host: "example.com.", Port: 5099, Transport: "tcp"},
			want: []string{
				"tcp:192.0.2.1:5099 (example.com)",
				"tcp:[2001:db8::1]:5099 (example.com)",
			},
			queries: 2,
		},
		{
			name: "transport given: SRV of it", zone: zone,
			q: Query{Host: "example.com", Transport: "udp"},
			want: []string{
				"udp:192.0.2.31:5070 (udp1.example.com)",
				"udp:192.0.2.32:5070 (udp1.example.com)",
				"udp:[2001:db8::31]:5070 (udp1.example.com)",
				"udp:192.0.2.41:5080 (udp2.example.com)",
			},
			queries: 5, // SRV, A and AAAA of two targets
		},
		{
			name: "transport tls given: _sips._tcp", zone: zone,
			q:       Query{Host: "example.com", Transport: "tls"},
			want:    []string{"tls:192.0.2.11:5061 (tls1.example.com)"},
			queries: 3,
		},
		{
			name: "transport given, no SRV: the host on the default port",
			zone: []string{"example.com. 60 IN A 192.0.2.1"},
			q:    Query{Host: "example.com", Transport: "tls"},
			want: []string{"tls:192.0.2.1:5061 (example.com)"},
		},
		{
			name: "NAPTR, SRV, A: by order then preference", zone: zone,
			q: Query{Host: "example.com"},
			want: []string{
				"tcp:192.0.2.21:5060 (tcp1.example.com)", // order 90 preference 5
				"udp:192.0.2.31:5070 (udp1.example.com)", // order 90 preference 10
				"udp:192.0.2.32:5070 (udp1.example.com)",
				"udp:[2001:db8::31]:5070 (udp1.example.com)",
				"udp:192.0.2.41:5080 (udp2.example.com)",
			},
			queries: 1 + 2 + 2*3, // NAPTR; two SRV; A and AAAA of three targets
		},
		{
			name: "NAPTR with TLS configured first", zone: zone,
			transports: []string{"tls", "tcp"},
			q:          Query{Host: "EXAMPLE.com"},
			want: []string{
				"tls:192.0.2.11:5061 (tls1.example.com)", // order 50
				"tcp:192.0.2.21:5060 (tcp1.example.com)",
			},
		},
		{
			name: "NAPTR filtered by Transports", zone: zone,
			transports: []string{"udp"},
			q:          Query{Host: "example.com"},
			want: []string{
				"udp:192.0.2.31:5070 (udp1.example.com)",
				"udp:192.0.2.32:5070 (udp1.example.com)",
				"udp:[2001:db8::31]:5070 (udp1.example.com)",
				"udp:192.0.2.41:5080 (udp2.example.com)",
			},
		},
		{
			name: "sips: only SIPS+D2T", zone: zone,
			q:    Query{Host: "example.com", Secure: true},
			want: []string{"tls:192.0.2.11:5061 (tls1.example.com)"},
		},
		{
			name: "sips: with transport=tcp is TLS", zone: zone,
			q:    Query{Host: "example.com", Secure: true, Transport: "tcp"},
			want: []string{"tls:192.0.2.11:5061 (tls1.example.com)"},
		},
		{
			name: "no NAPTR: SRV of each transport in Transports order",
			zone: zone[4:], // without the NAPTR records
			q:    Query{Host: "example.com"},
			want: []string{
				"udp:192.0.2.31:5070 (udp1.example.com)",
				"udp:192.0.2.32:5070 (udp1.example.com)",
				"udp:[2001:db8::31]:5070 (udp1.example.com)",
				"udp:192.0.2.41:5080 (udp2.example.com)",
				"tcp:192.0.2.21:5060 (tcp1.example.com)",
			},
			queries: 1 + 2 + 2*3,
		},
		{
			name: "no NAPTR, sips: _sips._tcp",
			zone: zone[4:],
			q:    Query{Host: "example.com", Secure: true},
			want: []string{"tls:192.0.2.11:5061 (tls1.example.com)"},
		},
		{
			name: "no usable NAPTR: SRV",
			zone: append([]string{`example.com. 60 IN NAPTR 10 10 "s" "SIPS+D2T" "" _sips._tcp.example.com.`}, zone[4:]...),
			q:    Query{Host: "example.com"},
			want: []string{
				"udp:192.0.2.31:5070 (udp1.example.com)",
				"udp:192.0.2.32:5070 (udp1.example.com)",
				"udp:[2001:db8::31]:5070 (udp1.example.com)",
				"udp:192.0.2.41:5080 (udp2.example.com)",
				"tcp:192.0.2.21:5060 (tcp1.example.com)",
			},
		},
		{
			name: "no NAPTR nor SRV: the host, udp 5060",
			zone: []string{"example.com. 60 IN A 192.0.2.1", "example.com. 60 IN AAAA 2001:db8::1"},
			q:    Query{Host: "example.com"},
			want: []string{
				"udp:192.0.2.1:5060 (example.com)",
				"udp:[2001:db8::1]:5060 (example.com)",
			},
			queries: 1 + 2 + 2,
		},
		{
			name:       "no NAPTR nor SRV, TCP only: the host, tcp 5060",
			zone:       []string{"example.com. 60 IN A 192.0.2.1"},
			transports: []string{"tcp"},
			q:          Query{Host: "example.com"},
			want:       []string{"tcp:192.0.2.1:5060 (example.com)"},
		},
		{
			name: "no NAPTR nor SRV, sips: the host, tls 5061",
			zone: []string{"example.com. 60 IN A 192.0.2.1"},
			q:    Query{Host: "example.com", Secure: true},
			want: []string{"tls:192.0.2.1:5061 (example.com)"},
		},
		{
			name: "SRV target . skipped, the other transport used",
			zone: []string{
				"_sip._udp.example.com. 60 IN SRV 0 0 0 .",
				"_sip._tcp.example.com. 60 IN SRV 10 10 5060 tcp1.example.com.",
				"tcp1.example.com. 60 IN A 192.0.2.21",
				"example.com. 60 IN A 192.0.2.1",
			},
			q:    Query{Host: "example.com"},
			want: []string{"tcp:192.0.2.21:5060 (tcp1.example.com)"},
		},
		{
			name: "CNAME followed",
			zone: []string{
				"sip.example.com. 60 IN CNAME real.example.net.",
				"real.example.net. 60 IN A 192.0.2.9",
			},
			q:    Query{Host: "sip.example.com", Port: 5060},
			want: []string{"udp:192.0.2.9:5060 (sip.example.com)"},
		},
		{
			name: "several addresses per SRV target, by priority",
			zone: []string{
				"_sip._tcp.gw.example. 60 IN SRV 20 0 5062 b.gw.example.",
				"_sip._tcp.gw.example. 60 IN SRV 10 0 5061 a.gw.example.",
				"_sip._tcp.gw.example. 60 IN SRV 30 0 5063 c.gw.example.",
				"a.gw.example. 60 IN A 192.0.2.1",
				"a.gw.example. 60 IN A 192.0.2.2",
				"a.gw.example. 60 IN AAAA 2001:db8::1",
				"a.gw.example. 60 IN AAAA 2001:db8::2",
				"b.gw.example. 60 IN AAAA 2001:db8::3",
				"c.gw.example. 60 IN A 192.0.2.4",
			},
			q: Query{Host: "gw.example", Transport: "tcp"},
			want: []string{
				"tcp:192.0.2.1:5061 (a.gw.example)",
				"tcp:192.0.2.2:5061 (a.gw.example)",
				"tcp:[2001:db8::1]:5061 (a.gw.example)",
				"tcp:[2001:db8::2]:5061 (a.gw.example)",
				"tcp:[2001:db8::3]:5062 (b.gw.example)",
				"tcp:192.0.2.4:5063 (c.gw.example)",
			},
		},
		{
			name: "a target without addresses is skipped",
			zone: []string{
				"_sip._udp.gw.example. 60 IN SRV 10 0 5061 gone.gw.example.",
				"_sip._udp.gw.example. 60 IN SRV 20 0 5062 b.gw.example.",
				"b.gw.example. 60 IN A 192.0.2.2",
			},
			q:    Query{Host: "gw.example", Transport: "udp"},
			want: []string{"udp:192.0.2.2:5062 (b.gw.example)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := dnstest.Start(t, tt.zone...)
			r := newResolver(t, Config{Transports: tt.transports}, srv.Addr())
			got := resolve(t, r, tt.q)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Resolve(%+v) =\n\t%s\nwant\n\t%s", tt.q, strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
			if tt.queries != 0 && srv.Queries() != tt.queries {
				t.Errorf("%d queries, want %d", srv.Queries(), tt.queries)
			}
			if net.ParseIP(strings.Trim(tt.q.Host, "[]")) != nil && srv.Queries() != 0 {
				t.Errorf("an IP literal made %d queries", srv.Queries())
			}
		})
	}
}

func TestResolveSRVFields(t *testing.T) {
	srv := dnstest.Start(t,
		"_sip._tcp.gw.example. 60 IN SRV 10 60 5070 gw1.example.",
		"gw1.example. 60 IN A 192.0.2.1",
	)
	r := newResolver(t, Config{}, srv.Addr())
	ts, err := r.Resolve(context.Background(), Query{Host: "gw.example", Transport: "tcp"})
	if err != nil {
		t.Fatal(err)
	}
	want := Target{Addr: netip.MustParseAddrPort("192.0.2.1:5070"), Transport: "tcp", Host: "gw1.example", Priority: 10, Weight: 60}
	if len(ts) != 1 || ts[0] != want {
		t.Errorf("got %+v, want [%+v]", ts, want)
	}
}

func TestResolveErrors(t *testing.T) {
	srv := dnstest.Start(t,
		"_sip._udp.down.example. 60 IN SRV 0 0 0 .",
		"down.example. 60 IN A 192.0.2.1",
		"_sip._udp.nowhere.example. 60 IN SRV 10 0 5060 nowhere.example.",
		"noaddr.example. 60 IN TXT \"no address\"",
	)
	r := newResolver(t, Config{}, srv.Addr())
	tests := []struct {
		q    Query
		want error // nil: an error that is neither sentinel
	}{
		{Query{Host: "missing.example"}, ErrNotFound},
		{Query{Host: "missing.example", Port: 5060}, ErrNotFound},
		{Query{Host: "noaddr.example"}, ErrNotFound},
		// "." says the service is not there: no fallback to the A record.
		{Query{Host: "down.example", Transport: "udp"}, ErrNotFound},
		{Query{Host: "nowhere.example", Transport: "udp"}, ErrNotFound},
		{Query{Host: ""}, nil},
		{Query{Host: "bad name.example"}, nil},
		{Query{Host: "a..example"}, nil},
		{Query{Host: "sip;evil.example"}, nil},
		{Query{Host: "example.com", Port: 70000}, nil},
		{Query{Host: "example.com", Transport: "sctp"}, nil},
		{Query{Host: "example.com", Transport: "udp", Secure: true}, nil},
	}
	for _, tt := range tests {
		ts, err := r.Resolve(context.Background(), tt.q)
		switch {
		case err == nil:
			t.Errorf("Resolve(%+v) = %v, want an error", tt.q, strs(ts))
		case tt.want != nil && !errors.Is(err, tt.want):
			t.Errorf("Resolve(%+v) error %v, want %v", tt.q, err, tt.want)
		case tt.want == nil && (errors.Is(err, ErrNotFound) || errors.Is(err, ErrLookup)):
			t.Errorf("Resolve(%+v) error %v, want one of a bad query", tt.q, err)
		case errors.Is(err, ErrLookup):
			t.Errorf("Resolve(%+v) error %v is a lookup failure", tt.q, err)
		}
	}
}

func TestAdditionalSection(t *testing.T) {
	records := []string{
		`example.com. 60 IN NAPTR 10 10 "s" "SIP+D2U" "" _sip._udp.example.com.`,
		"_sip._udp.example.com. 60 IN SRV 10 10 5070 udp1.example.com.",
		"udp1.example.com. 60 IN A 192.0.2.31",
		"udp1.example.com. 60 IN AAAA 2001:db8::31",
		"_sip._tcp.example.com. 60 IN SRV 10 10 5060 tcp1.example.com.",
		"tcp1.example.com. 60 IN A 192.0.2.21",
	}
	want := []string{
		"udp:192.0.2.31:5070 (udp1.example.com)",
		"udp:[2001:db8::31]:5070 (udp1.example.com)",
	}
	for _, additional := range []bool{false, true} {
		t.Run(fmt.Sprint("additional=", additional), func(t *testing.T) {
			srv := dnstest.Start(t, records...)
			srv.Additional = additional
			r := newResolver(t, Config{}, srv.Addr())
			if got := resolve(t, r, Query{Host: "example.com"}); !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			// With the additional section the NAPTR answer carries all:
			// SRV, A and AAAA.
			if n, w := srv.Queries(), map[bool]int{false: 4, true: 1}[additional]; n != w {
				t.Errorf("NAPTR path: %d queries, want %d", n, w)
			}
			got := resolve(t, r, Query{Host: "example.com", Transport: "tcp"})
			if !slices.Equal(got, []string{"tcp:192.0.2.21:5060 (tcp1.example.com)"}) {
				t.Errorf("got %v", got)
			}
			// tcp1 has no AAAA: the additional section does not say so,
			// so it is asked.
			if n, w := srv.Queries(), map[bool]int{false: 4 + 3, true: 1 + 2}[additional]; n != w {
				t.Errorf("SRV path: %d queries in all, want %d", n, w)
			}
		})
	}
}

func TestWeightedOrderDeterministic(t *testing.T) {
	srv := dnstest.Start(t,
		"_sip._udp.gw.example. 60 IN SRV 10 60 5060 a.gw.example.",
		"_sip._udp.gw.example. 60 IN SRV 10 30 5060 b.gw.example.",
		"_sip._udp.gw.example. 60 IN SRV 10 0 5060 z.gw.example.",
		"_sip._udp.gw.example. 60 IN SRV 10 10 5060 c.gw.example.",
		"_sip._udp.gw.example. 60 IN SRV 5 10 5060 p.gw.example.",
		"a.gw.example. 60 IN A 192.0.2.1",
		"b.gw.example. 60 IN A 192.0.2.2",
		"c.gw.example. 60 IN A 192.0.2.3",
		"z.gw.example. 60 IN A 192.0.2.4",
		"p.gw.example. 60 IN A 192.0.2.5",
	)
	tests := []struct {
		draws []int
		want  string // hosts in order
		ns    []int  // the n of each Rand(n) call
	}{
		// Weight 0 first: z(0) a(60) b(30) c(10), running sums 0 60 90 100.
		{[]int{0, 0, 0}, "p z a b c", []int{101, 101, 41}},
		{[]int{1, 0, 0}, "p a z b c", []int{101, 41, 41}},
		{[]int{61, 0, 0}, "p b z a c", []int{101, 71, 71}},
		{[]int{100, 60, 1}, "p c a b z", []int{101, 91, 31}},
		// After c: z a b, sums 0 60 90; 61 picks b; then z a, 1 picks a.
		{[]int{95, 61, 1}, "p c b a z", []int{101, 91, 61}},
	}
	for _, tt := range tests {
		var mu sync.Mutex
		var ns []int
		draws := slices.Clone(tt.draws)
		rnd := func(n int) int {
			mu.Lock()
			defer mu.Unlock()
			ns = append(ns, n)
			d := draws[0]
			draws = draws[1:]
			return d
		}
		r := newResolver(t, Config{Rand: rnd}, srv.Addr())
		ts, err := r.Resolve(context.Background(), Query{Host: "gw.example", Transport: "udp"})
		if err != nil {
			t.Fatal(err)
		}
		var hosts []string
		for _, tg := range ts {
			hosts = append(hosts, strings.TrimSuffix(tg.Host, ".gw.example"))
		}
		if got := strings.Join(hosts, " "); got != tt.want {
			t.Errorf("draws %v: order %q, want %q", tt.draws, got, tt.want)
		}
		if !slices.Equal(ns, tt.ns) {
			t.Errorf("draws %v: Rand called with %v, want %v", tt.draws, ns, tt.ns)
		}
	}
}

func TestWeightedOrderRandom(t *testing.T) {
	srv := dnstest.Start(t,
		"_sip._udp.gw.example. 60 IN SRV 10 60 5060 a.gw.example.",
		"_sip._udp.gw.example. 60 IN SRV 10 30 5060 b.gw.example.",
		"_sip._udp.gw.example. 60 IN SRV 10 10 5060 c.gw.example.",
		"a.gw.example. 60 IN A 192.0.2.1",
		"b.gw.example. 60 IN A 192.0.2.2",
		"c.gw.example. 60 IN A 192.0.2.3",
	)
	r, err := New(Config{Nameservers: []string{srv.Addr()}, Now: newClock().Now}) // the real random source
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 10000
	firsts := make(map[string]int)
	for range rounds {
		ts, err := r.Resolve(context.Background(), Query{Host: "gw.example", Transport: "udp"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 3 {
			t.Fatalf("got %d targets, want 3", len(ts))
		}
		firsts[ts[0].Host]++
	}
	if q := srv.Queries(); q != 7 {
		t.Errorf("%d queries for %d resolutions, want 7: the cache is hot", q, rounds)
	}
	// RFC 2782 draws from 0 to the sum inclusive: 61/101, 30/101, 10/101.
	for host, want := range map[string]float64{"a.gw.example": 61.0 / 101, "b.gw.example": 30.0 / 101, "c.gw.example": 10.0 / 101} {
		got := float64(firsts[host]) / rounds
		if got < want-0.03 || got > want+0.03 {
			t.Errorf("%s first in %.1f%% of resolutions, want %.1f%% ± 3", host, 100*got, 100*want)
		}
	}
}

func TestCache(t *testing.T) {
	q := Query{Host: "gw.example", Transport: "udp"}
	records := []string{
		"_sip._udp.gw.example. 60 IN SRV 10 0 5060 a.gw.example.",
		"a.gw.example. 60 IN A 192.0.2.1",
		"a.gw.example. 60 IN AAAA 2001:db8::1",
	}

	t.Run("hit, then expiry", func(t *testing.T) {
		srv := dnstest.Start(t, records...)
		clk := newClock()
		r := newResolver(t, Config{Now: clk.Now}, srv.Addr())
		want := []string{"udp:192.0.2.1:5060 (a.gw.example)", "udp:[2001:db8::1]:5060 (a.gw.example)"}
		resolve(t, r, q)
		if n := srv.Queries(); n != 3 {
			t.Fatalf("%d queries, want 3", n)
		}
		clk.Advance(59 * time.Second)
		if got := resolve(t, r, q); !slices.Equal(got, want) {
			t.Errorf("from the cache: %v, want %v", got, want)
		}
		if n := srv.Queries(); n != 3 {
			t.Errorf("second Resolve made %d queries, want none", n-3)
		}
		if s := r.Stats(); s["cache_hits"] != 3 || s["lookups"] != 6 || s["queries"] != 3 || s["queries_srv"] != 1 || s["resolves"] != 2 {
			t.Errorf("stats %v", s)
		}
		srv.Set("_sip._udp.gw.example. 60 IN SRV 10 0 5060 a.gw.example.", "a.gw.example. 60 IN A 192.0.2.9")
		clk.Advance(time.Second) // the TTL of 60s is over
		if got := resolve(t, r, q); !slices.Equal(got, []string{"udp:192.0.2.9:5060 (a.gw.example)"}) {
			t.Errorf("after expiry: %v", got)
		}
		if n := srv.Queries(); n != 6 {
			t.Errorf("%d queries, want 6", n)
		}
	})

	t.Run("MinTTL and MaxTTL", func(t *testing.T) {
		srv := dnstest.Start(t,
			"short.example. 5 IN A 192.0.2.1",
			"long.example. 86400 IN A 192.0.2.2",
		)
		clk := newClock()
		r := newResolver(t, Config{Now: clk.Now, MinTTL: 30 * time.Second, MaxTTL: 100 * time.Second, NegativeTTL: time.Hour}, srv.Addr())
		for _, h := range []string{"short.example", "long.example"} {
			resolve(t, r, Query{Host: h, Port: 5060})
		}
		clk.Advance(29 * time.Second)
		resolve(t, r, Query{Host: "short.example", Port: 5060})
		if n := srv.Queries(); n != 4 {
			t.Errorf("TTL 5 under MinTTL 30: %d queries after 29s, want 4", n)
		}
		clk.Advance(72 * time.Second)
		resolve(t, r, Query{Host: "long.example", Port: 5060})
		if n := srv.Queries(); n != 5 { // A again, not the negative AAAA
			t.Errorf("TTL 86400 over MaxTTL 100: %d queries after 101s, want 5", n)
		}
	})

	t.Run("negative", func(t *testing.T) {
		srv := dnstest.Start(t, "other.example. 60 IN A 192.0.2.1")
		clk := newClock()
		r := newResolver(t, Config{Now: clk.Now, NegativeTTL: 10 * time.Second}, srv.Addr())
		for range 2 {
			if _, err := r.Resolve(context.Background(), Query{Host: "missing.example", Port: 5060}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		}
		if n := srv.Queries(); n != 2 {
			t.Errorf("%d queries, want 2: NXDOMAIN is cached", n)
		}
		if s := r.Stats(); s["nxdomain"] != 2 {
			t.Errorf("nxdomain %d, want 2", s["nxdomain"])
		}
		srv.Set("missing.example. 60 IN A 192.0.2.5")
		clk.Advance(9 * time.Second)
		if _, err := r.Resolve(context.Background(), Query{Host: "missing.example", Port: 5060}); !errors.Is(err, ErrNotFound) {
			t.Errorf("within NegativeTTL: %v, want ErrNotFound", err)
		}
		clk.Advance(time.Second)
		if got := resolve(t, r, Query{Host: "missing.example", Port: 5060}); !slices.Equal(got, []string{"udp:192.0.2.5:5060 (missing.example)"}) {
			t.Errorf("after NegativeTTL: %v", got)
		}
		// NODATA too: the AAAA just asked is not asked again.
		before := srv.Queries()
		resolve(t, r, Query{Host: "missing.example", Port: 5060})
		if n := srv.Queries(); n != before {
			t.Errorf("%d queries, want none", n-before)
		}
	})

	t.Run("concurrent lookups share one query", func(t *testing.T) {
		srv := dnstest.Start(t, records...)
		r := newResolver(t, Config{}, srv.Addr())
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				ts, err := r.Resolve(context.Background(), q)
				if err == nil && len(ts) != 2 {
					err = fmt.Errorf("got %v", strs(ts))
				}
				if err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if got := srv.Queries(); got != 3 {
			t.Errorf("%d concurrent Resolves made %d queries, want 3 (SRV, A, AAAA)", n, got)
		}
		if s := r.Stats(); s["lookups"] != 3*n || s["cache_hits"]+s["shared"] != 3*n-3 {
			t.Errorf("stats %v", s)
		}
	})
}

// startFunc serves DNS on 127.0.0.1 over UDP with handler.
func startFunc(t *testing.T, handler dns.HandlerFunc) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: handler, NotifyStartedFunc: func() { close(started) }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.ActivateAndServe()
	}()
	<-started
	t.Cleanup(func() {
		_ = srv.Shutdown()
		<-done
	})
	return pc.LocalAddr().String()
}

// closedPort is a 127.0.0.1 UDP port where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

// blackhole is a 127.0.0.1 UDP port that takes queries and never answers.
func blackhole(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

func rcodeServer(t *testing.T, rcode int, count *int, mu *sync.Mutex) string {
	return startFunc(t, func(w dns.ResponseWriter, req *dns.Msg) {
		mu.Lock()
		*count++
		mu.Unlock()
		m := new(dns.Msg)
		m.SetRcode(req, rcode)
		_ = w.WriteMsg(m)
	})
}

func TestTruncationRetriesOverTCP(t *testing.T) {
	var records []string
	var want []string
	for i := range 120 { // some 1900 bytes of answer: over the 1232 of EDNS(0)
		records = append(records, fmt.Sprintf("big.example. 60 IN A 10.1.%d.%d", i/200, i%200+1))
		want = append(want, fmt.Sprintf("udp:10.1.%d.%d:5060 (big.example)", i/200, i%200+1))
	}
	srv := dnstest.Start(t, records...)
	r := newResolver(t, Config{}, srv.Addr())
	if got := resolve(t, r, Query{Host: "big.example", Port: 5060}); !slices.Equal(got, want) {
		t.Errorf("got %d targets, want %d: %v", len(got), len(want), got)
	}
	s := r.Stats()
	if s["truncated"] != 1 || s["queries"] != 3 || srv.Queries() != 3 {
		t.Errorf("truncated %d, queries %d (server %d); want 1 truncated, 3 queries (A over UDP and TCP, AAAA)", s["truncated"], s["queries"], srv.Queries())
	}
}

func TestNameserverFailover(t *testing.T) {
	good := dnstest.Start(t, "gw.example. 60 IN A 192.0.2.1")
	var mu sync.Mutex
	var servfails int
	tests := []struct {
		name string
		bad  string
	}{
		{"closed port", closedPort(t)},
		{"SERVFAIL", rcodeServer(t, dns.RcodeServerFailure, &servfails, &mu)},
		{"REFUSED", rcodeServer(t, dns.RcodeRefused, new(int), &mu)},
		{"no answer within Timeout", blackhole(t)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newResolver(t, Config{Timeout: 100 * time.Millisecond}, tt.bad, good.Addr())
			got := resolve(t, r, Query{Host: "gw.example", Port: 5060})
			if !slices.Equal(got, []string{"udp:192.0.2.1:5060 (gw.example)"}) {
				t.Errorf("got %v", got)
			}
			if s := r.Stats(); s["query_errors"] != 2 || s["errors"] != 0 {
				t.Errorf("query_errors %d, errors %d; want 2 (A, AAAA) and 0", s["query_errors"], s["errors"])
			}
		})
	}
}

func TestLookupFailure(t *testing.T) {
	var mu sync.Mutex
	var count int
	bad := rcodeServer(t, dns.RcodeServerFailure, &count, &mu)
	clk := newClock()
	r := newResolver(t, Config{Now: clk.Now}, bad, closedPort(t))
	q := Query{Host: "gw.example"}
	_, err := r.Resolve(context.Background(), q)
	if !errors.Is(err, ErrLookup) || errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrLookup", err)
	}
	mu.Lock()
	first := count
	mu.Unlock()
	// The failure is remembered briefly: no new queries at once...
	if _, err := r.Resolve(context.Background(), q); !errors.Is(err, ErrLookup) {
		t.Fatalf("got %v, want ErrLookup", err)
	}
	mu.Lock()
	if count != first {
		t.Errorf("%d queries right after a failure, want none", count-first)
	}
	mu.Unlock()
	// ...but not for long.
	clk.Advance(2 * time.Second)
	r.Resolve(context.Background(), q)
	mu.Lock()
	if count == first {
		t.Error("no new query 2s after a failure")
	}
	mu.Unlock()
	if s := r.Stats(); s["errors"] == 0 {
		t.Errorf("errors not counted: %v", s)
	}
}

func TestContextTimeout(t *testing.T) {
	r := newResolver(t, Config{Timeout: 10 * time.Second}, blackhole(t))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := r.Resolve(ctx, Query{Host: "gw.example"})
	if !errors.Is(err, ErrLookup) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want ErrLookup and DeadlineExceeded", err)
	}
	// The query no one waits for is cancelled, not cached (goleak checks
	// that its goroutine ends), and a caller whose context has ended gets
	// that at once.
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := r.Resolve(ctx2, Query{Host: "gw.example"}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want Canceled", err)
	}
}

// TestWaiterGivesUp checks that a caller whose context ends does not fail
// another caller sharing its query.
func TestWaiterGivesUp(t *testing.T) {
	asked := make(chan struct{}, 1)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	addr := startFunc(t, func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		if req.Question[0].Qtype == dns.TypeA {
			asked <- struct{}{}
			<-release
			rr, _ := dns.NewRR("gw.example. 60 IN A 192.0.2.1")
			m.Answer = append(m.Answer, rr)
		}
		_ = w.WriteMsg(m)
	})
	t.Cleanup(free) // before the server's shutdown, which waits for the handler
	r := newResolver(t, Config{Timeout: 5 * time.Second}, addr)
	q := Query{Host: "gw.example", Port: 5060}
	result := make(chan []string, 1)
	go func() {
		ts, err := r.Resolve(context.Background(), q)
		if err != nil {
			t.Error(err)
		}
		result <- strs(ts)
	}()
	<-asked // the A query is under way
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Resolve(ctx, q); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want Canceled", err)
	}
	free()
	if got := <-result; !slices.Equal(got, []string{"udp:192.0.2.1:5060 (gw.example)"}) {
		t.Errorf("the other caller got %v", got)
	}
	if s := r.Stats(); s["queries_a"] != 1 {
		t.Errorf("%d A queries, want 1", s["queries_a"])
	}
}

func TestNew(t *testing.T) {
	bad := []Config{
		{Nameservers: []string{"dns.example:53"}},
		{Nameservers: []string{"127.0.0.1:53"}, Transports: []string{"sctp"}},
		{Nameservers: []string{"127.0.0.1:53"}, MinTTL: time.Hour, MaxTTL: time.Minute},
		{Nameservers: []string{"127.0.0.1:53"}, Timeout: -time.Second},
	}
	for _, cfg := range bad {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) made no error", cfg)
		}
	}
	r, err := New(Config{Nameservers: []string{"127.0.0.1", "[::1]:5353", "::1"}, Transports: []string{"TCP", "tcp", "udp"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"127.0.0.1:53", "[::1]:5353", "[::1]:53"}; !slices.Equal(r.servers, want) {
		t.Errorf("servers %v, want %v", r.servers, want)
	}
	if want := []string{"tcp", "udp"}; !slices.Equal(r.transports, want) {
		t.Errorf("transports %v, want %v", r.transports, want)
	}
	if r.timeout != 2*time.Second || r.maxTTL != time.Hour || r.negTTL != 30*time.Second {
		t.Errorf("defaults: timeout %v, MaxTTL %v, NegativeTTL %v", r.timeout, r.maxTTL, r.negTTL)
	}
}

func TestStatsKeys(t *testing.T) {
	r := newResolver(t, Config{}, "127.0.0.1:53")
	s := r.Stats()
	for _, k := range []string{"lookups", "cache_hits", "queries", "errors", "nxdomain", "queries_srv", "queries_naptr", "queries_a", "queries_aaaa"} {
		if _, ok := s[k]; !ok {
			t.Errorf("Stats has no %q", k)
		}
	}
}

func BenchmarkResolveCached(b *testing.B) {
	srv := dnstest.Start(b, zone...)
	r := newResolver(b, Config{Rand: rand.IntN}, srv.Addr())
	q := Query{Host: "example.com"}
	ctx := context.Background()
	if _, err := r.Resolve(ctx, q); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Resolve(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
