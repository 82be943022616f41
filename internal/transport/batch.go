package transport

import (
	"net/netip"
	"sync"
	"time"
)

const (
	defaultBatch = 32
	maxBatch     = 1024 // UIO_MAXIOV: the most messages one recvmmsg or sendmmsg takes

	// maxQueueDelay bounds how long a queued datagram waits for the end of
	// its batch, so a handler that blocks cannot hold back replies it has
	// already made.
	maxQueueDelay = 10 * time.Millisecond
)

// batchReader reads several datagrams with one system call (recvmmsg on
// Linux) into buffers it owns.
type batchReader interface {
	// read waits in the netpoller until the socket has datagrams and
	// returns how many one call took (at least one).
	read() (int, error)
	// datagram returns datagram i of the last read, valid until the next.
	datagram(i int) ([]byte, netip.AddrPort)
}

// batchWriter sends datagrams in order with as few system calls as it can
// (sendmmsg on Linux), counting in c what went out and what failed.
type batchWriter interface {
	write(dsts []netip.AddrPort, bufs [][]byte, c *counters)
}

// udpBatch is one UDP read loop's batching state: the reader that fills
// it and the sends its handler queued while handling one read.
type udpBatch struct {
	sock *Socket
	rx   batchReader
	size int

	mu     sync.Mutex
	active bool         // handling a read of more than one datagram
	queues []*sendQueue // one per listener ever sent on, kept for reuse
	armed  bool         // stale will fire
	stale  *time.Timer  // flushes every queue maxQueueDelay after it is armed
}

// newBatch returns nil when batching is off (Batch 1) or unavailable here:
// the read loop then reads one datagram per call.
func (t *Transport) newBatch(s *Socket) *udpBatch {
	size := s.l.cfg.Batch
	if size <= 1 && s.raw == nil { // a raw socket has only the batch reader
		return nil
	}
	rx, err := newBatchReader(s, max(size, 1), t.cfg.MaxDatagram+1)
	if err != nil {
		t.log.Debug("udp batching off", "listener", s.l.Name(), "socket", s.index, "err", err)
		return nil
	}
	b := &udpBatch{sock: s, rx: rx, size: size}
	b.stale = time.AfterFunc(maxQueueDelay, b.flushStale)
	b.stale.Stop()
	return b
}

// begin starts handling a read of n datagrams. With one there is nothing
// to batch, so sends go out at once and report their errors.
func (b *udpBatch) begin(n int) {
	if n > 1 {
		b.mu.Lock()
		b.active = true
		b.mu.Unlock()
	}
}

// end sends what the handler queued: one sendmmsg per listener sent on.
func (b *udpBatch) end() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active = false
	b.flushAll()
}

// flushStale runs on the timer's goroutine, typically after the batch
// that armed it has ended; if the handler is still at work on it, what it
// queued goes out now.
func (b *udpBatch) flushStale() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armed = false
	b.flushAll()
}

func (b *udpBatch) flushAll() {
	for _, q := range b.queues {
		q.flush()
	}
}

// enqueue queues a copy of p for dst on sock's listener. It reports false,
// and queues nothing, when the batch is not active.
func (b *udpBatch) enqueue(sock *Socket, dst netip.AddrPort, p []byte) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.active {
		return false
	}
	q := b.queueFor(sock)
	if q == nil {
		return false
	}
	if q.n == len(q.dsts) {
		q.flush()
	}
	q.push(dst, p)
	b.arm()
	return true
}

// arm starts the stale timer unless it is running. It is not stopped when
// the batch ends: a Reset and a Stop for every batch cost more than the
// batching saves (arming an earlier timer wakes the netpoller), so it
// fires at most once per maxQueueDelay while the loop queues sends.
func (b *udpBatch) arm() {
	if !b.armed {
		b.armed = true
		b.stale.Reset(maxQueueDelay)
	}
}

// queueFor finds or makes the queue for sock's listener. Its datagrams
// leave from b's own socket when that is on the same listener (any socket
// of a listener will do: they share the address), else from sock.
func (b *udpBatch) queueFor(sock *Socket) *sendQueue {
	for _, q := range b.queues {
		if q.l == sock.l {
			return q
		}
	}
	if sock.l == b.sock.l {
		sock = b.sock
	}
	tx, err := newBatchWriter(sock, b.size)
	if err != nil {
		return nil
	}
	q := &sendQueue{l: sock.l, tx: tx, c: &sock.stats,
		dsts: make([]netip.AddrPort, b.size), bufs: make([][]byte, b.size)}
	b.queues = append(b.queues, q)
	sock.l.queued.add(b)
	return q
}

// flushFor sends now what b queued on l: a direct send on l is about to
// go out and must not overtake it.
func (b *udpBatch) flushFor(l *Listener) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, q := range b.queues {
		if q.l == l {
			q.flush()
		}
	}
}
