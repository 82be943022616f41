package mgmt

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sipfleet/sipfleet/internal/pike"
	"github.com/sipfleet/sipfleet/internal/transaction"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// registerAll registers every exporter of this package on reg with fixed
// snapshots.
func registerAll(t *testing.T, reg prometheus.Registerer) {
	t.Helper()
	tr := transport.Stats{PacketsIn: 10, PacketsOut: 9, BytesIn: 5000, ReadErrors: 1, SendErrors: 2,
		DropKeepalive: 3, PingsIn: 4, ConnsOpen: 2, ConnsAccepted: 5, ConnsClosed: 3, IdleTimeouts: 1}
	for _, err := range []error{
		RegisterTransport(reg, func() transport.Stats { return tr }),
		RegisterTransactions(reg, func() transaction.Stats { return transaction.Stats{Server: 3, Client: 4} }),
		RegisterPike(reg, func() pike.Stats { return pike.Stats{Tracked: 100, Banned: 2, Bans: 5, Dropped: 700} }),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestMetricsExposition(t *testing.T) {
	s := newServer(t, nil)
	registerAll(t, s.cfg.Registry)
	startServer(t, s)
	_, _, body := do(t, "GET", s.URL()+"/metrics", "")
	for _, want := range []string{
		"# TYPE sipfleet_transport_packets_in_total counter\nsipfleet_transport_packets_in_total 10\n",
		"sipfleet_transport_bytes_in_total 5000\n",
		`sipfleet_transport_errors_total{op="read"} 1` + "\n",
		`sipfleet_transport_errors_total{op="send"} 2` + "\n",
		`sipfleet_transport_keepalives_in_total{transport="stream"} 4` + "\n",
		"# TYPE sipfleet_transport_connections_open gauge\nsipfleet_transport_connections_open 2\n",
		`sipfleet_transport_connection_timeouts_total{kind="idle"} 1` + "\n",
		`sipfleet_transaction_live{side="client"} 4` + "\n",
		`sipfleet_transaction_live{side="server"} 3` + "\n",
		"sipfleet_pike_banned_sources 2\n",
		"sipfleet_pike_dropped_requests_total 700\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestMetricNamesLint runs Prometheus's own linter over every metric this
// package exports, and checks the project's naming rule beside it.
func TestMetricNamesLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	registerAll(t, reg)
	if err := RegisterRuntime(reg, "v0.1.0"); err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names int
	for _, mf := range mfs {
		name := mf.GetName()
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") || name == "sipfleet_build_info" {
			continue
		}
		names++
		if err := checkName(name, kindOf(mf.GetType().String())); err != nil {
			t.Error(err)
		}
	}
	if names != 22 {
		t.Errorf("%d sipfleet metric families, want 22: update the metrics reference when this changes", names)
	}
}

func kindOf(typ string) Kind {
	if typ == "COUNTER" {
		return Counter
	}
	return Gauge
}

func TestRegisterSnapshotRefuses(t *testing.T) {
	type S struct{ N uint64 }
	val := func(s *S) float64 { return float64(s.N) }
	ser := func(s *S, emit func(float64, ...string)) { emit(float64(s.N), "x") }
	tests := []struct {
		name string
		m    Metric[S]
		want string
	}{
		{"no prefix", Metric[S]{Name: "transport_packets_total", Help: "h", Kind: Counter, Value: val}, "sipfleet_<subsystem>"},
		{"no subsystem", Metric[S]{Name: "sipfleet_packets", Help: "h", Kind: Gauge, Value: val}, "sipfleet_<subsystem>"},
		{"upper case", Metric[S]{Name: "sipfleet_lb_Drops_total", Help: "h", Kind: Counter, Value: val}, "lower case"},
		{"counter without _total", Metric[S]{Name: "sipfleet_lb_drops", Help: "h", Kind: Counter, Value: val}, "must end in _total"},
		{"gauge with _total", Metric[S]{Name: "sipfleet_lb_open_total", Help: "h", Kind: Gauge, Value: val}, "_total is for counters"},
		{"no kind", Metric[S]{Name: "sipfleet_lb_open", Help: "h", Value: val}, "want Counter or Gauge"},
		{"no help", Metric[S]{Name: "sipfleet_lb_open", Kind: Gauge, Value: val}, "help text"},
		{"neither", Metric[S]{Name: "sipfleet_lb_open", Help: "h", Kind: Gauge}, "exactly one of"},
		{"both", Metric[S]{Name: "sipfleet_lb_open", Help: "h", Kind: Gauge, Value: val, Series: ser, Labels: []string{"a"}}, "exactly one of"},
		{"series without labels", Metric[S]{Name: "sipfleet_lb_open", Help: "h", Kind: Gauge, Series: ser}, "Series needs Labels"},
		{"labels without series", Metric[S]{Name: "sipfleet_lb_open", Help: "h", Kind: Gauge, Value: val, Labels: []string{"a"}}, "Labels need Series"},
		{"user label", Metric[S]{Name: "sipfleet_lb_open", Help: "h", Kind: Gauge, Series: ser, Labels: []string{"user"}}, "must not carry users"},
		{"call-id label", Metric[S]{Name: "sipfleet_lb_open", Help: "h", Kind: Gauge, Series: ser, Labels: []string{"call_id"}}, "must not carry users"},
		{"ip label", Metric[S]{Name: "sipfleet_lb_open", Help: "h", Kind: Gauge, Series: ser, Labels: []string{"ip"}}, "must not carry users"},
		{"bad label", Metric[S]{Name: "sipfleet_lb_open", Help: "h", Kind: Gauge, Series: ser, Labels: []string{"Side"}}, "lower case"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := RegisterSnapshot(prometheus.NewRegistry(), func() S { return S{} }, tt.m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := NewSnapshotCollector[S](nil); err == nil {
		t.Error("nil snapshot function accepted")
	}
}

func TestRegisterSnapshot(t *testing.T) {
	type S struct{ Open, Drops uint64 }
	calls := 0
	snap := func() S { calls++; return S{Open: 3, Drops: 8} }
	reg := prometheus.NewRegistry()
	err := RegisterSnapshot(reg, snap,
		gaugeOf("sipfleet_test_open", "Open.", func(s *S) uint64 { return s.Open }),
		Metric[S]{Name: "sipfleet_test_drops_total", Help: "Drops.", Kind: Counter, Labels: []string{"reason"},
			Series: func(s *S, emit func(float64, ...string)) {
				emit(float64(s.Drops), "size")
				emit(1, "size", "extra") // wrong label count: reported, not a panic
			}},
	)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Errorf("snapshot called %d times at registration, want 0", calls)
	}
	_, err = reg.Gather()
	if err == nil || !strings.Contains(err.Error(), "inconsistent label cardinality") {
		t.Errorf("gather with a bad series: %v", err)
	}
	if calls != 1 {
		t.Errorf("snapshot called %d times in one scrape, want 1", calls)
	}
	if err := RegisterSnapshot(reg, snap, gaugeOf("sipfleet_test_open", "Open.", func(s *S) uint64 { return s.Open })); err == nil {
		t.Error("registering a name twice succeeded")
	}
}

func TestRegisterFuncs(t *testing.T) {
	reg := prometheus.NewRegistry()
	n := 0.0
	if err := RegisterCounterFunc(reg, "sipfleet_test_events_total", "Events.", func() float64 { return n }); err != nil {
		t.Fatal(err)
	}
	if err := RegisterGaugeFunc(reg, "sipfleet_test_level", "Level.", func() float64 { return -n }); err != nil {
		t.Fatal(err)
	}
	n = 4
	want := `
# HELP sipfleet_test_events_total Events.
# TYPE sipfleet_test_events_total counter
sipfleet_test_events_total 4
# HELP sipfleet_test_level Level.
# TYPE sipfleet_test_level gauge
sipfleet_test_level -4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	for _, err := range []error{
		RegisterCounterFunc(reg, "sipfleet_test_events", "Events.", func() float64 { return 0 }),
		RegisterGaugeFunc(reg, "sipfleet_test_other", "Other.", nil),
	} {
		if err == nil {
			t.Error("a bad func metric was accepted")
		}
	}
}
