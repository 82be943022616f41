package lb

import (
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/sipfleet/sipfleet/internal/dispatcher"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transaction"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// flight is one request the LB dispatched: the client transaction of its
// current attempt and what it needs to fail over. It is keyed by the MAC
// of the request's hop before the LB, which its retransmissions, its
// CANCEL and its non-2xx ACK share.
type flight struct {
	key uint64
	lb  *LB

	mu        sync.Mutex
	req       *sip.Msg // the request as received, owned; dropped at the final response
	method    sip.Method
	in        *sock
	src       netip.AddrPort
	cur       dispatcher.Cursor
	dst       *dispatcher.Destination
	attempt   int
	tx        *transaction.ClientTx
	rt        ownRoutes
	answered  bool   // a response other than 100 was relayed
	success   bool   // a 2xx was relayed: ACKs now belong to the dialog
	cancelled bool   // the caller sent CANCEL: no more failover
	last      []byte // the last response relayed, for request retransmissions
	lastTo    target
	lastSock  *sock
	done      bool
	// firstSend is the packet being handled while an attempt's
	// transaction makes its first send, which then joins that read
	// loop's batch; nil otherwise (retransmissions, failover from a
	// timer).
	firstSend atomic.Pointer[transport.Packet]
}

// flights is the table of flights, sharded so that the read loops and the
// transaction timer rarely meet on one lock.
type flights struct {
	shards [64]struct {
		mu sync.Mutex
		m  map[uint64]*flight
	}
}

func (fs *flights) init() {
	for i := range fs.shards {
		fs.shards[i].m = make(map[uint64]*flight)
	}
}

func (fs *flights) get(key uint64) *flight {
	s := &fs.shards[key%uint64(len(fs.shards))]
	s.mu.Lock()
	f := s.m[key]
	s.mu.Unlock()
	return f
}

// add stores f unless a flight with its key exists, which it returns.
func (fs *flights) add(f *flight) *flight {
	s := &fs.shards[f.key%uint64(len(fs.shards))]
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.m[f.key]; old != nil {
		return old
	}
	s.m[f.key] = f
	return nil
}

func (fs *flights) remove(f *flight) {
	s := &fs.shards[f.key%uint64(len(fs.shards))]
	s.mu.Lock()
	if s.m[f.key] == f {
		delete(s.m, f.key)
	}
	s.mu.Unlock()
}

// Len counts flights (for metrics and tests).
func (fs *flights) Len() int {
	n := 0
	for i := range fs.shards {
		s := &fs.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// requestKey is the flight key of the request in w: the MAC of its top
// Via. A request asks for it up to three times (retransmission, dispatch
// or CANCEL, and a stateless forward's branch), so it is kept in w.
func (lb *LB) requestKey(w *work) (uint64, bool) {
	if !w.key.set {
		w.key.set = true
		w.key.key, w.key.ok = lb.computeKey(&w.m)
	}
	return w.key.key, w.key.ok
}

func (lb *LB) computeKey(m *sip.Msg) (uint64, bool) {
	v, err := m.TopVia()
	if err != nil {
		return 0, false
	}
	seq, _, _ := m.CSeq()
	return lb.sign.mac(&v, m.CallID(), seq, 0, 0), true
}
