package registrar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sipfleet/sipfleet/internal/auth"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/transaction"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// Store is what the registrar needs of the location database.
type Store interface {
	BindingsOf(ctx context.Context, aors []store.AOR, now time.Time) ([][]store.Binding, error)
	UpdateAll(ctx context.Context, changes []store.Change) error
	Expire(ctx context.Context, now time.Time, limit int) (int, error)
}

// Options configure a registrar node.
type Options struct {
	Transport transport.Config // the registrar sets Handler
	Timers    transaction.Config
	Store     Store
	Auth      *auth.Authenticator // nil: no authentication
	HA1       auth.HA1Func        // the subscriber lookup Auth checks against, unless HA1All is set
	// HA1All, when set, looks up many users at once, in one round trip:
	// a batch asks it once, while its bindings are read, and checks each
	// REGISTER against what it gave, instead of calling HA1 for each.
	HA1All func(ctx context.Context, users []store.AOR) (auth.HA1Func, error)
	// CountNonces says that Store counts digest nonce uses in UpdateAll
	// (store.Change.Nonce), as sqlstore does: a REGISTER's nonce-count is
	// then written in its binding's transaction, not by Auth's
	// NonceCounter in one of its own.
	CountNonces  bool
	Rules        Rules
	Workers      int           // batches of REGISTERs in the database at once; default 4
	Batch        int           // REGISTERs in one batch at most; default 32
	QueryTimeout time.Duration // per REGISTER; default 3s
	// Latency, when set, is told each REGISTER's time from its arrival
	// to its answer (for a histogram: the tail is where a slow database
	// shows).
	Latency func(time.Duration)
	Logger  *slog.Logger
	Now     func() time.Time
}

// Registrar is a registrar node. It is the transport's handler.
type Registrar struct {
	opt   Options
	log   *slog.Logger
	tr    *transport.Transport
	txl   *transaction.Layer
	jobs  chan job
	wg    sync.WaitGroup
	msgs  sync.Pool
	down  atomic.Bool // the database is unreachable (logged once per outage)
	stats counters
	stop  context.CancelFunc
	quit  chan struct{} // closed by Close: the sweep ends
	base  context.Context
}

type job struct {
	tx  *transaction.ServerTx
	req *sip.Msg
	at  time.Time // when it arrived
}

// queueMin is the least number of REGISTERs waiting for a worker.
const queueMin = 1024

