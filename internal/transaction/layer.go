package transaction

import (
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// SendFunc sends one message to the peer of a transaction, bound by the
// caller to a socket and destination (for a server transaction: where the
// response goes per RFC 3261 §18.2.2 and RFC 3581). It must not modify b;
// it may keep b, which the transaction never modifies.
type SendFunc func(b []byte) error

// Handler is the TU side of server transactions.
type Handler interface {
	// ServeTx is called once per new server transaction, on the goroutine
	// that called HandleRequest. req belongs to the transaction and stays
	// valid after ServeTx returns; the TU answers with tx.Respond or
	// tx.RespondBytes, now or later, from any goroutine.
	ServeTx(tx *ServerTx, req *sip.Msg)
	// TxError reports a server transaction failure: Timer H expired
	// without an ACK (ErrTimeout, §17.2.1) or a response could not be
	// retransmitted (*TransportError, §17.2.4).
	TxError(tx *ServerTx, err error)
}

// HandlerFuncs adapts functions to Handler; a nil field ignores the call.
type HandlerFuncs struct {
	Serve func(tx *ServerTx, req *sip.Msg)
	Error func(tx *ServerTx, err error)
}

// ServeTx implements Handler.
func (h HandlerFuncs) ServeTx(tx *ServerTx, req *sip.Msg) {
	if h.Serve != nil {
		h.Serve(tx, req)
	}
}

// TxError implements Handler.
func (h HandlerFuncs) TxError(tx *ServerTx, err error) {
	if h.Error != nil {
		h.Error(tx, err)
	}
}

// Layer is the transaction layer of one SIP element: the tables of live
// client and server transactions and the timers that drive them.
type Layer struct {
	cfg     Config
	log     *slog.Logger
	handler Handler
	seed    maphash.Seed
	shards  []*shard
	mask    uint64
	start   time.Time
	ticks   tickDurations

	tickMu sync.Mutex // one tick at a time; guards fx
	fx     effects
	stop   func()
	closed atomic.Bool
	userRR atomic.Uint64 // spreads TU timers over the shards
	msgs   sync.Pool     // scratch *sip.Msg for reading our own messages
}

// shard is one independently locked part of the tables. Transactions are
// placed by a hash of their branch (or Call-ID for RFC 2543 requests), so
// a retransmission, its ACK and its CANCEL all land in the same shard.
type shard struct {
	mu     sync.Mutex
	server map[string]*ServerTx
	client map[string]*ClientTx
	wheel  wheel
}

// tickDurations are the configured timers converted to wheel ticks once.
type tickDurations struct {
	t1, t2, t4, d, m, timeout64, trying int64
}

// New starts a transaction layer that hands new server transactions to h.
// It starts one goroutine for the timers (none with a ManualClock); Close
// stops it.
func New(cfg Config, h Handler) (*Layer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("transaction config: %w", err)
	}
	if h == nil {
		h = HandlerFuncs{}
	}
	l := &Layer{
		cfg:     cfg,
		log:     cfg.Logger,
		handler: h,
		seed:    maphash.MakeSeed(),
		shards:  make([]*shard, cfg.Shards),
		mask:    uint64(cfg.Shards - 1),
		start:   cfg.Clock.Now(),
	}
	for i := range l.shards {
		l.shards[i] = &shard{server: make(map[string]*ServerTx), client: make(map[string]*ClientTx)}
	}
	l.ticks = tickDurations{
		t1: l.toTicks(cfg.T1), t2: l.toTicks(cfg.T2), t4: l.toTicks(cfg.T4),
		d: l.toTicks(cfg.TimerD), m: l.toTicks(cfg.timerM()), timeout64: l.toTicks(cfg.timeout64()),
		trying: l.toTicks(trying100),
	}
	l.stop = cfg.Clock.Every(cfg.Tick, l.tick)
	return l, nil
}

// toTicks rounds d up to whole ticks, so no timer fires early.
func (l *Layer) toTicks(d time.Duration) int64 {
	return int64((d + l.cfg.Tick - 1) / l.cfg.Tick)
}

// Close stops the timers and drops every transaction without calling the
// TU; later calls on the layer or its transactions return ErrClosed or
// false. It must not be called from a TU callback.
func (l *Layer) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	l.stop()
	for _, sh := range l.shards {
		sh.mu.Lock()
		clear(sh.server)
		clear(sh.client)
		sh.mu.Unlock()
	}
	return nil
}

// tick advances every shard's wheel to now and performs what fired.
func (l *Layer) tick(now time.Time) {
	if l.closed.Load() {
		return
	}
	to := int64(now.Sub(l.start) / l.cfg.Tick)
	l.tickMu.Lock()
	defer l.tickMu.Unlock()
	for _, sh := range l.shards {
		sh.mu.Lock()
		sh.wheel.advance(to, &l.fx)
		sh.mu.Unlock()
		l.runRecovering(&l.fx)
	}
}

func (l *Layer) shardFor(b []byte) *shard {
	return l.shards[maphash.Bytes(l.seed, b)&l.mask]
}

// scratchMsg parses b into a pooled Msg; release it with putMsg. The
// transaction's own messages (the request it sent, a response it builds)
// are re-read this way without allocating a Msg each time.
func (l *Layer) scratchMsg(b []byte) *sip.Msg {
	m, _ := l.msgs.Get().(*sip.Msg)
	if m == nil {
		m = new(sip.Msg)
	}
	_ = m.Parse(b) // b was parsed before, or built by this package
	return m
}

// putMsg returns m to the pool. It still points at the last buffer it
// read, which at worst outlives its transaction until the pool is
// cleared at the next GC cycles; resetting it would cost an allocation.
func (l *Layer) putMsg(m *sip.Msg) { l.msgs.Put(m) }

// Stats counts live transactions.
type Stats struct {
	Server, Client int
}

// Stats returns the number of live transactions.
func (l *Layer) Stats() Stats {
	var s Stats
	for _, sh := range l.shards {
		sh.mu.Lock()
		s.Server += len(sh.server)
		s.Client += len(sh.client)
		sh.mu.Unlock()
	}
	return s
}
