package dispatcher

import (
	"context"
	"fmt"
	"testing"
	"time"
)

const pair = `
1 sip:a.example
1 sip:b.example
`

// probeRounds runs n probe rounds.
func probeRounds(d *Dispatcher, n int) {
	for range n {
		d.ProbeRound(context.Background())
	}
}

func TestProbeThresholds(t *testing.T) {
	p := newFakeProber()
	d := newTest(t, pair, Options{Prober: p, Health: HealthConfig{FailThreshold: 3, SuccessThreshold: 2}})
	a := d.mustLookup(t, "sip:a.example")

	p.setDown("sip:a.example", true)
	steps := []struct {
		down bool
		want State
	}{
		{true, StateActive}, {true, StateActive}, {true, StateInactive}, // third failure in a row
		{true, StateInactive},
		{false, StateProbing}, {true, StateInactive}, // a relapse restarts recovery
		{false, StateProbing}, {false, StateActive}, // second success in a row
		{true, StateActive}, {false, StateActive}, {true, StateActive}, {true, StateActive}, // streak broken
		{true, StateInactive},
	}
	for i, s := range steps {
		p.setDown("sip:a.example", s.down)
		probeRounds(d, 1)
		if got := a.State(); got != s.want {
			t.Fatalf("step %d (down=%v): state %v, want %v", i, s.down, got, s.want)
		}
	}
	st := statusOf(t, d, "sip:a.example")
	if st.ProbeFailures != 9 || st.ProbeSuccesses != 4 || st.LastProbeOK || st.LastProbeError != errNoAnswer.Error() {
		t.Errorf("status %+v: want 9 failures, 4 successes, last failed with %q", st, errNoAnswer)
	}
	if b := statusOf(t, d, "sip:b.example"); b.State != StateActive || b.ProbeSuccesses != uint64(len(steps)) || b.LastLatency != 3*time.Millisecond {
		t.Errorf("b: %+v, want active with %d successes and 3ms latency", b, len(steps))
	}
}

func TestSuccessThresholdOne(t *testing.T) {
	p := newFakeProber()
	d := newTest(t, pair, Options{Prober: p, Health: HealthConfig{FailThreshold: 1, SuccessThreshold: 1}})
	a := d.mustLookup(t, "sip:a.example")
	p.setDown("sip:a.example", true)
	probeRounds(d, 1)
	if a.State() != StateInactive {
		t.Fatalf("after one failure: %v, want inactive", a.State())
	}
	p.setDown("sip:a.example", false)
	probeRounds(d, 1)
	if a.State() != StateActive {
		t.Fatalf("after one success: %v, want active", a.State())
	}
}

func TestProbeInactiveMode(t *testing.T) {
	p := newFakeProber()
	d := newTest(t, `
1 sip:up.example
1 sip:down.example 1
1 sip:flagged.example 8
1 sip:off.example 4
`, Options{Prober: p, Health: HealthConfig{Mode: ProbeInactive, SuccessThreshold: 1}})
	probeRounds(d, 1)
	for uri, want := range map[string]int{"sip:up.example": 0, "sip:down.example": 1, "sip:flagged.example": 1, "sip:off.example": 0} {
		if got := p.count(uri); got != want {
			t.Errorf("%s probed %d times, want %d", uri, got, want)
		}
	}
	if s := d.mustLookup(t, "sip:down.example").State(); s != StateActive {
		t.Errorf("down.example answered with threshold 1, yet is %v", s)
	}
	probeRounds(d, 1)
	if got := p.count("sip:down.example"); got != 1 {
		t.Errorf("down.example probed %d times once active, want still 1", got)
	}
}

func TestProbeAllMode(t *testing.T) {
	p := newFakeProber()
	d := newTest(t, pair+"1 sip:off.example 4\n", Options{Prober: p})
	probeRounds(d, 2)
	for uri, want := range map[string]int{"sip:a.example": 2, "sip:b.example": 2, "sip:off.example": 0} {
		if got := p.count(uri); got != want {
			t.Errorf("%s probed %d times, want %d", uri, got, want)
		}
	}
}