// New builds a registrar; Start binds its sockets.
func New(opt Options) (*Registrar, error) {
	if opt.Store == nil {
		return nil, errors.New("new registrar: a store is required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Workers <= 0 {
		opt.Workers = 4
	}
	if opt.Batch <= 0 {
		opt.Batch = 32
	}
	if opt.QueryTimeout <= 0 {
		opt.QueryTimeout = 3 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	// The queue absorbs the database's hiccups (a checkpoint, an fsync
	// that takes 100 ms) at a few thousand REGISTERs a second; beyond it
	// the registrar is behind by more than SIP's first retransmission
	// (T1, 500 ms at 2,000/s), and a 503 at once is better.
	r := &Registrar{opt: opt, log: opt.Logger, jobs: make(chan job, max(opt.Workers*4, queueMin))}
	r.msgs.New = func() any { return new(sip.Msg) }
	r.quit = make(chan struct{})
	r.base, r.stop = context.WithCancel(context.Background())
	timers := opt.Timers
	timers.Logger = opt.Logger
	txl, err := transaction.New(timers, transaction.HandlerFuncs{Serve: r.serveTx})
	if err != nil {
		return nil, fmt.Errorf("new registrar: %w", err)
	}
	r.txl = txl
	tc := opt.Transport
	tc.Handler, tc.Logger = r, opt.Logger
	if r.tr, err = transport.New(tc); err != nil {
		return nil, fmt.Errorf("new registrar: %w", err)
	}
	return r, nil
}

// Start binds the sockets and starts the workers and the expiry sweep.
func (r *Registrar) Start(ctx context.Context) error {
	for range r.opt.Workers {
		r.wg.Add(1)
		go r.worker()
	}
	r.wg.Add(1)
	go r.sweep()
	if err := r.tr.Start(ctx); err != nil {
		r.stop()
		close(r.quit)
		close(r.jobs)
		r.wg.Wait()
		return fmt.Errorf("start registrar: %w", err)
	}
	return nil
}

// Close stops reading, lets queued REGISTERs finish, and closes.
func (r *Registrar) Close(ctx context.Context) error {
	err := r.tr.Close(ctx)
	close(r.quit) // the sweep
	close(r.jobs)
	r.wg.Wait() // the queued REGISTERs are answered, on a live context
	r.stop()
	return errors.Join(err, r.txl.Close())
}

// Transport gives access to the sockets.
func (r *Registrar) Transport() *transport.Transport { return r.tr }

// HandlePacket is called by the transport for every message.
func (r *Registrar) HandlePacket(p *transport.Packet) {
	m := r.msgs.Get().(*sip.Msg)
	defer func() { m.Reset(); r.msgs.Put(m) }()
	var err error
	if p.Proto.Stream() {
		err = m.ParseStream(p.Data)
	} else {
		err = m.Parse(p.Data)
	}
	if !m.IsRequest() {
		r.stats.inc(cDropped) // the registrar sends no requests
		return
	}
	r.stats.inc(cRequests)
	if err != nil {
		if m.CanReply() {
			r.replyStateless(p, m, 400, sip.ReasonOf(err))
		}
		return
	}
	if me := m.ValidateRequest(sip.Limits{}, "path", "outbound"); me != nil {
		r.replyStateless(p, m, me.Status, me.Reason)
		return
	}
	switch m.Method() {
	case sip.REGISTER:
		r.txl.HandleRequest(m, r.sender(p), p.Proto.Stream())
	case sip.OPTIONS:
		r.replyStateless(p, m, 200, "OK")
	case sip.ACK:
	default:
		r.replyStateless(p, m, 405, "Method Not Allowed")
	}
}

// sender binds a transaction to where its request came from: the same
// socket or connection, back to the source (the LB, or the UA).
func (r *Registrar) sender(p *transport.Packet) transaction.SendFunc {
	sock, conn, src := p.Sock, p.Conn, p.Src
	if conn != 0 {
		return func(b []byte) error { return r.tr.SendConn(conn, b) }
	}
	return func(b []byte) error { return r.tr.SendUDP(sock, src, b) }
}

func (r *Registrar) replyStateless(p *transport.Packet, m *sip.Msg, code int, reason string) {
	if m.Method() == sip.ACK {
		return
	}
	b := sip.AppendResponseHead(nil, m, code, reason, sip.StatelessToTag(m))
	if code == 405 {
		b = sip.AppendHeader(b, "Allow", []byte("REGISTER, OPTIONS"))
	}
	_ = r.tr.Reply(p, sip.AppendBody(b, nil))
}

// serveTx queues a new REGISTER for a worker; a full queue means the
// database cannot keep up, and the UA is told to come back. A REGISTER
// without credentials, when they are required, is answered at once: its
// 401 needs no database, and most UAs send one before every REGISTER
// that counts, so it should not wait in the queue behind them.
func (r *Registrar) serveTx(tx *transaction.ServerTx, req *sip.Msg) {
	j := job{tx, req, time.Now()}
	if r.opt.Auth != nil && req.Count(sip.HdrAuthorization) == 0 {
		it := &item{job: j}
		if r.parse(it, r.opt.Now()) {
			r.authenticate(r.base, it, r.lookup(r.base, []*item{it}))
		}
		if it.out != nil {
			r.answer(j, it.out)
			return
		}
	}
	select {
	case r.jobs <- j:
	default:
		r.stats.inc(cOverload)
		f := &failure{status: 503, reason: "Service Unavailable"}
		r.answer(j, appendFailure(nil, req, f, tx.ToTag()))
	}
}

// answer sends a REGISTER's response; its time is taken as it goes.
func (r *Registrar) answer(j job, out []byte) {
	if r.opt.Latency != nil {
		r.opt.Latency(time.Since(j.at))
	}
	if err := j.tx.RespondBytes(out); err != nil {
		r.stats.inc(cSendErrors)
	}
}

// worker takes the REGISTERs waiting, up to a batch, and runs them
// together. It does not wait for a batch to fill: under light load a
// batch is one REGISTER and nothing is delayed; batches grow by
// themselves while the workers are busy in the database.
func (r *Registrar) worker() {
	defer r.wg.Done()
	batch := make([]job, 0, r.opt.Batch)
	for j := range r.jobs {
		batch = append(batch[:0], j)
	fill:
		for len(batch) < r.opt.Batch {
			select {
			case j, ok := <-r.jobs:
				if !ok {
					break fill
				}
				batch = append(batch, j)
			default:
				break fill
			}
		}
		r.processBatch(batch)
		clear(batch) // let the requests go
	}
}

// sweep deletes expired bindings now and then; every node does it, and
// the store's delete re-checks the expiry so it never races a refresh.
func (r *Registrar) sweep() {
	defer r.wg.Done()
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-r.quit:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(r.base, r.opt.QueryTimeout)
			_, err := r.opt.Store.Expire(ctx, r.opt.Now(), 1000)
			cancel()
			r.dbResult(err)
		}
	}
}
