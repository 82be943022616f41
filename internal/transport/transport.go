package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

type state uint8

const (
	stateNew state = iota
	stateStarted
	stateClosed
)

// Transport owns the listeners, their read goroutines and the stream
// connection table. Life cycle: New, Start, Close.
type Transport struct {
	cfg     Config
	log     *slog.Logger
	handler Handler
	limits  FrameLimits

	listeners []*Listener
	byName    map[string]*Listener
	conns     connTable

	nextID       atomic.Uint64 // ConnIDs; never reused
	lastPanicLog atomic.Int64

	mu      sync.Mutex
	state   state
	closing chan struct{} // closed by Close; ends back-off pauses
	wg      sync.WaitGroup
}

// New validates cfg and builds a Transport; nothing is bound until Start.
func New(cfg Config) (*Transport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("transport config: %w", err)
	}
	cfg = cfg.withDefaults()
	t := &Transport{
		cfg:     cfg,
		log:     cfg.Logger,
		handler: cfg.Handler,
		limits:  FrameLimits{MaxHeaderBytes: cfg.MaxHeaderBytes, MaxBodyBytes: cfg.MaxBodyBytes},
		byName:  make(map[string]*Listener),
		conns:   newConnTable(cfg.MaxConns),
		closing: make(chan struct{}),
	}
	for _, lc := range cfg.Listeners {
		l := newListener(lc)
		t.listeners = append(t.listeners, l)
		t.byName[l.Name()] = l
	}
	return t, nil
}

// Start binds every listener, then starts the read and accept goroutines.
// If one bind fails, nothing is left bound and the Transport is closed:
// build a new one to retry.
func (t *Transport) Start(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state != stateNew {
		return errors.New("start transport: already started or closed")
	}
	for _, l := range t.listeners {
		if err := l.bind(ctx); err != nil {
			t.state = stateClosed
			close(t.closing)
			return errors.Join(fmt.Errorf("start transport: %w", err), t.closeListeners())
		}
	}
	for _, l := range t.listeners {
		t.serveListener(l)
	}
	t.state = stateStarted
	return nil
}

func (t *Transport) serveListener(l *Listener) {
	if l.ln != nil {
		t.wg.Add(1)
		go t.acceptLoop(l)
	}
	for _, s := range l.sockets {
		t.wg.Add(1)
		go t.readLoop(s, t.newBatch(s))
	}
	t.log.Info("listening", "listener", l.Name(), "side", l.Side(), "proto", l.Proto(),
		"addr", l.Addr(), "advertised", l.Advertised(), "sockets", len(l.sockets))
}

// Close stops accepting, closes the listeners and every connection, and
// waits for all read goroutines (each finishes the message it is handling)
// or for ctx. Sends after Close fail with ErrClosed.
func (t *Transport) Close(ctx context.Context) error {
	var err error
	t.mu.Lock()
	if t.state != stateClosed {
		t.state = stateClosed
		close(t.closing)
		err = t.closeListeners()
		t.conns.closeAll(ErrClosed)
	}
	t.mu.Unlock()
	return errors.Join(err, t.wait(ctx))
}

func (t *Transport) closeListeners() error {
	var errs []error
	for _, l := range t.listeners {
		errs = append(errs, l.close())
	}
	return errors.Join(errs...)
}

// wait returns when every goroutine ended or ctx is done; in the latter case
// a handler is stuck and the waiter goroutine ends when it does.
func (t *Transport) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		t.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close transport: %w", ctx.Err())
	}
}

func (t *Transport) currentState() state {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state
}

// pause sleeps for d unless the transport closes first.
func (t *Transport) pause(d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-t.closing:
		return false
	}
}

// Listener returns the listener named name, or nil.
func (t *Transport) Listener(name string) *Listener { return t.byName[name] }

// Listeners returns every listener in configuration order.
func (t *Transport) Listeners() []*Listener { return slices.Clone(t.listeners) }

// ListenersBySide returns the listeners of one side in configuration order.
func (t *Transport) ListenersBySide(side string) []*Listener {
	var out []*Listener
	for _, l := range t.listeners {
		if l.Side() == side {
			out = append(out, l)
		}
	}
	return out
}

// Stats sums the counters of every listener and socket. It may be called
// at any time, even while Start binds.
func (t *Transport) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	var v [numCounters]uint64
	for _, l := range t.listeners {
		l.addStats(&v)
	}
	return statsFrom(&v)
}
