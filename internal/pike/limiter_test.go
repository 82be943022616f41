package pike

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// t0 starts an interval of 2s (its Unix time is even), so the offsets in
// the tests below are offsets into the sampling windows too.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mustNew(t testing.TB, cfg Config) *Limiter {
	t.Helper()
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// step sends len(want) requests from ip at t0+at; want has 'a' for each
// request expected allowed and 'r' for each expected refused.
type step struct {
	at   time.Duration
	ip   string
	want string
}

func TestAllow(t *testing.T) {
	base := Config{Interval: 2 * time.Second, Threshold: 3, BanFor: 10 * time.Second}
	tests := []struct {
		name  string
		cfg   func(Config) Config
		steps []step
	}{
		{name: "under the threshold", steps: []step{{0, "192.0.2.1", "aaa"}}},
		{name: "over the threshold bans", steps: []step{
			{0, "192.0.2.1", "aaar"},
			{time.Second, "192.0.2.1", "r"},
			{9 * time.Second, "192.0.2.1", "r"},
		}},
		{name: "ban ends after BanFor when the source went quiet", steps: []step{
			{0, "192.0.2.1", "aaar"},
			{10 * time.Second, "192.0.2.1", "aaa"},
		}},
		{name: "a source that keeps flooding is banned again", steps: []step{
			{0, "192.0.2.1", "aaar"},
			{9 * time.Second, "192.0.2.1", "rrr"},
			{9500 * time.Millisecond, "192.0.2.1", "rrr"},
			{10 * time.Second, "192.0.2.1", "r"},
		}},
		{name: "window slides over the interval boundary", steps: []step{
			{1900 * time.Millisecond, "192.0.2.1", "aaa"},
			// 3 × 0.95 of the previous interval + 1 = 3.85 > 3
			{2100 * time.Millisecond, "192.0.2.1", "r"},
		}},
		{name: "previous interval fades", steps: []step{
			{1900 * time.Millisecond, "192.0.2.1", "aaa"},
			// 3 × 0.05 + 1, + 2, + 3: the third is over
			{3900 * time.Millisecond, "192.0.2.1", "aar"},
		}},
		{name: "counts older than two intervals are gone", steps: []step{
			{0, "192.0.2.1", "aaa"},
			{4 * time.Second, "192.0.2.1", "aaa"},
		}},
		{name: "sources counted apart", steps: []step{
			{0, "192.0.2.1", "aaa"},
			{0, "192.0.2.2", "aaa"},
			{0, "2001:db8:0:1::1", "aaa"},
			{0, "2001:db8:0:2::1", "aaa"},
		}},
		{name: "an IPv6 /64 is one source", steps: []step{
			{0, "2001:db8::1", "aa"},
			{0, "2001:db8::ffff:1", "ar"},
			{0, "2001:db8::2", "r"},
		}},
		{name: "IPv6 prefix length configurable", cfg: func(c Config) Config { c.IPv6PrefixLen = 128; return c }, steps: []step{
			{0, "2001:db8::1", "aaa"},
			{0, "2001:db8::2", "aaa"},
		}},
		{name: "IPv4 prefix length configurable", cfg: func(c Config) Config { c.IPv4PrefixLen = 24; return c }, steps: []step{
			{0, "192.0.2.1", "aa"},
			{0, "192.0.2.200", "ar"},
			{0, "192.0.3.1", "aaa"},
		}},
		{name: "IPv4-mapped is IPv4", steps: []step{
			{0, "::ffff:192.0.2.1", "aa"},
			{0, "192.0.2.1", "ar"},
		}},
		{name: "trusted never counted", cfg: func(c Config) Config {
			c.Trusted = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::ffff:192.0.2.0/120")}
			return c
		}, steps: []step{
			{0, "10.1.2.3", "aaaaaaaa"},
			{0, "192.0.2.9", "aaaaaaaa"},
			{0, "192.0.3.9", "aaar"},
		}},
		{name: "invalid address allowed", steps: []step{{0, "", "aaaaa"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			if tt.cfg != nil {
				cfg = tt.cfg(cfg)
			}
			l := mustNew(t, cfg)
			for si, st := range tt.steps {
				var ip netip.Addr
				if st.ip != "" {
					ip = netip.MustParseAddr(st.ip)
				}
				var got strings.Builder
				for range len(st.want) {
					if l.Allow(ip, t0.Add(st.at)) {
						got.WriteByte('a')
					} else {
						got.WriteByte('r')
					}
				}
				if got.String() != st.want {
					t.Errorf("step %d (%v from %s): got %s, want %s", si, st.at, st.ip, got.String(), st.want)
				}
			}
		})
	}
}

func TestStatsAndBans(t *testing.T) {
	l := mustNew(t, Config{Interval: 2 * time.Second, Threshold: 1, BanFor: 10 * time.Second})
	ips := []string{"192.0.2.1", "2001:db8:1:2:3:4:5:6", "198.51.100.7"}
	for _, s := range ips[:2] {
		for range 3 {
			l.Allow(netip.MustParseAddr(s), t0)
		}
	}
	l.Allow(netip.MustParseAddr(ips[2]), t0.Add(time.Second))

	want := Stats{Tracked: 3, Banned: 2, Dropped: 4, Bans: 2}
	if got := l.Stats(t0.Add(time.Second)); got != want {
		t.Errorf("Stats during the bans = %+v, want %+v", got, want)
	}
	bans := l.Bans(t0.Add(time.Second))
	if len(bans) != 2 {
		t.Fatalf("Bans = %v, want 2", bans)
	}
	wantSrc := []string{"192.0.2.1/32", "2001:db8:1:2::/64"}
	for i, b := range bans {
		if b.Source.String() != wantSrc[i] || !b.Until.Equal(t0.Add(10*time.Second)) {
			t.Errorf("Bans[%d] = %v until %v, want %s until t0+10s", i, b.Source, b.Until, wantSrc[i])
		}
	}
	if got := l.Stats(t0.Add(10 * time.Second)).Banned; got != 0 {
		t.Errorf("banned after the ban = %d, want 0", got)
	}
}

func TestSweep(t *testing.T) {
	l := mustNew(t, Config{Interval: 2 * time.Second, Threshold: 1, BanFor: 10 * time.Second})
	idle, banned, busy := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")
	l.Allow(idle, t0)
	l.Allow(banned, t0)
	l.Allow(banned, t0)
	l.Allow(busy, t0.Add(3*time.Second))

	if n := l.Sweep(t0.Add(4 * time.Second)); n != 1 {
		t.Errorf("Sweep at t0+4s freed %d, want 1 (the idle source)", n)
	}
	if got := l.Stats(t0.Add(4 * time.Second)).Tracked; got != 2 {
		t.Errorf("tracked after the sweep = %d, want 2", got)
	}
	if n := l.Sweep(t0.Add(10 * time.Second)); n != 2 {
		t.Errorf("Sweep after the ban freed %d, want 2", n)
	}
	// A freed slot is reused, and the source starts from zero.
	if !l.Allow(banned, t0.Add(10*time.Second)) {
		t.Error("source refused after its ban ended and it was swept")
	}
}

func TestTableIsBounded(t *testing.T) {
	// One slot per shard: every new source evicts, unless the slot is banned.
	l := mustNew(t, Config{Threshold: 1, MaxTracked: 1})
	for i := range 3000 {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.Allow(ip, t0)
		l.Allow(ip, t0)
	}
	st := l.Stats(t0)
	if st.Tracked > len(l.shards) {
		t.Errorf("tracked %d sources, cap is %d", st.Tracked, len(l.shards))
	}
	if st.Banned != st.Tracked || st.Untracked == 0 {
		t.Errorf("stats %+v: want every kept slot banned and the rest let through untracked", st)
	}

	l = mustNew(t, Config{MaxTracked: 1})
	for i := range 3000 {
		l.Allow(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), t0.Add(time.Duration(i)))
	}
	if st := l.Stats(t0); st.Tracked > len(l.shards) || st.Evicted < 3000-uint64(len(l.shards)) {
		t.Errorf("stats %+v: want at most %d tracked and the rest evicted", st, len(l.shards))
	}
}

func TestConfigValidate(t *testing.T) {
	_, err := New(Config{
		Interval: -1, Threshold: -1, BanFor: -1, IPv4PrefixLen: 33, IPv6PrefixLen: 129,
		MaxTracked: -1, Trusted: []netip.Prefix{{}},
	})
	if err == nil {
		t.Fatal("New accepted a bad config")
	}
	for _, want := range []string{"interval", "threshold", "ban", "IPv4 prefix", "IPv6 prefix", "max tracked", "trusted"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if _, err := New(Config{}); err != nil {
		t.Errorf("zero config: %v", err)
	}
}

func TestAllowDoesNotAllocate(t *testing.T) {
	l := mustNew(t, Config{Threshold: 1 << 30})
	v4, v6 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")
	l.Allow(v4, t0)
	l.Allow(v6, t0)
	now := t0
	if n := testing.AllocsPerRun(1000, func() {
		now = now.Add(time.Millisecond)
		l.Allow(v4, now)
		l.Allow(v6, now)
	}); n != 0 {
		t.Errorf("Allow of a known source: %v allocations, want 0", n)
	}
}
