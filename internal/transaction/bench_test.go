package transaction

import (
	"runtime"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// The benchmarks run whole transactions, from the request to Terminated,
// on a ManualClock that advances 10 ms every 100 operations: 10,000
// transactions per simulated second, so the timer wheel carries the
// realistic backlog (32 s of lingering transactions on UDP) and ns/op
// includes the timers and the termination. Run them with a bounded count,
// e.g. -benchtime=100000x: a UDP run keeps up to 320,000 transactions
// alive.

const opsPerTick = 100

func nopSend([]byte) error { return nil }

func benchLayer(b *testing.B, h Handler) (*Layer, *ManualClock) {
	clk := NewManualClock(epoch)
	l, err := New(Config{Clock: clk}, h)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l, clk
}

// drain runs the clock past every timer and checks nothing is left.
func drain(b *testing.B, l *Layer, clk *ManualClock) {
	clk.Advance(2 * time.Minute)
	if s := l.Stats(); s != (Stats{}) {
		b.Fatalf("transactions left: %+v", s)
	}
}

func transports(b *testing.B, f func(b *testing.B, reliable bool)) {
	b.Run("udp", func(b *testing.B) { f(b, false) })
	b.Run("tcp", func(b *testing.B) { f(b, true) })
}

// BenchmarkServerNonInvite: REGISTER received, 200 OK from the TU inside
// ServeTx, Timer J, Terminated. The request's parse by the receive loop is
// included, as in a server.
func BenchmarkServerNonInvite(b *testing.B) {
	transports(b, func(b *testing.B, reliable bool) {
		l, clk := benchLayer(b, HandlerFuncs{Serve: func(tx *ServerTx, _ *sip.Msg) {
			_ = tx.Respond(200, "OK")
		}})
		g := newMsgGen(b, "register.sip", "z9hG4bKnashds7")
		var m sip.Msg
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			_ = m.Parse(g.stamp(uint64(i)))
			l.HandleRequest(&m, nopSend, reliable)
			if i%opsPerTick == opsPerTick-1 {
				clk.Advance(10 * time.Millisecond)
			}
		}
		drain(b, l, clk)
	})
}

// BenchmarkServerInvite: INVITE received, 180 and 486 from the TU, ACK
// absorbed, Timer I, Terminated.
func BenchmarkServerInvite(b *testing.B) {
	transports(b, func(b *testing.B, reliable bool) {
		l, clk := benchLayer(b, HandlerFuncs{Serve: func(tx *ServerTx, _ *sip.Msg) {
			_ = tx.Respond(180, "Ringing")
			_ = tx.Respond(486, "Busy Here")
		}})
		inv := newMsgGen(b, "invite.sip", "z9hG4bK74bf9")
		ack := newMsgGen(b, "ack-non2xx.sip", "z9hG4bK74bf9")
		var m sip.Msg
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			_ = m.Parse(inv.stamp(uint64(i)))
			l.HandleRequest(&m, nopSend, reliable)
			_ = m.Parse(ack.stamp(uint64(i)))
			l.HandleRequest(&m, nopSend, reliable)
			if i%opsPerTick == opsPerTick-1 {
				clk.Advance(10 * time.Millisecond)
			}
		}
		drain(b, l, clk)
	})
}

// BenchmarkClientInvite: INVITE sent, 180 received, then a 200 (Accepted,
// Timer M) or a 486 (ACK built and sent, Timer D), Terminated.
func BenchmarkClientInvite(b *testing.B) {
	for _, final := range []string{"client-200.sip", "client-486.sip"} {
		b.Run(final[len("client-"):len(final)-len(".sip")], func(b *testing.B) {
			transports(b, func(b *testing.B, reliable bool) {
				l, clk := benchLayer(b, nil)
				inv := newMsgGen(b, "client-invite.sip", "z9hG4bK2d4790.1")
				ringing := newMsgGen(b, "client-180.sip", "z9hG4bK2d4790.1")
				fin := newMsgGen(b, final, "z9hG4bK2d4790.1")
				tu := ClientFuncs{}
				var m sip.Msg
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					n := uint64(i)
					if _, err := l.NewClientTx(inv.stamp(n), nopSend, reliable, tu); err != nil {
						b.Fatal(err)
					}
					_ = m.Parse(ringing.stamp(n))
					l.HandleResponse(&m)
					_ = m.Parse(fin.stamp(n))
					l.HandleResponse(&m)
					if i%opsPerTick == opsPerTick-1 {
						clk.Advance(10 * time.Millisecond)
					}
				}
				drain(b, l, clk)
			})
		})
	}
}

