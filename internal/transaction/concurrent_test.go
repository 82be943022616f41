package transaction

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"go.uber.org/goleak"
)

// TestConcurrentUse runs server and client transactions from several
// goroutines while another drives the clock, for go test -race. Every
// transaction must end exactly once and leave the tables empty.
func TestConcurrentUse(t *testing.T) {
	const workers, perWorker = 4, 300
	clk := NewManualClock(epoch)
	var served, answered atomic.Int64
	pending := make(chan *ServerTx, workers*perWorker)
	l, err := New(Config{Clock: clk, Shards: 8}, HandlerFuncs{Serve: func(tx *ServerTx, req *sip.Msg) {
		served.Add(1)
		if req.Method() == sip.INVITE {
			pending <- tx // answered later, from another goroutine
			return
		}
		if err := tx.Respond(200, "OK"); err == nil {
			answered.Add(1)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	send := func([]byte) error { return nil }

	var finals, terminated, errs atomic.Int64
	tu := ClientFuncs{
		Response: func(_ *ClientTx, m *sip.Msg) {
			if m.StatusCode() >= 200 {
				finals.Add(1)
			}
		},
		Error:      func(*ClientTx, error) { errs.Add(1) },
		Terminated: func(*ClientTx) { terminated.Add(1) },
	}

	stop := make(chan struct{})
	// Each iteration (a request and its retransmission, a client request
	// and its response) runs under the read lock, so the racing clock
	// cannot age a transaction past Timer J or B in between (it did on a
	// loaded machine: 32 s of fake time in a few ms).
	var clockMu sync.RWMutex
	var clock sync.WaitGroup
	clock.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				clockMu.Lock()
				clk.Advance(10 * time.Millisecond)
				clockMu.Unlock()
				runtime.Gosched()
			}
		}
	})
	var responders sync.WaitGroup
	responders.Go(func() {
		for tx := range pending {
			if tx.Respond(486, "Busy Here") == nil {
				answered.Add(1)
			}
		}
	})

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			inv := newMsgGen(t, "invite.sip", "z9hG4bK74bf9")
			reg := newMsgGen(t, "register.sip", "z9hG4bKnashds7")
			cinv := newMsgGen(t, "client-invite.sip", "z9hG4bK2d4790.1")
			c486 := newMsgGen(t, "client-486.sip", "z9hG4bK2d4790.1")
			var m sip.Msg
			// step runs iteration i under the clock's read lock; false stops.
			step := func(i int) bool {
				clockMu.RLock()
				defer clockMu.RUnlock()
				n := uint64(w*perWorker + i)
				for _, g := range []*msgGen{inv, reg} {
					if err := m.Parse(g.stamp(n)); err != nil {
						t.Error(err)
						return false
					}
					reliable := i%2 == 0
					l.HandleRequest(&m, send, reliable)
					if !reliable {
						l.HandleRequest(&m, send, reliable) // a retransmission
					}
				}
				if _, err := l.NewClientTx(cinv.stamp(n), send, i%3 == 0, tu); err != nil {
					t.Error(err)
					return false
				}
				if i%4 != 0 { // the rest time out (Timer B)
					_ = m.Parse(c486.stamp(n))
					l.HandleResponse(&m)
					l.HandleResponse(&m)
				}
				return true
			}
			for i := range perWorker {
				if !step(i) {
					return
				}
			}
		})
	}
	wg.Wait()
	close(pending) // the responder drains what is queued
	responders.Wait()
	close(stop)
	clock.Wait()
	clk.Advance(2 * time.Minute)

	const total = workers * perWorker
	if got := served.Load(); got != 2*total {
		t.Errorf("served %d requests, want %d", got, 2*total)
	}
	if got := answered.Load(); got != 2*total {
		t.Errorf("answered %d, want %d", got, 2*total)
	}
	if f, e := finals.Load(), errs.Load(); f+e != total || e != total/4 {
		t.Errorf("client finals %d + errors %d, want %d with %d timeouts", f, e, total, total/4)
	}
	if got := terminated.Load(); got != total {
		t.Errorf("terminated %d client transactions, want %d", got, total)
	}
	if s := l.Stats(); s != (Stats{}) {
		t.Errorf("transactions left: %+v", s)
	}
}