func TestTrafficFailures(t *testing.T) {
	d := newTest(t, pair, Options{Health: HealthConfig{FailThreshold: 2}})
	a := d.mustLookup(t, "sip:a.example")
	d.ReportFailure(a, errNoAnswer)
	d.ReportSuccess(a) // clears the streak
	d.ReportFailure(a, errNoAnswer)
	if a.State() != StateActive {
		t.Fatalf("failure, success, failure: %v, want active", a.State())
	}
	d.ReportFailure(a, errNoAnswer)
	if a.State() != StateInactive {
		t.Fatalf("two failures in a row: %v, want inactive", a.State())
	}
	for range 5 {
		d.ReportSuccess(a)
	}
	if a.State() != StateInactive {
		t.Fatalf("traffic successes revived an inactive destination: %v", a.State())
	}
	for range 20 {
		if got := first(t, d, 1, AlgRoundRobin, ""); got == a {
			t.Fatal("inactive destination selected")
		}
	}
	st := statusOf(t, d, "sip:a.example")
	if st.TrafficFailures != 3 || st.TrafficSuccesses != 6 {
		t.Errorf("counters %+v: want 3 traffic failures, 6 successes", st)
	}
}

// TestReadmitWithoutProbing: with no prober, a destination real traffic
// took out comes back once Interval has passed, on probation (one more
// failure takes it out again); one the administrator took out stays out.
func TestReadmitWithoutProbing(t *testing.T) {
	clock := newFakeClock()
	d := newTest(t, pair, Options{Health: HealthConfig{FailThreshold: 2, Interval: time.Minute}, Clock: clock})
	a, b := d.mustLookup(t, "sip:a.example"), d.mustLookup(t, "sip:b.example")
	d.ReportFailure(a, errNoAnswer)
	d.ReportFailure(a, errNoAnswer)
	if err := d.SetState(1, "sip:b.example", StateInactive); err != nil {
		t.Fatal(err)
	}
	clock.Advance(59 * time.Second)
	d.Readmit()
	if a.State() != StateInactive {
		t.Fatalf("readmitted before the hold-down: %v", a.State())
	}
	clock.Advance(time.Second)
	d.Readmit()
	if a.State() != StateActive || b.State() != StateInactive {
		t.Fatalf("after the hold-down: a %v, b %v; want a active, b (the administrator's) inactive", a.State(), b.State())
	}
	d.ReportFailure(a, errNoAnswer)
	if a.State() != StateInactive {
		t.Fatalf("one failure on probation: %v; want inactive", a.State())
	}
	clock.Advance(time.Minute)
	d.Readmit()
	d.ReportSuccess(a)
	d.ReportFailure(a, errNoAnswer)
	if a.State() != StateActive {
		t.Fatalf("a success after readmission cleared nothing: %v", a.State())
	}
}

func TestIgnoreTrafficSuccess(t *testing.T) {
	d := newTest(t, pair, Options{Health: HealthConfig{FailThreshold: 2, IgnoreTrafficSuccess: true}})
	a := d.mustLookup(t, "sip:a.example")
	d.ReportFailure(a, errNoAnswer)
	d.ReportSuccess(a)
	d.ReportFailure(a, errNoAnswer)
	if a.State() != StateInactive {
		t.Fatalf("traffic success cleared the streak: %v, want inactive", a.State())
	}
}

func TestAdminDisable(t *testing.T) {
	p := newFakeProber()
	d := newTest(t, pair, Options{Prober: p, Health: HealthConfig{SuccessThreshold: 1}})
	if err := d.SetState(1, "sip:a.example", StateDisabled); err != nil {
		t.Fatal(err)
	}
	a := d.mustLookup(t, "sip:a.example")
	probeRounds(d, 3)
	d.ReportFailure(a, errNoAnswer)
	if a.State() != StateDisabled || p.count("sip:a.example") != 0 {
		t.Fatalf("disabled: state %v after %d probes, want disabled and unprobed", a.State(), p.count("sip:a.example"))
	}
	for range 10 {
		if first(t, d, 1, AlgRoundRobin, "") == a {
			t.Fatal("disabled destination selected")
		}
	}
	if err := d.SetState(1, "sip:a.example", StateActive); err != nil {
		t.Fatal(err)
	}
	if a.State() != StateActive {
		t.Fatalf("re-enabled: %v", a.State())
	}
	if err := d.SetState(1, "sip:nope.example", StateActive); err == nil {
		t.Error("SetState of an unknown destination succeeded")
	}
	if err := d.SetState(1, "sip:a.example", State(9)); err == nil {
		t.Error("SetState to an unknown state succeeded")
	}
}