// BenchmarkClientNonInvite: OPTIONS sent, 200 received, Timer K,
// Terminated.
func BenchmarkClientNonInvite(b *testing.B) {
	transports(b, func(b *testing.B, reliable bool) {
		l, clk := benchLayer(b, nil)
		req := newMsgGen(b, "client-options.sip", "z9hG4bK2d4790.1")
		ok := newMsgGen(b, "client-options-200.sip", "z9hG4bK2d4790.1")
		var m sip.Msg
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := l.NewClientTx(req.stamp(uint64(i)), nopSend, reliable, ClientFuncs{}); err != nil {
				b.Fatal(err)
			}
			_ = m.Parse(ok.stamp(uint64(i)))
			l.HandleResponse(&m)
			if i%opsPerTick == opsPerTick-1 {
				clk.Advance(10 * time.Millisecond)
			}
		}
		drain(b, l, clk)
	})
}

// liveCost creates n live transactions with create and returns the heap
// bytes each one holds and how many goroutines the layer added.
func liveCost(tb testing.TB, n int, h Handler, create func(l *Layer, i int)) (bytesPerTx float64, goroutines int) {
	tb.Helper()
	g0 := runtime.NumGoroutine()
	// The system clock: the layer's one timer goroutine is part of the cost.
	l, err := New(Config{}, h)
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		create(l, i)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	goroutines = runtime.NumGoroutine() - g0
	if s := l.Stats(); s.Server+s.Client != n {
		tb.Fatalf("%+v live, want %d", s, n)
	}
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n), goroutines
}

type liveCase struct {
	name   string
	h      Handler
	create func(tb testing.TB) func(l *Layer, i int)
}

func liveCases() []liveCase {
	serverReq := func(file, branch string) func(tb testing.TB) func(*Layer, int) {
		return func(tb testing.TB) func(*Layer, int) {
			g := newMsgGen(tb, file, branch)
			var m sip.Msg
			return func(l *Layer, i int) {
				_ = m.Parse(g.stamp(uint64(i)))
				l.HandleRequest(&m, nopSend, false)
			}
		}
	}
	return []liveCase{{
		name:   "server INVITE, Proceeding",
		h:      HandlerFuncs{Serve: func(tx *ServerTx, _ *sip.Msg) { _ = tx.Respond(180, "Ringing") }},
		create: serverReq("invite.sip", "z9hG4bK74bf9"),
	}, {
		name:   "server non-INVITE, Completed",
		h:      HandlerFuncs{Serve: func(tx *ServerTx, _ *sip.Msg) { _ = tx.Respond(200, "OK") }},
		create: serverReq("register.sip", "z9hG4bKnashds7"),
	}, {
		name: "client INVITE, Calling",
		create: func(tb testing.TB) func(*Layer, int) {
			g := newMsgGen(tb, "client-invite.sip", "z9hG4bK2d4790.1")
			return func(l *Layer, i int) {
				if _, err := l.NewClientTx(g.stamp(uint64(i)), nopSend, false, ClientFuncs{}); err != nil {
					tb.Fatal(err)
				}
			}
		},
	}}
}

// TestLiveCost holds 10,000 transactions at once and checks that the
// goroutine count does not grow with them; it logs the bytes each holds
// (go test -v -run LiveCost).
func TestLiveCost(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 10,000 transactions per case")
	}
	for _, c := range liveCases() {
		t.Run(c.name, func(t *testing.T) {
			per, g := liveCost(t, 10_000, c.h, c.create(t))
			t.Logf("%.0f bytes per transaction, %d goroutine(s) for 10,000 transactions", per, g)
			if g > 1 {
				t.Errorf("%d goroutines for 10,000 transactions, want the layer's one", g)
			}
			if per > 8<<10 {
				t.Errorf("%.0f bytes per transaction", per)
			}
		})
	}
}

// Benchmark10kLive reports the same figures as metrics.
func Benchmark10kLive(b *testing.B) {
	for _, c := range liveCases() {
		b.Run(c.name, func(b *testing.B) {
			var per float64
			var g int
			for range b.N {
				per, g = liveCost(b, 10_000, c.h, c.create(b))
			}
			b.ReportMetric(per, "B/tx")
			b.ReportMetric(float64(g), "goroutines")
		})
	}
}
