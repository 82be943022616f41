package natping

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

// Store is the part of the location table the pinger reads.
type Store interface {
	NATed(ctx context.Context, q store.NATedQuery) ([]store.Binding, error)
}

// Settings are what a running pinger takes from a config reload; each
// cycle reads them once, at its start.
type Settings struct {
	// Interval is how often each binding is pinged.
	Interval time.Duration
	// Payload is CRLF (the default) or OPTIONS.
	Payload Payload
	// Partitions, or Shard of Shards, pick this pinger's share of the
	// bindings (see store.NATedQuery); neither means all of them.
	Partitions    []int
	Shard, Shards int
	// Batch is how many bindings one database read returns (1000 when 0).
	Batch int
	// QueryTimeout bounds one database read (5 s when 0).
	QueryTimeout time.Duration
}

// Defaults of Settings.
const (
	DefaultBatch        = 1000
	DefaultQueryTimeout = 5 * time.Second
)

func (s Settings) withDefaults() Settings {
	if s.Payload == 0 {
		s.Payload = CRLF
	}
	s.Batch = cmp.Or(s.Batch, DefaultBatch)
	s.QueryTimeout = cmp.Or(s.QueryTimeout, DefaultQueryTimeout)
	s.Partitions = slices.Clone(s.Partitions)
	return s
}

func (s *Settings) check() error {
	switch {
	case s.Interval <= 0:
		return errors.New("interval must be above 0")
	case s.Batch <= 0 || s.QueryTimeout <= 0:
		return errors.New("batch and query timeout must be above 0")
	case s.Payload != CRLF && s.Payload != OPTIONS:
		return fmt.Errorf("unknown payload %v", s.Payload)
	case len(s.Partitions) > 0 && s.Shards > 0:
		return errors.New("give partitions or shards, not both")
	case s.Shards < 0 || s.Shards > 0 && (s.Shard < 0 || s.Shard >= s.Shards):
		return fmt.Errorf("shard %d of %d: want 0 <= shard < shards", s.Shard, s.Shards)
	}
	return nil
}

// spreadOf is how much of an interval the sends are spread over: all but
// a tenth, which absorbs a slow last database page or a busy moment
// without the cycle overrunning into the next.
func spreadOf(interval time.Duration) time.Duration { return interval - interval/10 }

// Options configure a Pinger.
type Options struct {
	Store  Store
	Sender Sender
	// Source4 and Source6 are the LB's public (VIP) addresses and ports,
	// IPv4 and IPv6; at least one is needed. The OPTIONS payload names
	// them in Via and From. Bindings of a family with no source are
	// skipped (counted as skipped_family).
	Source4, Source6 netip.AddrPort
	Settings         Settings
	// Logger gets a debug line per cycle and a warning for a cycle that
	// overran its interval or lost sends; nil logs nothing.
	Logger *slog.Logger

	clock clock // tests only; the real clock when nil
}

// Pinger pings its share of the NATed bindings once per interval.
type Pinger struct {
	opt      Options
	log      *slog.Logger
	clock    clock
	settings atomic.Pointer[Settings]
	stats    counters
	last     lastCycle

	// The cycle's working memory, used by one goroutine at a time.
	prev   int // pingable bindings in the previous cycle: the first estimate
	ow     *optionsWriter
	batch  []target
	dgrams []Datagram
	slab   []byte

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// New checks the options; Start runs the pinger.
func New(o Options) (*Pinger, error) {
	switch {
	case o.Store == nil:
		return nil, errors.New("natping: no store")
	case o.Sender == nil:
		return nil, errors.New("natping: no sender")
	case !o.Source4.IsValid() && !o.Source6.IsValid():
		return nil, errors.New("natping: no source address")
	case o.Source4.IsValid() && (!o.Source4.Addr().Is4() || o.Source4.Port() == 0):
		return nil, fmt.Errorf("natping: source %v: want an IPv4 address and a port", o.Source4)
	case o.Source6.IsValid() && (!o.Source6.Addr().Is6() || o.Source6.Addr().Is4In6() || o.Source6.Port() == 0):
		return nil, fmt.Errorf("natping: source %v: want an IPv6 address and a port", o.Source6)
	}
	p := &Pinger{opt: o, log: o.Logger, clock: o.clock, ow: newOptionsWriter()}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.clock == nil {
		p.clock = realClock{}
	}
	if err := p.Reconfigure(o.Settings); err != nil {
		return nil, err
	}
	return p, nil
}

// Reconfigure makes the next cycle use s; an error changes nothing.
func (p *Pinger) Reconfigure(s Settings) error {
	s = s.withDefaults()
	if err := s.check(); err != nil {
		return fmt.Errorf("natping: %w", err)
	}
	p.settings.Store(&s)
	return nil
}

// Start runs a cycle now and one every interval after, until Close.
func (p *Pinger) Start(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		return errors.New("natping: already started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go p.loop(ctx)
	return nil
}

// Close stops the pinger, within the cycle's current send or read.
func (p *Pinger) Close() error {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}

func (p *Pinger) loop(ctx context.Context) {
	defer close(p.done)
	next := p.clock.Now()
	for {
		c := p.RunCycle(ctx, next)
		if ctx.Err() != nil {
			return
		}
		next = c.Start.Add(p.settings.Load().Interval)
		now := p.clock.Now()
		if !now.Before(next) {
			next = now
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-p.clock.After(next.Sub(now)):
		}
	}
}

// RunCycle runs one cycle that starts at start (now, or the moment it was
// due): reads the bindings and sends their keepalives spread up to
// start + 90% of the interval. Start calls it in a loop; a benchmark or a
// test may call it alone, but never while the pinger runs.
func (p *Pinger) RunCycle(ctx context.Context, start time.Time) Cycle {
	s := p.settings.Load()
	f := newFeed()
	var rd readResult
	var wg sync.WaitGroup
	wg.Go(func() { rd = p.read(ctx, s, start, f) })
	pc := newPacer(start, start.Add(spreadOf(s.Interval)))
	sent, failed, sendErr := p.sendAll(ctx, s, f, pc)
	wg.Wait()
	end := p.clock.Now()
	c := Cycle{
		Start: start, Bindings: rd.bindings, Pinged: sent, Failed: failed, Skipped: rd.skipped,
		Duration: end.Sub(start), Read: rd.read, Lag: max(0, end.Sub(start.Add(s.Interval))), Err: rd.err,
	}
	if ctx.Err() == nil {
		p.prev = sent + failed
		p.report(c, sendErr)
	}
	return c
}

// report counts a finished cycle and logs it: one debug line, and a
// warning for what an operator must hear about.
func (p *Pinger) report(c Cycle, sendErr error) {
	p.last.set(c)
	p.stats.add(cCycles, 1)
	attrs := []any{"bindings", c.Bindings, "pinged", c.Pinged, "failed", c.Failed, "skipped", c.Skipped,
		"duration", c.Duration.Round(time.Millisecond), "db", c.Read.Round(time.Millisecond)}
	p.log.Debug("natping cycle", attrs...)
	if c.Lag > 0 {
		p.stats.add(cCyclesLagged, 1)
		p.log.Warn("natping cycle overran its interval; bindings are pinged less often than configured",
			append(attrs, "lag", c.Lag.Round(time.Millisecond))...)
	}
	if c.Err != nil {
		p.log.Warn("natping: reading bindings failed; the rest of this cycle is not pinged", "err", c.Err)
	}
	if c.Failed > 0 {
		p.log.Warn("natping: keepalives not sent", "failed", c.Failed, "first_error", sendErr)
	}
}