func TestSetStateByDUID(t *testing.T) {
	d := newTest(t, "1 sip:a.example 0 0 duid=gw-a\n", Options{})
	if err := d.SetState(1, "gw-a", StateInactive); err != nil {
		t.Fatal(err)
	}
	if s := statusOf(t, d, "sip:a.example"); s.State != StateInactive || s.ID != "1 duid:gw-a" {
		t.Errorf("status %+v, want inactive with ID \"1 duid:gw-a\"", s)
	}
}

func TestInitialStatesFromFlags(t *testing.T) {
	d := newTest(t, `
1 sip:a.example 0
1 sip:b.example 1
1 sip:c.example 2
1 sip:d.example 4
1 sip:e.example 5
1 sip:f.example 8
1 sip:g.example 16
`, Options{})
	want := map[string]State{
		"sip:a.example": StateActive, "sip:b.example": StateInactive, "sip:c.example": StateProbing,
		"sip:d.example": StateDisabled, "sip:e.example": StateDisabled, "sip:f.example": StateActive,
		"sip:g.example": StateActive,
	}
	for _, s := range d.List() {
		if s.State != want[s.URI] {
			t.Errorf("%s (flags %v): %v, want %v", s.URI, s.Flags, s.State, want[s.URI])
		}
	}
}

func TestStateSinceFollowsClock(t *testing.T) {
	clock := newFakeClock()
	d := newTest(t, pair, Options{Clock: clock, Health: HealthConfig{FailThreshold: 1}})
	clock.Advance(time.Minute)
	d.ReportFailure(d.mustLookup(t, "sip:a.example"), errNoAnswer)
	if got, want := statusOf(t, d, "sip:a.example").Since, clock.Now(); !got.Equal(want) {
		t.Errorf("Since %v, want %v", got, want)
	}
}

func TestParseState(t *testing.T) {
	for in, want := range map[string]State{"a": StateActive, "Inactive": StateInactive, "t": StateProbing, "d": StateDisabled} {
		if got, err := ParseState(in); err != nil || got != want {
			t.Errorf("ParseState(%q) = %v, %v; want %v", in, got, err, want)
		}
		if got, err := ParseState(want.String()); err != nil || got != want {
			t.Errorf("ParseState(%q) = %v, %v", want.String(), got, err)
		}
	}
	if _, err := ParseState("up"); err == nil {
		t.Error("ParseState(up) succeeded")
	}
}

func TestHealthConfigValidation(t *testing.T) {
	for name, cfg := range map[string]HealthConfig{
		"timeout over interval": {Interval: time.Second, Timeout: 2 * time.Second},
		"negative interval":     {Interval: -1},
		"negative threshold":    {FailThreshold: -1},
		"unknown mode":          {Mode: 7},
	} {
		if _, err := New(&List{}, Options{Health: cfg}); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
	d, err := New(nil, Options{Health: HealthConfig{Interval: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if d.cfg.Timeout != 2*time.Second || d.cfg.FailThreshold != 3 || d.cfg.SuccessThreshold != 2 {
		t.Errorf("defaults: %+v", d.cfg)
	}
}

// A probe that could not leave the host says nothing about the
// destination: the standby of an LB pair keeps its backends active.
func TestProbeNotSentDoesNotCount(t *testing.T) {
	d := newTest(t, pair, Options{Prober: notSentProber{}, Health: HealthConfig{FailThreshold: 1, SuccessThreshold: 1}})
	a := d.mustLookup(t, "sip:a.example")
	d.probe(context.Background(), a)
	if st := a.status(); st.State != StateActive || st.ProbeFailures != 0 {
		t.Errorf("%v with %d probe failures, want active with none", st.State, st.ProbeFailures)
	}
}

// notSentProber fails every probe as the standby of an LB pair does.
type notSentProber struct{}

func (notSentProber) Probe(context.Context, *Destination) (time.Duration, error) {
	return 0, fmt.Errorf("probe: %w: sendto: network is unreachable", ErrNotSent)
}
