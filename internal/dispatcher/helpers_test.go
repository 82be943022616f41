package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newTest builds a Dispatcher from list-file text.
func newTest(t testing.TB, list string, opts Options) *Dispatcher {
	t.Helper()
	l, err := ParseList(t.Name(), []byte(list))
	if err != nil {
		t.Fatal(err)
	}
	if opts.Clock == nil {
		opts.Clock = newFakeClock()
	}
	if opts.Rand == nil {
		opts.Rand = seqRand()
	}
	d, err := New(l, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustList(t testing.TB, list string) *List {
	t.Helper()
	l, err := ParseList(t.Name(), []byte(list))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// first returns the first choice of a selection.
func first(t testing.TB, d *Dispatcher, set int, alg Algorithm, key string) *Destination {
	t.Helper()
	c, err := d.Select(set, alg, []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	dst, ok := c.Next()
	if !ok {
		t.Fatalf("no destination for key %q", key)
	}
	return dst
}

// order returns the whole failover sequence of a selection, as URIs.
func order(t testing.TB, d *Dispatcher, set int, alg Algorithm, key string) []string {
	t.Helper()
	c, err := d.Select(set, alg, []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for dst, ok := c.Next(); ok; dst, ok = c.Next() {
		uris = append(uris, dst.URI)
	}
	return uris
}

// countFirst counts first choices over n selections with keys callid-0,
// callid-1, ....
func countFirst(t testing.TB, d *Dispatcher, set int, alg Algorithm, n int) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for i := range n {
		counts[first(t, d, set, alg, fmt.Sprintf("callid-%d@host", i)).URI]++
	}
	return counts
}

// checkShares checks that counts split n as the shares say, within tol
// (a fraction of each expected count).
func checkShares(t *testing.T, counts map[string]int, n int, shares map[string]float64, tol float64) {
	t.Helper()
	total := 0.0
	for _, s := range shares {
		total += s
	}
	for uri, s := range shares {
		want := float64(n) * s / total
		if got := float64(counts[uri]); math.Abs(got-want) > tol*want {
			t.Errorf("%s got %v of %d, want %.0f ± %.0f%%", uri, got, n, want, tol*100)
		}
	}
	for uri, c := range counts {
		if _, ok := shares[uri]; !ok {
			t.Errorf("%s got %d, want none", uri, c)
		}
	}
}

// seqRand is a deterministic, concurrency-safe random source, so that the
// statistical tests give the same counts on every run.
func seqRand() func() uint64 {
	var n atomic.Uint64
	return func() uint64 { return mix(n.Add(0x9e3779b97f4a7c15)) }
}

// fakeClock is a Clock whose time and ticks the test drives.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	ticker *fakeTicker
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), ticker: &fakeTicker{c: make(chan time.Time)}}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) NewTicker(time.Duration) Ticker { return c.ticker }

// tick delivers one tick; it returns once Run has taken it, that is, once
// Run has finished the round before.
func (c *fakeClock) tick() { c.ticker.c <- c.Now() }

type fakeTicker struct{ c chan time.Time }

func (t *fakeTicker) C() <-chan time.Time { return t.c }
func (t *fakeTicker) Stop()               {}

// fakeProber answers probes from a table of URIs that are down, and
// counts the probes of each URI.
type fakeProber struct {
	mu     sync.Mutex
	down   map[string]bool
	probes map[string]int
}

func newFakeProber() *fakeProber {
	return &fakeProber{down: map[string]bool{}, probes: map[string]int{}}
}

var errNoAnswer = errors.New("no answer")

func (p *fakeProber) Probe(ctx context.Context, dst *Destination) (time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.probes[dst.URI]++
	if p.down[dst.URI] {
		return 0, errNoAnswer
	}
	return 3 * time.Millisecond, nil
}

func (p *fakeProber) setDown(uri string, down bool) {
	p.mu.Lock()
	p.down[uri] = down
	p.mu.Unlock()
}

func (p *fakeProber) count(uri string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.probes[uri]
}

func statusOf(t testing.TB, d *Dispatcher, uri string) DestinationStatus {
	t.Helper()
	for _, s := range d.List() {
		if s.URI == uri {
			return s
		}
	}
	t.Fatalf("no destination %s", uri)
	return DestinationStatus{}
}
