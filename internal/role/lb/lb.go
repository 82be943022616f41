package lb

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sipfleet/sipfleet/internal/dispatcher"
	"github.com/sipfleet/sipfleet/internal/nat"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transaction"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// PathReceived says when a REGISTER's Path carries ;received=.
type PathReceived uint8

// The Path modes, as Kamailio's add_path versus add_path_received.
const (
	ReceivedWhenNAT PathReceived = iota
	ReceivedAlways
	ReceivedNever
)

// Limiter is the per-source flood protection (internal/pike).
type Limiter interface {
	Allow(ip netip.Addr, now time.Time) bool
}

// lbTick is the LB's timer wheel resolution; see New.
const lbTick = 50 * time.Millisecond

// Options configures an LB. Listeners must have Side "public" or
// "private"; one side may be missing in a single-homed setup, where one
// socket serves both.
type Options struct {
	Transport     transport.Config // listeners and limits; the LB sets Handler
	Timers        transaction.Config
	Dispatcher    *dispatcher.Dispatcher
	Algorithm     dispatcher.Algorithm
	ProxySet      int
	RegistrarSet  int
	Secret        []byte // signs branches; nil: random
	PathReceived  PathReceived
	NATTests      nat.Test
	FailoverCodes []int // default 408, 500, 503
	MaxFailover   int   // destinations one request may try; default 3
	Peers         []netip.AddrPort
	PrivateNets   []netip.Prefix       // addresses treated as backends besides the list's
	Limiter       Limiter              // nil: no rate limit
	IsScanner     func(ua []byte) bool // nil: no scanner filter
	Logger        *slog.Logger
	// NetpollRead reads UDP through Go's netpoller, as other roles do,
	// instead of the LB's default: a blocking reader thread per socket
	// (transport.ListenerConfig.BlockingRead), which costs a third less
	// CPU per call at moderate rates (bench/RESULTS.md).
	NetpollRead bool
}

// LB is the edge load balancer. It is the transport's handler.
type LB struct {
	opt  Options
	log  *slog.Logger
	tr   *transport.Transport
	txl  *transaction.Layer
	disp *dispatcher.Dispatcher
	sign signer
	// sockets is set once Start has bound them; a message read before
	// then is dropped.
	sockets atomic.Pointer[sockets]
	peers   map[netip.AddrPort]bool
	backend backendSet
	fail    [700]bool // status codes that fail over
	flights flights
	work    sync.Pool
	stats   counters
	now     func() time.Time
	base    context.Context
	stop    context.CancelFunc
}

