package natping

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
)

var (
	lbPublic4 = netip.MustParseAddrPort("203.0.113.10:5060")
	lbPublic6 = netip.MustParseAddrPort("[2001:db8::10]:5060")
)

// testPinger is a pinger on a fake clock over rows, recording what it
// sends and logging into log.
type testPinger struct {
	*Pinger
	db    *memStore
	out   *recorder
	clock *fakeClock
	log   *bytes.Buffer
}

func newTestPinger(t *testing.T, rows []store.Binding, s Settings, tweak func(*Options)) *testPinger {
	t.Helper()
	tp := &testPinger{db: &memStore{rows: rows}, clock: newFakeClock(), log: &bytes.Buffer{}}
	tp.out = &recorder{clock: tp.clock}
	o := Options{
		Store: tp.db, Sender: tp.out, Source4: lbPublic4, Settings: s, clock: tp.clock,
		Logger: slog.New(slog.NewTextHandler(tp.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if tweak != nil {
		tweak(&o)
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	tp.Pinger = p
	return tp
}

func (tp *testPinger) cycle() Cycle { return tp.RunCycle(context.Background(), tp.clock.Now()) }

// TestRunCycle runs one cycle over a table and checks what was sent,
// counted and asked of the database.
func TestRunCycle(t *testing.T) {
	mixed := []store.Binding{
		binding(1, "sip:198.51.100.1:4001", "sip:a@192.168.1.10"),
		binding(2, "sip:198.51.100.2:4002;transport=tcp", "sip:b@192.168.1.10"),
		binding(3, "", "sip:c@192.0.2.3:5070"),
		binding(4, "", "sip:d@phone.example.com"),
		binding(5, "sip:[2001:db8:1::5]:4005", "sip:e@[fd00::5]"),
		binding(6, "sip:198.51.100.6:4006%3Btransport%3Dtls", "sip:f@192.168.1.10"),
		binding(7, "sip:198.51.100.7:4007", "sip:g@192.168.1.10"),
	}
	expired := binding(8, "sip:198.51.100.8:4008", "sip:h@192.168.1.10")
	expired.Expires = epoch.Add(-time.Second)
	notNATed := binding(9, "sip:198.51.100.9:4009", "sip:i@192.168.1.10")
	notNATed.Keepalive = false
	mixed = append(mixed, expired, notNATed)

	tests := []struct {
		name       string
		rows       []store.Binding
		settings   Settings
		wantDst    []string
		wantStats  map[string]uint64
		wantPages  int
		wantErr    error
		failAt     int
		failSendTo string
	}{
		{
			name: "every binding once, in pages", rows: natedRows(500),
			settings:  Settings{Interval: 10 * time.Second, Batch: 200},
			wantStats: map[string]uint64{"pinged": 500, "cycles": 1}, wantPages: 3,
		},
		{
			name: "what is not pinged, and why", rows: mixed,
			settings: Settings{Interval: 10 * time.Second, Batch: 3},
			wantDst:  []string{"198.51.100.1:4001", "192.0.2.3:5070", "198.51.100.7:4007"},
			wantStats: map[string]uint64{"pinged": 3, "skipped_stream": 2, "skipped_unusable": 1,
				"skipped_family": 1, "cycles": 1},
			wantPages: 3,
		},
		{
			name: "database fails on the second page", rows: natedRows(30), failAt: 2,
			settings:  Settings{Interval: 10 * time.Second, Batch: 10},
			wantStats: map[string]uint64{"pinged": 10, "db_errors": 1, "cycles": 1}, wantPages: 2,
			wantErr: errDown,
		},
		{
			name: "send errors are counted", rows: natedRows(20), failSendTo: "198.51.100.1:10005",
			settings:  Settings{Interval: 10 * time.Second},
			wantStats: map[string]uint64{"pinged": 19, "send_errors": 1, "cycles": 1}, wantPages: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tp := newTestPinger(t, tc.rows, tc.settings, nil)
			tp.db.failAt = tc.failAt
			if tc.failSendTo != "" {
				tp.out.fail = func(d Datagram) bool { return d.Dst.String() == tc.failSendTo }
			}
			c := tp.cycle()
			if !errors.Is(c.Err, tc.wantErr) {
				t.Errorf("cycle error %v, want %v", c.Err, tc.wantErr)
			}
			got := tp.out.byDst()
			for dst, n := range got {
				if n != 1 {
					t.Errorf("%s pinged %d times", dst, n)
				}
			}
			if tc.wantDst != nil && len(got) != len(tc.wantDst) {
				t.Errorf("pinged %v, want %v", got, tc.wantDst)
			}
			for _, d := range tc.wantDst {
				if got[d] != 1 {
					t.Errorf("%s not pinged", d)
				}
			}
			stats := tp.Stats()
			for name, v := range stats {
				if v != tc.wantStats[name] {
					t.Errorf("counter %s = %d, want %d", name, v, tc.wantStats[name])
				}
			}
			if len(tp.db.queries) != tc.wantPages {
				t.Errorf("%d database reads, want %d", len(tp.db.queries), tc.wantPages)
			}
			checkKeyset(t, tp.db.queries, tc.settings.Batch)
			if c.Pinged != int(stats["pinged"]) || c.Failed != int(stats["send_errors"]) || c.Lag != 0 {
				t.Errorf("cycle %+v does not match the counters %v", c, stats)
			}
			if tp.LastCycle().Pinged != c.Pinged {
				t.Error("LastCycle is not the cycle just run")
			}
		})
	}
}

// checkKeyset checks that each read starts after the previous page and
// asks for one page size at the cycle's time.
func checkKeyset(t *testing.T, qs []store.NATedQuery, batch int) {
	t.Helper()
	if batch == 0 {
		batch = DefaultBatch
	}
	for i, q := range qs {
		if q.Limit != batch || !q.Now.Equal(epoch) {
			t.Errorf("read %d: limit %d at %v, want %d at the cycle's start", i, q.Limit, q.Now, batch)
		}
		if i > 0 && q.After <= qs[i-1].After {
			t.Errorf("read %d starts after id %d, not past the previous page (%d)", i, q.After, qs[i-1].After)
		}
	}
}

// TestShardsSplitTheTable runs two pingers, shards 0 and 1 of 2, over the
// same table: together they ping every binding, and none twice.
func TestShardsSplitTheTable(t *testing.T) {
	rows := natedRows(1000)
	seen := map[string]int{}
	for shard := range 2 {
		tp := newTestPinger(t, rows, Settings{Interval: 10 * time.Second, Shard: shard, Shards: 2, Batch: 128}, nil)
		tp.cycle()
		for dst, n := range tp.out.byDst() {
			seen[dst] += n
		}
		for _, q := range tp.db.queries {
			if q.Shard != shard || q.Shards != 2 {
				t.Fatalf("shard %d asked the database for %+v", shard, q)
			}
		}
		if n := len(tp.out.byDst()); n < 400 || n > 600 {
			t.Errorf("shard %d of 2 pinged %d of 1000: the split is lopsided", shard, n)
		}
	}
	if len(seen) != len(rows) {
		t.Errorf("the shards pinged %d bindings together, want %d", len(seen), len(rows))
	}
	for dst, n := range seen {
		if n != 1 {
			t.Errorf("%s pinged %d times by the two shards", dst, n)
		}
	}
}

func TestPartitionsReachTheQuery(t *testing.T) {
	tp := newTestPinger(t, natedRows(100), Settings{Interval: time.Second, Partitions: []int{1, 5, 9}}, nil)
	tp.cycle()
	for _, q := range tp.db.queries {
		if fmt.Sprint(q.Partitions) != "[1 5 9]" || q.Shards != 0 {
			t.Fatalf("query %+v, want partitions [1 5 9]", q)
		}
	}
	for _, s := range tp.out.all() {
		found := false
		for _, r := range tp.db.rows {
			if r.Received == "sip:"+s.dst {
				found = r.Partition == 1 || r.Partition == 5 || r.Partition == 9
			}
		}
		if !found {
			t.Errorf("pinged %s, outside the partitions", s.dst)
		}
	}
}

func TestOptionsCycle(t *testing.T) {
	rows := []store.Binding{
		binding(1, "sip:198.51.100.1:4001", "sip:a@192.168.1.10:5060"),
		binding(2, "sip:[2001:db8:1::2]:4002", "sip:b@[fd00::2]:5060"),
	}
	tp := newTestPinger(t, rows, Settings{Interval: time.Second, Payload: OPTIONS},
		func(o *Options) { o.Source6 = lbPublic6 })
	tp.cycle()
	want := map[string]string{"198.51.100.1:4001": "203.0.113.10:5060", "[2001:db8:1::2]:4002": "[2001:db8::10]:5060"}
	got := tp.out.all()
	if len(got) != len(want) {
		t.Fatalf("sent %d, want %d", len(got), len(want))
	}
	for _, s := range got {
		var m sip.Msg
		if err := m.Parse([]byte(s.payload)); err != nil || m.Method() != sip.OPTIONS {
			t.Fatalf("to %s: not an OPTIONS (%v):\n%s", s.dst, err, s.payload)
		}
		via, _ := m.TopVia()
		if string(via.SentBy) != want[s.dst] {
			t.Errorf("to %s: Via names %s, want the LB's %s", s.dst, via.SentBy, want[s.dst])
		}
	}
}

// TestCyclePacing feeds a whole table to the send loop at once and checks,
// on the fake clock, that the sends are spread across 90% of the
// interval: no instant carries more than a wake-up's share, and every
// tenth of the spread carries about a tenth of the sends.
func TestCyclePacing(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		interval time.Duration
	}{
		{"sparse", 20, 2 * time.Second},
		{"a thousand over 10 s", 1000, 10 * time.Second},
		{"many per wake-up", 20000, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tp := newTestPinger(t, nil, Settings{Interval: tc.interval}, nil)
			f := newFeed()
			for _, r := range natedRows(tc.n) {
				tg, _ := targetOf(&r, false)
				f.push([]target{tg})
			}
			f.finish()
			start := tp.clock.Now()
			spread := spreadOf(tc.interval)
			sent, failed, err := tp.sendAll(context.Background(), tp.settings.Load(), f, newPacer(start, start.Add(spread)))
			if sent != tc.n || failed != 0 || err != nil {
				t.Fatalf("sent %d, failed %d (%v); want %d", sent, failed, err, tc.n)
			}
			perInstant := map[time.Time]int{}
			perTenth := make([]int, 10)
			for _, s := range tp.out.all() {
				at := s.at.Sub(start)
				if at < 0 || at > spread+minWait {
					t.Fatalf("send at %v, outside the spread (%v)", at, spread)
				}
				perInstant[s.at]++
				perTenth[min(int(at*10/spread), 9)]++
			}
			burst := int(float64(tc.n)*maxWait.Seconds()/spread.Seconds()) + 1
			for at, n := range perInstant {
				if n > burst {
					t.Errorf("%d sends at %v, more than %d", n, at.Sub(start), burst)
				}
			}
			for i, n := range perTenth {
				if lo, hi := tc.n/10-burst-1, tc.n/10+burst+1; n < lo || n > hi {
					t.Errorf("tenth %d of the spread: %d sends, want %d..%d", i, n, lo, hi)
				}
			}
		})
	}
}

// TestCycleLag: a database so slow that the reading alone takes longer
// than the interval makes the cycle lag; that is counted and warned.
func TestCycleLag(t *testing.T) {
	tp := newTestPinger(t, natedRows(30), Settings{Interval: time.Second, Batch: 10}, nil)
	tp.db.onQuery = func() { tp.clock.advance(600 * time.Millisecond) }
	c := tp.cycle()
	if c.Lag <= 0 || c.Pinged != 30 {
		t.Fatalf("cycle %+v: want all 30 pinged, late", c)
	}
	if n := tp.Stats()["cycles_lagged"]; n != 1 {
		t.Errorf("cycles_lagged = %d, want 1", n)
	}
	if !strings.Contains(tp.log.String(), "level=WARN msg=\"natping cycle overran its interval") {
		t.Errorf("no warning logged:\n%s", tp.log)
	}
	if c.Read < 2*time.Second {
		t.Errorf("database time %v, want the 4 reads' 2.4 s", c.Read)
	}
}

func TestCycleLogsAtDebug(t *testing.T) {
	tp := newTestPinger(t, natedRows(3), Settings{Interval: time.Second}, nil)
	tp.cycle()
	if lines := strings.Count(tp.log.String(), "msg=\"natping cycle\""); lines != 1 {
		t.Fatalf("%d cycle lines, want 1:\n%s", lines, tp.log)
	}
	if !strings.Contains(tp.log.String(), "level=DEBUG msg=\"natping cycle\" bindings=3 pinged=3") {
		t.Errorf("cycle line:\n%s", tp.log)
	}
}

// TestStartClose runs the loop on the real clock until it has completed
// a few cycles, then stops it; TestMain checks that nothing is left
// running.
func TestStartClose(t *testing.T) {
	rows := natedRows(10)
	out := &recorder{}
	p, err := New(Options{Store: &memStore{rows: rows}, Sender: out, Source4: lbPublic4,
		Settings: Settings{Interval: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err == nil {
		t.Error("a second Start succeeded")
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for p.Stats()["cycles"] < 3 {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("no 3 cycles within 10 s: %v", p.Stats())
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for dst, n := range out.byDst() {
		if n < 3 {
			t.Errorf("%s pinged %d times in 3 cycles", dst, n)
		}
	}
	if len(out.byDst()) != len(rows) {
		t.Errorf("pinged %d bindings, want %d", len(out.byDst()), len(rows))
	}
}

func TestNewRejects(t *testing.T) {
	ok := Options{Store: &memStore{}, Sender: &recorder{}, Source4: lbPublic4, Settings: Settings{Interval: time.Second}}
	tests := []struct {
		name  string
		tweak func(*Options)
		want  string
	}{
		{"no store", func(o *Options) { o.Store = nil }, "no store"},
		{"no sender", func(o *Options) { o.Sender = nil }, "no sender"},
		{"no source", func(o *Options) { o.Source4 = netip.AddrPort{} }, "no source"},
		{"ipv6 as source4", func(o *Options) { o.Source4 = lbPublic6 }, "want an IPv4 address"},
		{"ipv4 as source6", func(o *Options) { o.Source6 = lbPublic4 }, "want an IPv6 address"},
		{"port 0", func(o *Options) { o.Source4 = netip.MustParseAddrPort("203.0.113.10:0") }, "and a port"},
		{"no interval", func(o *Options) { o.Settings.Interval = 0 }, "interval"},
		{"partitions and shards", func(o *Options) { o.Settings.Partitions, o.Settings.Shards = []int{1}, 2 }, "not both"},
		{"shard out of range", func(o *Options) { o.Settings.Shard, o.Settings.Shards = 2, 2 }, "shard 2 of 2"},
		{"negative batch", func(o *Options) { o.Settings.Batch = -1 }, "batch"},
		{"unknown payload", func(o *Options) { o.Settings.Payload = 9 }, "payload"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.tweak(&o)
			_, err := New(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error about %q", err, tc.want)
			}
		})
	}
	if _, err := New(ok); err != nil {
		t.Fatalf("valid options: %v", err)
	}
}

func TestReconfigure(t *testing.T) {
	tp := newTestPinger(t, natedRows(2), Settings{Interval: time.Second}, nil)
	if err := tp.Reconfigure(Settings{Interval: time.Second, Shard: 3, Shards: 2}); err == nil {
		t.Fatal("accepted shard 3 of 2")
	}
	tp.cycle()
	if p := tp.out.all()[0].payload; p != "\r\n\r\n" {
		t.Fatalf("after a refused reload: payload %q, want CRLF", p)
	}
	if err := tp.Reconfigure(Settings{Interval: time.Second, Payload: OPTIONS}); err != nil {
		t.Fatal(err)
	}
	tp.out.sent = nil
	tp.cycle()
	if p := tp.out.all()[0].payload; !strings.HasPrefix(p, "OPTIONS ") {
		t.Fatalf("after reload: payload %q, want an OPTIONS", p)
	}
}
