package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sipfleet/sipfleet/internal/auth"
	"github.com/sipfleet/sipfleet/internal/resolver"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/transaction"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// Store is what the proxy needs of the database.
type Store interface {
	Bindings(ctx context.Context, aor store.AOR, now time.Time) ([]store.Binding, error)
	Get(ctx context.Context, user, domain string) (store.Subscriber, error)
}

// Resolver finds the targets of a URI (RFC 3263).
type Resolver interface {
	Resolve(ctx context.Context, q resolver.Query) ([]resolver.Target, error)
}

// queueMin is the least number of new requests waiting for a worker.
const queueMin = 1024

// Options configure a proxy node.
type Options struct {
	Transport transport.Config // the proxy sets Handler
	Timers    transaction.Config
	Store     Store
	Resolver  Resolver
	Auth      *auth.Authenticator // nil: no authentication
	HA1       auth.HA1Func
	Rules     Rules
	// Secret keys the token the proxy puts in its Record-Route, which
	// in-dialog requests must bring back; nil picks a random one (a
	// restart then ends the dialogs in progress through this node).
	Secret []byte
	// Workers bounds the requests being routed at once (each may wait on
	// the database or DNS); QueryTimeout bounds that wait.
	Workers      int
	QueryTimeout time.Duration
	Logger       *slog.Logger
	Now          func() time.Time
}

// Rules are the routing policy.
type Rules struct {
	// Domains are the local domains, lower case; the first is the realm
	// of challenges for requests whose From domain is not one of them.
	Domains   []string
	UseDomain bool
	// Edges are the LBs' private addresses: a request from one was
	// relayed from the public side. Outbound is where requests for other
	// domains are sent (an LB's private socket), invalid for none.
	Edges    []netip.Prefix
	Outbound netip.AddrPort
	// Trusted sources (by origin address) are not challenged.
	Trusted []netip.Prefix
	TimerC  time.Duration
	PSTN    *PSTN // nil: no PSTN routing
}

// Proxy is a proxy node. It is the transport's handler.
type Proxy struct {
	opt   Options
	log   *slog.Logger
	tr    *transport.Transport
	txl   *transaction.Layer
	socks []*sock
	jobs  chan *call
	// jobsMu guards sending to jobs against its closing.
	jobsMu     sync.RWMutex
	jobsClosed bool
	wg         sync.WaitGroup
	msgs       sync.Pool
	edits      sync.Pool
	down       atomic.Bool
	// draining refuses new calls while those in progress finish; active
	// counts the requests without a final response.
	draining  atomic.Bool
	active    atomic.Int64
	closeOnce sync.Once
	closeErr  error
	seq       atomic.Uint64 // branch counter
	stats     counters
	base      context.Context
	stop      context.CancelFunc
	avoid     avoidList
	rrKey     [2]uint64 // siphash key of the Record-Route token (token.go)
}