// New builds an LB; Start binds its sockets.
func New(opt Options) (*LB, error) {
	if opt.Dispatcher == nil {
		return nil, errors.New("new lb: a dispatcher is required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.MaxFailover <= 0 {
		opt.MaxFailover = 3
	}
	if len(opt.FailoverCodes) == 0 {
		opt.FailoverCodes = []int{408, 500, 503}
	}
	secret := opt.Secret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	lb := &LB{
		opt: opt, log: opt.Logger, disp: opt.Dispatcher, sign: newSigner(secret),
		peers: make(map[netip.AddrPort]bool), now: time.Now,
	}
	for _, c := range opt.FailoverCodes {
		if c < 300 || c >= len(lb.fail) {
			return nil, fmt.Errorf("new lb: failover code %d is not a final error status", c)
		}
		lb.fail[c] = true
	}
	for _, p := range opt.Peers {
		lb.peers[netip.AddrPortFrom(p.Addr().Unmap(), p.Port())] = true
	}
	lb.flights.init()
	lb.base, lb.stop = context.WithCancel(context.Background())
	lb.work.New = func() any { return newWork() }
	tcfg := opt.Transport
	tcfg.Listeners = slices.Clone(tcfg.Listeners)
	for i := range tcfg.Listeners {
		if l := &tcfg.Listeners[i]; l.Proto == transport.UDP && !opt.NetpollRead {
			l.BlockingRead = true
		}
	}
	tcfg.Handler = lb
	tcfg.Logger = opt.Logger
	tr, err := transport.New(tcfg)
	if err != nil {
		return nil, fmt.Errorf("new lb: %w", err)
	}
	lb.tr = tr
	timers := opt.Timers
	timers.Logger = opt.Logger
	if timers.Tick == 0 && (timers.T1 == 0 || timers.T1 >= lbTick) {
		// The LB's transactions only time out and retransmit (Timer B
		// and F at 32 s, T1 at 500 ms), so a coarser wheel serves them
		// as well, and each tick wakes the process: 50 ms instead of
		// 10 ms saved ~4 µs of CPU per call at 2,000 calls/s (58–60
		// against 62–64 µs, interleaved runs).
		timers.Tick = lbTick
	}
	txl, err := transaction.New(timers, transaction.HandlerFuncs{})
	if err != nil {
		return nil, fmt.Errorf("new lb: %w", err)
	}
	lb.txl = txl
	return lb, nil
}

// Start binds the listeners and starts serving.
func (lb *LB) Start(ctx context.Context) error {
	if err := lb.tr.Start(ctx); err != nil {
		return fmt.Errorf("start lb: %w", err)
	}
	ss := &sockets{}
	for _, l := range lb.tr.Listeners() {
		sd := public
		if l.Side() == "private" {
			sd = private
		}
		s, err := newSock(l, sd)
		if err != nil {
			_ = lb.tr.Close(ctx)
			return fmt.Errorf("start lb: listener %s: %w", l.Name(), err)
		}
		s.idx = len(ss.all)
		ss.all = append(ss.all, s)
		if sd == public {
			ss.pub = append(ss.pub, s)
		} else {
			ss.priv = append(ss.priv, s)
		}
	}
	// Single-homed: one side serves both.
	if len(ss.pub) == 0 {
		ss.pub = ss.priv
	}
	if len(ss.priv) == 0 {
		ss.priv = ss.pub
	}
	lb.backend.refresh(lb.disp, lb.opt.PrivateNets)
	lb.sockets.Store(ss)
	return nil
}

// Close stops the LB: no new messages are read, and in-flight
// transactions are dropped.
func (lb *LB) Close(ctx context.Context) error {
	lb.stop()
	err := lb.tr.Close(ctx)
	return errors.Join(err, lb.txl.Close())
}

// Transport gives access to the sockets (addresses, stats).
func (lb *LB) Transport() *transport.Transport { return lb.tr }

// DispatcherReloaded must be called after the dispatcher's sets changed,
// so that the open-relay check knows the new backends.
func (lb *LB) DispatcherReloaded() { lb.backend.refresh(lb.disp, lb.opt.PrivateNets) }

// work is the scratch one message needs; pooled, so the hot path
// allocates nothing.
type work struct {
	p   *transport.Packet // the packet being handled, on a read loop; else nil
	m   sip.Msg
	e   sip.Editor
	out []byte
	tmp []byte
	// What the handling of m has worked out and more than one step
	// needs; forget clears it with m.
	key  keyCache
	ours oursCache
}

// keyCache is the flight key of the request in w.m (see requestKey).
type keyCache struct {
	set, ok bool
	key     uint64
}

// oursCache is the verdict of ours on a response.
type oursCache struct {
	m    *sip.Msg // the message it is for; nil: none
	tag  branchTag
	prev sip.Via
	n    int
	ok   bool
}

// forget drops the message and what was derived from it.
func (w *work) forget() {
	w.m.Reset()
	w.key, w.ours = keyCache{}, oursCache{}
}

func newWork() *work { return &work{out: make([]byte, 0, 4096), tmp: make([]byte, 0, 512)} }

// HandlePacket is called by the transport for every message received.
func (lb *LB) HandlePacket(p *transport.Packet) {
	in := lb.sockOf(p.Listener)
	if in == nil {
		return
	}
	w := lb.work.Get().(*work)
	w.p = p
	defer func() { w.p = nil; lb.work.Put(w) }()
	var err error
	if p.Proto.Stream() {
		err = w.m.ParseStream(p.Data)
	} else {
		err = w.m.Parse(p.Data)
	}
	switch {
	case w.m.IsRequest():
		lb.stats.inc(cRequestsIn)
		lb.request(w, p, in, err)
	case w.m.StatusCode() != 0:
		lb.stats.inc(cResponsesIn)
		lb.response(w, p, err)
	default:
		lb.stats.inc(cDropMalformed)
	}
	w.forget()
}

// sockets are the LB's listeners, every one and by side.
type sockets struct {
	all, pub, priv []*sock
}

func (lb *LB) socks() *sockets {
	if s := lb.sockets.Load(); s != nil {
		return s
	}
	return &sockets{}
}

func (lb *LB) sockOf(l *transport.Listener) *sock {
	for _, s := range lb.socks().all {
		if s.l == l {
			return s
		}
	}
	return nil
}

// ctx bounds stream sends (a dial may be needed) and ends with the LB.
func (lb *LB) ctx() context.Context { return lb.base }
