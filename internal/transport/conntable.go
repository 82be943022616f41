package transport

import (
	"context"
	"net/netip"
	"sync"
)

// remoteKey indexes connections by local listener and remote address, so a
// request can reuse the connection a peer already has with that listener
// (RFC 3261 §18.1.1, §18.2.2).
type remoteKey struct {
	l    *Listener
	addr netip.AddrPort
}

// connTable holds the stream connections. count includes slots reserved for
// connections still dialing or handshaking, so MaxConns bounds them too.
type connTable struct {
	mu       sync.RWMutex
	max      int
	count    int
	closed   bool
	byID     map[ConnID]*conn
	byRemote map[remoteKey][]*conn
	dialing  map[remoteKey]*dialCall
}

func newConnTable(max int) connTable {
	return connTable{
		max:      max,
		byID:     make(map[ConnID]*conn),
		byRemote: make(map[remoteKey][]*conn),
		dialing:  make(map[remoteKey]*dialCall),
	}
}

func (ct *connTable) reserve() error {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	switch {
	case ct.closed:
		return ErrClosed
	case ct.count >= ct.max:
		return ErrTooManyConns
	}
	ct.count++
	return nil
}

func (ct *connTable) unreserve() {
	ct.mu.Lock()
	ct.count--
	ct.mu.Unlock()
}

// add registers c in its reserved slot and counts its goroutine in wg; after
// closeAll it refuses, so Close never waits for a connection it did not close.
func (ct *connTable) add(c *conn, wg *sync.WaitGroup) error {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if ct.closed {
		ct.count--
		return ErrClosed
	}
	ct.byID[c.info.ID] = c
	k := remoteKey{c.l, c.info.Remote}
	ct.byRemote[k] = append(ct.byRemote[k], c)
	wg.Add(1)
	return nil
}

func (ct *connTable) remove(c *conn) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if ct.byID[c.info.ID] != c {
		return
	}
	delete(ct.byID, c.info.ID)
	ct.count--
	k := remoteKey{c.l, c.info.Remote}
	list := ct.byRemote[k]
	for i, x := range list {
		if x == c {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(ct.byRemote, k)
	} else {
		ct.byRemote[k] = list
	}
}

func (ct *connTable) get(id ConnID) *conn {
	ct.mu.RLock()
	defer ct.mu.RUnlock()
	return ct.byID[id]
}

// latest returns the newest connection to k; callers hold mu.
func (ct *connTable) latest(k remoteKey) *conn {
	list := ct.byRemote[k]
	if len(list) == 0 {
		return nil
	}
	return list[len(list)-1]
}

func (ct *connTable) to(l *Listener, dst netip.AddrPort) *conn {
	ct.mu.RLock()
	defer ct.mu.RUnlock()
	return ct.latest(remoteKey{l, dst})
}

func (ct *connTable) all() []*conn {
	ct.mu.RLock()
	defer ct.mu.RUnlock()
	out := make([]*conn, 0, len(ct.byID))
	for _, c := range ct.byID {
		out = append(out, c)
	}
	return out
}

// closeAll refuses new connections and closes the current ones.
func (ct *connTable) closeAll(reason error) {
	ct.mu.Lock()
	ct.closed = true
	ct.mu.Unlock()
	for _, c := range ct.all() {
		c.close(reason)
	}
}

// dialCall lets concurrent senders to one new destination share a dial.
type dialCall struct {
	done chan struct{}
	c    *conn
	err  error
}

func (d *dialCall) wait(ctx context.Context) (*conn, error) {
	select {
	case <-d.done:
		return d.c, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// claim returns the open connection to k; else the dial in progress to join;
// else a new dial that the caller leads and must pass to finishDial.
func (ct *connTable) claim(k remoteKey) (c *conn, call *dialCall, leader bool) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if c := ct.latest(k); c != nil {
		return c, nil, false
	}
	if call := ct.dialing[k]; call != nil {
		return nil, call, false
	}
	call = &dialCall{done: make(chan struct{})}
	ct.dialing[k] = call
	return nil, call, true
}

// finishDial publishes the leader's result to the waiting senders.
func (ct *connTable) finishDial(k remoteKey, call *dialCall) {
	ct.mu.Lock()
	delete(ct.dialing, k)
	ct.mu.Unlock()
	close(call.done)
}
