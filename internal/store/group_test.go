package store

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestGroup holds the first run until more calls wait: they all go in
// the second run, in order, and an error reaches every call of its run.
func TestGroup(t *testing.T) {
	gate := make(chan struct{})
	var mu sync.Mutex
	var runs [][]int
	g := NewGroup(func(_ context.Context, in []int) ([]int, error) {
		mu.Lock()
		first := len(runs) == 0
		runs = append(runs, in)
		mu.Unlock()
		if first {
			<-gate
		}
		if in[0] < 0 {
			return nil, errors.New("refused")
		}
		out := make([]int, len(in))
		for i, v := range in {
			out[i] = v * 10
		}
		return out, nil
	}, 3, time.Second)
	ctx := t.Context()
	first := make(chan int)
	go func() { v, _ := g.Do(ctx, 1); first <- v }()
	for started := false; !started; {
		mu.Lock()
		started = len(runs) == 1
		mu.Unlock()
		runtime.Gosched()
	}
	var wg sync.WaitGroup
	results := make([]int, 5)
	for i := range 5 {
		wg.Go(func() { results[i], _ = g.Do(ctx, i+2) })
		// Queue them in order: wait until each is waiting.
		for queued := false; !queued; {
			g.mu.Lock()
			queued = len(g.waiting) == i+1
			g.mu.Unlock()
			runtime.Gosched()
		}
	}
	close(gate)
	if v := <-first; v != 10 {
		t.Errorf("first call: %d; want 10", v)
	}
	wg.Wait()
	for i, v := range results {
		if v != (i+2)*10 {
			t.Errorf("call %d: %d; want %d", i+2, v, (i+2)*10)
		}
	}
	mu.Lock()
	if got := len(runs); got != 3 || len(runs[1]) != 3 || len(runs[2]) != 2 {
		t.Errorf("runs %v; want [1], then three calls, then two (max 3)", runs)
	}
	mu.Unlock()
	if _, err := g.Do(ctx, -1); err == nil {
		t.Error("a failed run gave no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.Do(cancelled, 7); !errors.Is(err, context.Canceled) {
		t.Errorf("a call whose context ended: %v; want context.Canceled", err)
	}
}