// TestSystemClock runs the real timer goroutine with a short T1 and checks
// that Close stops it (goleak).
func TestSystemClock(t *testing.T) {
	defer goleak.VerifyNone(t)
	l, err := New(Config{T1: 5 * time.Millisecond, T2: 20 * time.Millisecond, T4: 20 * time.Millisecond, Tick: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sends atomic.Int64
	done := make(chan error, 1)
	_, err = l.NewClientTx(readMsg(t, "client-options.sip"), func([]byte) error {
		sends.Add(1)
		return nil
	}, false, ClientFuncs{Error: func(_ *ClientTx, err error) { done <- err }})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrTimeout) {
			t.Errorf("got %v, want a timeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Timer F never fired")
	}
	// 64*T1 = 320 ms: 0, 5, 15, 35, 75, then every 20 ms: about 17 sends.
	if n := sends.Load(); n < 10 || n > 20 {
		t.Errorf("%d sends before Timer F, want about 17", n)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if l.HandleRequest(parseMsg(t, readMsg(t, "register.sip")), nil, false) {
		t.Error("HandleRequest after Close handled the request")
	}
}

func TestUserTimer(t *testing.T) {
	h := newHarness(t, Config{})
	fired := 0
	h.l.AfterFunc(3*time.Minute, func() { fired++ }) // Timer C's default
	stopped := h.l.AfterFunc(time.Second, func() { fired += 100 })
	reset := h.l.AfterFunc(time.Second, func() { fired += 10 })
	h.advanceTo(sec(0.5))
	if !stopped.Stop() || !reset.Reset(2*time.Second) {
		t.Fatal("Stop or Reset found the timer unarmed")
	}
	h.advanceTo(sec(2.49))
	if fired != 0 {
		t.Fatalf("fired = %d before any deadline", fired)
	}
	h.advanceTo(sec(2.5))
	if fired != 10 {
		t.Fatalf("fired = %d at 2.5s, want the reset timer only", fired)
	}
	h.advanceTo(3 * time.Minute)
	if fired != 11 || stopped.Stop() {
		t.Fatalf("fired = %d at 3m, want 11", fired)
	}
}

func TestConfigValidate(t *testing.T) {
	_, err := New(Config{T1: time.Second, T2: time.Millisecond, Tick: 2 * time.Second, Shards: -1}, nil)
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"T2", "tick", "shards"} {
		if !containsFold(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestClose(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("recv invite.sip")
	h.do("start client-invite.sip")
	if err := h.l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Respond(486, "Busy Here"); !errors.Is(err, ErrClosed) {
		t.Errorf("Respond after Close: %v, want ErrClosed", err)
	}
	if h.l.HandleResponse(parseMsg(t, readMsg(t, "client-180.sip"))) {
		t.Error("HandleResponse after Close matched")
	}
	if s := h.l.Stats(); s != (Stats{}) {
		t.Errorf("transactions left after Close: %+v", s)
	}
	h.advanceTo(sec(40)) // no timer fires on a closed layer
	if got := len(h.trace); got != 2 {
		t.Errorf("trace after Close: %q", h.trace)
	}
}

// A panicking Handler still gets its request answered (500) so the
// transaction ends; the panic reaches the caller of HandleRequest.
func TestHandlerPanic(t *testing.T) {
	clk := NewManualClock(epoch)
	var sent []byte
	l, err := New(Config{Clock: clk}, HandlerFuncs{Serve: func(*ServerTx, *sip.Msg) { panic("bug") }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	func() {
		defer func() {
			if r := recover(); r != "bug" {
				t.Errorf("recovered %v, want the handler's panic", r)
			}
		}()
		l.HandleRequest(parseMsg(t, readMsg(t, "register.sip")), func(b []byte) error {
			sent = b
			return nil
		}, true)
	}()
	if m := parseMsg(t, sent); m.StatusCode() != 500 {
		t.Errorf("sent %q, want a 500", m.StartLine())
	}
	if s := l.Stats(); s != (Stats{}) {
		t.Errorf("transactions left: %+v", s)
	}
}

// A panicking callback on the timer goroutine is logged; the other
// timers' callbacks still run.
func TestTimerCallbackPanic(t *testing.T) {
	h := newHarness(t, Config{})
	ran := false
	h.l.AfterFunc(time.Second, func() { panic("bug") })
	h.l.AfterFunc(time.Second, func() { ran = true })
	h.advanceTo(sec(1))
	if !ran {
		t.Error("the second callback did not run")
	}
}
