package transport

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// tableConn makes a conn on a net.Pipe for table tests; the remote is set
// by hand since a pipe has no address.
func tableConn(t *testing.T, tr *Transport, l *Listener, remote netip.AddrPort) *conn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	c := tr.newConn(l, a, false)
	c.info.Remote = remote
	return c
}

func TestConnTable(t *testing.T) {
	tr, err := New(Config{Handler: newRecorder(), Listeners: []ListenerConfig{tcpListener("a", loop4), tcpListener("b", loop4)}})
	if err != nil {
		t.Fatal(err)
	}
	la, lb := tr.Listener("a"), tr.Listener("b")
	remote := netip.MustParseAddrPort("127.0.0.1:5060")
	ct := newConnTable(3)
	var wg sync.WaitGroup
	add := func(c *conn) {
		t.Helper()
		if err := ct.reserve(); err != nil {
			t.Fatal(err)
		}
		if err := ct.add(c, &wg); err != nil {
			t.Fatal(err)
		}
		wg.Done() // no goroutine runs in this test
	}
	older, newer, other := tableConn(t, tr, la, remote), tableConn(t, tr, la, remote), tableConn(t, tr, lb, remote)
	add(older)
	add(newer)
	add(other)
	if older.info.ID == newer.info.ID {
		t.Fatal("IDs reused")
	}
	if err := ct.reserve(); !errors.Is(err, ErrTooManyConns) {
		t.Fatalf("fourth reserve: %v", err)
	}
	if got := ct.to(la, remote); got != newer {
		t.Errorf("to(a) = conn %d, want the newest %d", got.info.ID, newer.info.ID)
	}
	if got := ct.to(lb, remote); got != other {
		t.Errorf("to(b) is not keyed by listener")
	}
	ct.remove(newer)
	ct.remove(newer) // twice is harmless
	if got := ct.to(la, remote); got != older {
		t.Errorf("after removing the newest, to(a) = %v", got)
	}
	if ct.get(newer.info.ID) != nil || ct.get(older.info.ID) != older {
		t.Error("get by ID wrong after remove")
	}
	if err := ct.reserve(); err != nil {
		t.Fatalf("slot not freed: %v", err)
	}
	ct.closeAll(ErrClosed)
	if err := ct.add(tableConn(t, tr, la, remote), &wg); !errors.Is(err, ErrClosed) {
		t.Errorf("add after closeAll: %v", err)
	}
	if !errors.Is(older.closeReason(), ErrClosed) {
		t.Errorf("closeAll reason %v", older.closeReason())
	}
}