// New builds a proxy; Start binds its sockets.
func New(opt Options) (*Proxy, error) {
	if opt.Store == nil {
		return nil, errors.New("new proxy: a store is required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Workers <= 0 {
		opt.Workers = 64
	}
	if opt.QueryTimeout <= 0 {
		opt.QueryTimeout = 3 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Rules.TimerC <= 0 {
		opt.Rules.TimerC = 180 * time.Second
	}
	if len(opt.Rules.Domains) == 0 {
		opt.Rules.Domains = []string{"localhost"}
	}
	// As the registrar's: the queue absorbs the database's hiccups (a
	// read that waits 100 ms behind a checkpoint) at a few thousand calls
	// a second; with 64 workers' 256 it overflowed into 503s at 3,500
	// calls/s, and the LB took the proxy out of rotation for them.
	p := &Proxy{opt: opt, log: opt.Logger, jobs: make(chan *call, max(opt.Workers*4, queueMin))}
	p.msgs.New = func() any { return new(sip.Msg) }
	p.edits.New = func() any { return new(sip.Editor) }
	p.avoid.m = map[netip.AddrPort]time.Time{}
	p.avoid.ttl = 30 * time.Second
	if ps := opt.Rules.PSTN; ps != nil {
		p.avoid.ttl = ps.Avoid
	}
	p.base, p.stop = context.WithCancel(context.Background())
	p.rrKey = rrKey(opt.Secret)
	timers := opt.Timers
	timers.Logger = opt.Logger
	txl, err := transaction.New(timers, transaction.HandlerFuncs{Serve: p.serveTx, Error: p.txError})
	if err != nil {
		return nil, fmt.Errorf("new proxy: %w", err)
	}
	p.txl = txl
	tc := opt.Transport
	tc.Handler, tc.Logger = p, opt.Logger
	if p.tr, err = transport.New(tc); err != nil {
		_ = txl.Close()
		return nil, fmt.Errorf("new proxy: %w", err)
	}
	for _, l := range p.tr.Listeners() {
		s, err := newSock(l)
		if err != nil {
			return nil, fmt.Errorf("new proxy: listener %s: %w", l.Name(), err)
		}
		p.socks = append(p.socks, s)
	}
	if len(p.socks) == 0 {
		return nil, errors.New("new proxy: no listener")
	}
	return p, nil
}

// Start binds the sockets and starts the workers.
func (p *Proxy) Start(ctx context.Context) error {
	for range p.opt.Workers {
		p.wg.Add(1)
		go p.worker()
	}
	if err := p.tr.Start(ctx); err != nil {
		p.stop()
		p.closeJobs()
		p.wg.Wait()
		_ = p.txl.Close()
		return fmt.Errorf("start proxy: %w", err)
	}
	return nil
}

// Close drains the proxy: new initial requests are refused (503), and
// requests in progress (and the in-dialog requests of their calls) are
// served until they have their final responses or ctx ends. Then it stops
// reading and closes. Later calls do nothing.
func (p *Proxy) Close(ctx context.Context) error {
	p.closeOnce.Do(func() { p.closeErr = p.close(ctx) })
	return p.closeErr
}

func (p *Proxy) close(ctx context.Context) error {
	p.draining.Store(true)
	tick := time.NewTicker(20 * time.Millisecond)
	for p.active.Load() > 0 && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	tick.Stop()
	err := p.tr.Close(ctx)
	p.stop()
	p.closeJobs()
	p.wg.Wait()
	return errors.Join(err, p.txl.Close())
}

// closeJobs ends the workers' queue; a read loop may still be handing
// over a request when Close's ctx ran out, so under jobsMu.
func (p *Proxy) closeJobs() {
	p.jobsMu.Lock()
	p.jobsClosed = true
	close(p.jobs)
	p.jobsMu.Unlock()
}

// Transport gives access to the sockets.
func (p *Proxy) Transport() *transport.Transport { return p.tr }

// Transactions counts live transactions.
func (p *Proxy) Transactions() transaction.Stats { return p.txl.Stats() }

// HandlePacket is called by the transport for every message.
func (p *Proxy) HandlePacket(pk *transport.Packet) {
	m := p.msgs.Get().(*sip.Msg)
	defer func() { m.Reset(); p.msgs.Put(m) }()
	var err error
	if pk.Proto.Stream() {
		err = m.ParseStream(pk.Data)
	} else {
		err = m.Parse(pk.Data)
	}
	if !m.IsRequest() {
		if err == nil && m.ValidateResponse() == nil {
			p.handleResponse(m)
		} else {
			p.stats.inc(cDropped)
		}
		return
	}
	p.stats.inc(cRequests)
	if err != nil {
		if m.CanReply() {
			p.replyStateless(pk, m, 400, sip.ReasonOf(err))
		}
		return
	}
	if me := m.ValidateRequest(sip.Limits{}); me != nil {
		p.replyStateless(pk, m, me.Status, me.Reason)
		return
	}
	if p.isKeepalive(m) {
		p.replyStateless(pk, m, 200, "OK")
		return
	}
	if m.Method() == sip.ACK {
		// Matched, it is the ACK for a non-2xx the transaction absorbs;
		// else the ACK for a 2xx, forwarded statelessly (§16.11).
		if !p.txl.HandleRequest(m, nil, pk.Proto.Stream()) {
			p.forwardACK(m, pk)
		}
		return
	}
	// The call rides on the transaction from the start, so that a CANCEL
	// handled on another read loop always finds it; it carries the
	// source, which the routing decisions made later on a worker need
	// (trust, the origin behind an LB).
	p.txl.HandleRequestValue(m, p.sender(pk), pk.Proto.Stream(), &call{p: p, src: pk.Src, routing: true})
}

// isKeepalive: an OPTIONS for the proxy itself (no user part), which is
// how the LB probes it.
func (p *Proxy) isKeepalive(m *sip.Msg) bool {
	if m.Method() != sip.OPTIONS || len(m.ToTag()) > 0 {
		return false
	}
	u, err := m.RequestURI()
	return err == nil && len(u.User) == 0 && (p.ownsURI(&u) || p.isLocalDomain(u.Host))
}

// sender binds a server transaction to where its request came from.
func (p *Proxy) sender(pk *transport.Packet) transaction.SendFunc {
	sock, conn, src := pk.Sock, pk.Conn, pk.Src
	if conn != 0 {
		return func(b []byte) error { return p.tr.SendConn(conn, b) }
	}
	return func(b []byte) error { return p.tr.SendUDP(sock, src, b) }
}

func (p *Proxy) replyStateless(pk *transport.Packet, m *sip.Msg, code int, reason string) {
	if m.Method() == sip.ACK {
		return
	}
	b := sip.AppendResponseHead(nil, m, code, reason, sip.StatelessToTag(m))
	if code == 200 && m.Method() == sip.OPTIONS {
		b = sip.AppendHeader(b, "Allow", []byte(allowed))
	}
	_ = p.tr.Reply(pk, sip.AppendBody(b, nil))
}

// allowed is the Allow header of the proxy's own answers.
const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, SUBSCRIBE, NOTIFY, REFER, INFO, UPDATE, PRACK"

// serveTx takes a new server transaction: a CANCEL is handled at once,
// everything else is queued for a worker.
func (p *Proxy) serveTx(tx *transaction.ServerTx, req *sip.Msg) {
	if req.Method() == sip.CANCEL {
		p.cancel(tx, req)
		return
	}
	if p.draining.Load() && len(req.ToTag()) == 0 {
		_ = tx.RespondBytes(appendWithHeaders(req, 503, tx.ToTag(), retryAfter))
		return
	}
	if req.Method() == sip.INVITE {
		// §16.2: a stateful proxy answers an INVITE with 100 at once, so
		// the caller stops retransmitting while the lookup runs.
		_ = tx.Respond(100, "Trying")
	}
	c, _ := tx.Value().(*call)
	if c == nil {
		c = &call{p: p, routing: true}
		tx.SetValue(c)
	}
	c.init(tx, req)
	p.jobsMu.RLock()
	defer p.jobsMu.RUnlock()
	if p.jobsClosed {
		c.respond(503, "Service Unavailable", retryAfter)
		return
	}
	select {
	case p.jobs <- c:
	default:
		p.stats.inc(cOverload)
		c.respond(503, "Service Unavailable", retryAfter)
	}
}

// retryAfter asks a UA turned away by an overload or an outage to come
// back in a few seconds.
var retryAfter = []sip.Field{{Name: "Retry-After", Value: "5"}}

func (p *Proxy) txError(tx *transaction.ServerTx, err error) {
	p.log.Debug("server transaction failed", "method", tx.Method().String(), "err", err)
}

func (p *Proxy) worker() {
	defer p.wg.Done()
	for c := range p.jobs {
		p.route(c)
	}
}

// dbResult tracks the database's state to log an outage once.
func (p *Proxy) dbResult(err error) {
	if err == nil {
		if p.down.Swap(false) {
			p.log.Info("location database is back")
		}
		return
	}
	p.stats.inc(cDBErrors)
	if !p.down.Swap(true) {
		p.log.Error("location database unavailable; answering 503", "err", err)
	}
}
