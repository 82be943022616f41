package transport

import (
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
)

// sendQueue holds the datagrams one batch queued on one listener, in the
// order they were sent. Guarded by the batch's mutex.
type sendQueue struct {
	l    *Listener
	tx   batchWriter // on one socket of l
	c    *counters   // that socket's
	n    int
	dsts []netip.AddrPort
	bufs [][]byte // copies; each slot keeps its capacity across batches
}

func (q *sendQueue) push(dst netip.AddrPort, p []byte) {
	if q.n == 0 {
		q.l.queued.pending.Add(1)
	}
	q.dsts[q.n] = dst
	q.bufs[q.n] = append(q.bufs[q.n][:0], p...)
	q.n++
}

// flush writes the queue out. The listener's pending count drops only
// once the datagrams are with the kernel, so a direct send that sees zero
// cannot overtake them.
func (q *sendQueue) flush() {
	if q.n == 0 {
		return
	}
	q.tx.write(q.dsts[:q.n], q.bufs[:q.n], q.c)
	q.n = 0
	q.l.queued.pending.Add(-1)
}

// senders lists, per listener, the read loops' batches that have queued
// sends on it, and how many of their queues hold datagrams now.
type senders struct {
	mu      sync.Mutex                  // serialises add
	list    atomic.Pointer[[]*udpBatch] // copied on write
	pending atomic.Int32
}

func (s *senders) add(b *udpBatch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next []*udpBatch
	if old := s.list.Load(); old != nil {
		next = slices.Clone(*old)
	}
	next = append(next, b)
	s.list.Store(&next)
}

// flushQueued sends every datagram still queued on l by any read loop, so
// that a direct send on l never overtakes one queued before it. When
// nothing is queued, which is the common case, it costs one atomic load.
func (l *Listener) flushQueued() {
	if l.queued.pending.Load() == 0 {
		return
	}
	for _, b := range *l.queued.list.Load() {
		b.flushFor(l)
	}
}
