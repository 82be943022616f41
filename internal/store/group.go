package store

import (
	"context"
	"sync"
	"time"
)

// Group runs concurrent calls of one kind as one: a call made while a run
// is in the database waits for the next run, which takes every call
// waiting by then (up to a bound). Code that asks one question at a time —
// the digest nonce counter, the subscriber lookup — thus shares one round
// trip, and for writes one commit, with the calls made alongside it. Under
// light load a run is one call and nothing waits for a batch to fill.
type Group[T, R any] struct {
	run     func(ctx context.Context, in []T) ([]R, error)
	max     int
	timeout time.Duration

	mu      sync.Mutex
	waiting []groupCall[T, R]
	busy    bool
}

type groupCall[T, R any] struct {
	ctx  context.Context
	in   T
	done chan groupResult[R]
}

type groupResult[R any] struct {
	out R
	err error
}

// NewGroup makes a group whose runs take at most max calls and time out
// after timeout. run must give one result per input, in order, or an
// error for all.
func NewGroup[T, R any](run func(ctx context.Context, in []T) ([]R, error), max int, timeout time.Duration) *Group[T, R] {
	return &Group[T, R]{run: run, max: max, timeout: timeout}
}

// Do makes one call, and gives its result when the run that took it
// ends. A call whose ctx ends first gives up waiting; the run goes on for
// the others.
func (g *Group[T, R]) Do(ctx context.Context, in T) (R, error) {
	c := groupCall[T, R]{ctx: ctx, in: in, done: make(chan groupResult[R], 1)}
	g.mu.Lock()
	g.waiting = append(g.waiting, c)
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if lead {
		go g.drain()
	}
	select {
	case r := <-c.done:
		return r.out, r.err
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	}
}

// drain runs the waiting calls until there are none.
func (g *Group[T, R]) drain() {
	for {
		g.mu.Lock()
		n := min(len(g.waiting), g.max)
		if n == 0 {
			g.busy = false
			g.mu.Unlock()
			return
		}
		taken := g.waiting[:n:n]
		g.waiting = append([]groupCall[T, R](nil), g.waiting[n:]...)
		g.mu.Unlock()
		// A caller that gave up is left out: its call must not take
		// effect (a nonce-count spent for a REGISTER already refused).
		var batch []groupCall[T, R]
		for _, c := range taken {
			if c.ctx.Err() == nil {
				batch = append(batch, c)
			}
		}
		if len(batch) == 0 {
			continue
		}
		in := make([]T, len(batch))
		for i, c := range batch {
			in[i] = c.in
		}
		ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
		out, err := g.run(ctx, in)
		cancel()
		for i, c := range batch {
			switch {
			case err != nil:
				c.done <- groupResult[R]{err: err}
			default:
				c.done <- groupResult[R]{out: out[i]}
			}
		}
	}
}
