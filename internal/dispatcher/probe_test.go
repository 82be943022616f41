package dispatcher

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun drives Run with the fake ticker: a round at start, one per
// tick, none after cancel, and no goroutine left behind.
func TestRun(t *testing.T) {
	clock := newFakeClock()
	p := newFakeProber()
	d := newTest(t, pair, Options{Prober: p, Clock: clock, Health: HealthConfig{FailThreshold: 2}})
	p.setDown("sip:b.example", true)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	clock.tick() // taken once the round at start is over
	clock.tick() // taken once the round of the first tick is; a third may start
	if got := p.count("sip:a.example"); got < 2 {
		t.Errorf("a probed %d times after two rounds, want 2 or more", got)
	}
	if s := d.mustLookup(t, "sip:b.example").State(); s != StateInactive {
		t.Errorf("b failed two rounds, yet is %v", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := p.count("sip:a.example"); got > 3 {
		t.Errorf("a probed %d times in three rounds", got)
	}
}

func TestRunWithoutProber(t *testing.T) {
	d := newTest(t, pair, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// blockingProber answers only when its probe's context ends, and counts
// the probes in flight at once. started, if set, hears of every probe.
type blockingProber struct {
	inFlight, peak atomic.Int32
	started        chan struct{}
}

func (p *blockingProber) Probe(ctx context.Context, dst *Destination) (time.Duration, error) {
	if p.started != nil {
		p.started <- struct{}{}
	}
	n := p.inFlight.Add(1)
	for {
		old := p.peak.Load()
		if n <= old || p.peak.CompareAndSwap(old, n) {
			break
		}
	}
	<-ctx.Done()
	p.inFlight.Add(-1)
	return 0, ctx.Err()
}

// TestProbeTimeoutAndConcurrency checks that each probe gets its own
// timeout, that a timeout is a failure, and that no more than Concurrency
// probes run at once.
func TestProbeTimeoutAndConcurrency(t *testing.T) {
	var list string
	for _, h := range []string{"a", "b", "c", "d", "e", "f"} {
		list += "1 sip:" + h + ".example\n"
	}
	p := &blockingProber{}
	d := newTest(t, list, Options{Prober: p, Health: HealthConfig{
		FailThreshold: 1, Concurrency: 2, Interval: time.Second, Timeout: 5 * time.Millisecond,
	}})
	d.ProbeRound(context.Background())
	if peak := p.peak.Load(); peak != 2 {
		t.Errorf("peak of %d probes at once, want 2", peak)
	}
	for _, s := range d.List() {
		if s.State != StateInactive || s.LastProbeError != context.DeadlineExceeded.Error() {
			t.Errorf("%s: %v, %q; want inactive after a timeout", s.URI, s.State, s.LastProbeError)
		}
	}
}

// TestShutdownIsNotAFailure checks that probes cut short by Run's own
// cancellation do not count against the destinations.
func TestShutdownIsNotAFailure(t *testing.T) {
	p := &blockingProber{started: make(chan struct{})}
	d := newTest(t, pair, Options{Prober: p, Health: HealthConfig{FailThreshold: 1}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.ProbeRound(ctx); close(done) }()
	<-p.started
	<-p.started
	cancel()
	<-done
	for _, s := range d.List() {
		if s.State != StateActive || s.ProbeFailures != 0 {
			t.Errorf("%s: %v with %d failures, want active with none", s.URI, s.State, s.ProbeFailures)
		}
	}
}
