package transaction

import (
	"sync"
	"time"
)

// Clock is the time source that drives a Layer's timers. A Layer asks it
// for one periodic callback, so the whole layer costs one goroutine (the
// system clock's ticker loop) however many transactions are alive.
type Clock interface {
	Now() time.Time
	// Every calls f about every d until stop is called. stop returns once
	// no call of f is running and none will start.
	Every(d time.Duration, f func(now time.Time)) (stop func())
}

// systemClock is the wall clock with one ticker goroutine per Every.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Every(d time.Duration, f func(time.Time)) func() {
	t := time.NewTicker(d)
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		for {
			select {
			case now := <-t.C:
				f(now)
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			t.Stop()
			close(done)
			<-exited
		})
	}
}

// ManualClock is a Clock that moves only when Advance is called; the
// callbacks registered with Every run synchronously inside Advance. It lets
// tests and benchmarks step through RFC 3261 timers deterministically.
type ManualClock struct {
	mu   sync.Mutex
	now  time.Time
	next int
	fns  map[int]func(time.Time)
	adv  sync.Mutex // serialises Advance so callbacks see time in order
}

// NewManualClock returns a ManualClock reading start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start, fns: make(map[int]func(time.Time))}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Every registers f; it is called with the new time on every Advance
// (which may cover many periods at once: the Layer catches up by itself).
func (c *ManualClock) Every(_ time.Duration, f func(time.Time)) func() {
	c.mu.Lock()
	id := c.next
	c.next++
	c.fns[id] = f
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		delete(c.fns, id)
		c.mu.Unlock()
	}
}

// Advance moves the clock forward by d and runs the registered callbacks.
func (c *ManualClock) Advance(d time.Duration) {
	c.adv.Lock()
	defer c.adv.Unlock()
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	fns := make([]func(time.Time), 0, len(c.fns))
	for _, f := range c.fns {
		fns = append(fns, f)
	}
	c.mu.Unlock()
	for _, f := range fns {
		f(now)
	}
}
