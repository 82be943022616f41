package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Prober checks that a destination answers; the LB implements it with a
// SIP OPTIONS request through its transport (Kamailio's ds_ping_method),
// honouring ctx's deadline. It returns the round-trip time, or an error
// when the destination did not answer or answered with a failure.
type Prober interface {
	Probe(ctx context.Context, dst *Destination) (time.Duration, error)
}

// ProbeMode says which destinations Run probes.
type ProbeMode uint8

const (
	// ProbeAll probes every destination that is not disabled, so an
	// active one that dies is noticed without waiting for traffic to fail
	// (Kamailio's ds_probing_mode 1).
	ProbeAll ProbeMode = iota
	// ProbeInactive probes only destinations that are inactive or probing,
	// plus those flagged FlagProbing (Kamailio's modes 2 and 0); active
	// ones go down only on failures of real traffic.
	ProbeInactive
)

// HealthConfig tunes the health state machine and the probing loop. Zero
// fields take the defaults noted.
type HealthConfig struct {
	Mode     ProbeMode
	Interval time.Duration // between probe rounds; default 10s, Kamailio's usual ds_ping_interval
	Timeout  time.Duration // per probe; default 5s, and at most Interval
	// FailThreshold is how many failures in a row, of probes or of real
	// traffic, take an active destination out of rotation. Default 3:
	// Kamailio's default of 1 takes a backend out for one lost UDP probe.
	FailThreshold int
	// SuccessThreshold is how many probe successes in a row bring an
	// inactive destination back. Default 2.
	SuccessThreshold int
	Concurrency      int // probes in flight at once; default 16
	// IgnoreTrafficSuccess stops successes of real traffic from clearing
	// an active destination's failure streak; then only probes do.
	IgnoreTrafficSuccess bool
}

func (c HealthConfig) withDefaults() (HealthConfig, error) {
	if c.Interval == 0 {
		c.Interval = 10 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = min(5*time.Second, c.Interval)
	}
	if c.FailThreshold == 0 {
		c.FailThreshold = 3
	}
	if c.SuccessThreshold == 0 {
		c.SuccessThreshold = 2
	}
	if c.Concurrency == 0 {
		c.Concurrency = 16
	}
	var errs []error
	if c.Mode > ProbeInactive {
		errs = append(errs, fmt.Errorf("unknown probe mode %d", c.Mode))
	}
	if c.Interval < 0 || c.Timeout < 0 {
		errs = append(errs, errors.New("probe interval and timeout must be positive"))
	}
	if c.Timeout > c.Interval {
		errs = append(errs, fmt.Errorf("probe timeout %v exceeds the interval %v", c.Timeout, c.Interval))
	}
	if c.FailThreshold < 0 || c.SuccessThreshold < 0 || c.Concurrency < 0 {
		errs = append(errs, errors.New("thresholds and concurrency must be positive"))
	}
	return c, errors.Join(errs...)
}

// Clock is the time source of the health machinery, injected so that
// tests step it.
type Clock interface {
	Now() time.Time
	NewTicker(d time.Duration) Ticker
}

// Ticker is the part of *time.Ticker that Run uses.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

type systemClock struct{}

func (systemClock) Now() time.Time                   { return time.Now() }
func (systemClock) NewTicker(d time.Duration) Ticker { return systemTicker{time.NewTicker(d)} }

type systemTicker struct{ t *time.Ticker }

func (t systemTicker) C() <-chan time.Time { return t.t.C }
func (t systemTicker) Stop()               { t.t.Stop() }

// Run probes destinations at once and then every Interval, until ctx is
// done. One round finishes before the next starts, and ticks missed meanwhile are dropped,
// so a slow backend never piles probes up.
func (d *Dispatcher) Run(ctx context.Context) error {
	t := d.clock.NewTicker(d.cfg.Interval)
	defer t.Stop()
	d.ProbeRound(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
			if d.prober == nil {
				d.Readmit()
				continue
			}
			d.ProbeRound(ctx)
		}
	}
}

// Readmit, for a dispatcher without a prober, puts back into rotation
// every destination that real traffic took out at least Interval ago, on
// probation: one more failure takes it out again (passive health
// checking, as nginx's max_fails and fail_timeout). Without it a
// destination that failed a few requests would stay out for good. Run
// calls it every Interval; destinations the administrator or the list
// made inactive stay so.
func (d *Dispatcher) Readmit() {
	now := d.clock.Now()
	for _, dst := range d.cur.Load().dests {
		d.logTransition(dst, dst.h.readmit(now, d.cfg.Interval, &d.cfg), "readmitted after the hold-down (no probing)", nil)
	}
}

// ProbeRound probes, once, every destination the probe mode selects, at
// most Concurrency at a time, each within Timeout, and returns when all
// results are in. Run calls it every Interval; tests and the management
// API may call it directly.
func (d *Dispatcher) ProbeRound(ctx context.Context) {
	if d.prober == nil {
		return
	}
	sem := make(chan struct{}, d.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, dst := range d.cur.Load().dests {
		if !d.wantProbe(dst) {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			d.probe(ctx, dst)
		})
	}
	wg.Wait()
}

func (d *Dispatcher) wantProbe(dst *Destination) bool {
	switch dst.State() {
	case StateDisabled:
		return false
	case StateActive:
		return d.cfg.Mode == ProbeAll || dst.Flags&FlagProbing != 0
	}
	return true
}

// ErrNotSent is what a Prober returns (wrapped) when the probe could not
// leave this host: say, the standby of an LB pair whose source address,
// the VIP, is on the other LB. It says nothing about the destination, so
// it does not count.
var ErrNotSent = errors.New("probe not sent")

func (d *Dispatcher) probe(ctx context.Context, dst *Destination) {
	pctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	latency, err := d.prober.Probe(pctx, dst)
	cancel()
	if ctx.Err() != nil || errors.Is(err, ErrNotSent) {
		return // shutting down, or the failure is ours, not the destination's
	}
	d.observe(dst, observation{ok: err == nil, src: fromProbe, latency: latency, err: err, now: d.clock.Now()})
}
