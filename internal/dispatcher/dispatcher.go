package dispatcher

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// Dispatcher holds the current destination sets and their health. Select
// and the Report methods are safe for concurrent use and take no lock on
// the path of a request; Reload swaps in a new snapshot atomically.
type Dispatcher struct {
	cur    atomic.Pointer[snapshot]
	cfg    HealthConfig
	prober Prober
	clock  Clock
	rand   func() uint64
	log    *slog.Logger

	reloadMu sync.Mutex // one reload at a time, so none loses another's health
}

// Options configures New. The zero value is usable: no probing, the
// system clock, and a logger that discards.
type Options struct {
	Health HealthConfig
	// Prober probes destinations for Run; nil means no probing: health
	// follows real traffic and the administrator alone, and Run readmits
	// what traffic took out once Interval has passed (see Readmit).
	Prober Prober
	Clock  Clock        // nil: the system clock
	Logger *slog.Logger // nil: discard
	// Rand seeds the random choices (random, weighted failover, relative
	// weight, least-load ties); it must be safe for concurrent use.
	// nil: math/rand/v2. Tests make it deterministic.
	Rand func() uint64
}

// New builds a Dispatcher serving list.
func New(list *List, opts Options) (*Dispatcher, error) {
	cfg, err := opts.Health.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new dispatcher: %w", err)
	}
	d := &Dispatcher{cfg: cfg, prober: opts.Prober, clock: opts.Clock, rand: opts.Rand, log: opts.Logger}
	if d.clock == nil {
		d.clock = systemClock{}
	}
	if d.rand == nil {
		d.rand = rand.Uint64
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	snap, _ := buildSnapshot(list, nil, d.clock.Now())
	d.cur.Store(snap)
	return d, nil
}

// Destinations returns every destination of the current list, in list
// order. The slice is the caller's; the destinations are shared.
func (d *Dispatcher) Destinations() []*Destination {
	return append([]*Destination(nil), d.cur.Load().dests...)
}

// Lookup finds a destination of the current list by set and URI, or by
// set and duid.
func (d *Dispatcher) Lookup(setID int, uriOrDUID string) (*Destination, bool) {
	snap := d.cur.Load()
	byURI := Entry{SetID: setID, URI: uriOrDUID}
	if dst, ok := snap.byID[identity(&byURI)]; ok {
		return dst, true
	}
	byDUID := Entry{SetID: setID, Attrs: Attrs{DUID: uriOrDUID}}
	dst, ok := snap.byID[identity(&byDUID)]
	return dst, ok
}

// SetIDs lists the sets of the current list, in ascending order.
func (d *Dispatcher) SetIDs() []int {
	return append([]int(nil), d.cur.Load().setIDs...)
}
