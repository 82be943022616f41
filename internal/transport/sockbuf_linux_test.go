//go:build linux

package transport

import (
	"errors"
	"syscall"
	"testing"
)

// ensureReceiveBuffer makes sure c can queue size bytes of datagrams
// (SO_RCVBUF, or SO_RCVBUFFORCE past net.core.rmem_max when root) and
// skips the test when the host will not allow it.
func ensureReceiveBuffer(t testing.TB, s *Socket, size int) {
	t.Helper()
	rc, err := s.syscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	var serr error
	err = rc.Control(func(fd uintptr) {
		if got, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF); serr != nil || got >= size {
			return
		}
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, size)
		if serr == nil {
			got, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		}
	})
	if err := errors.Join(err, serr); err != nil && !errors.Is(err, syscall.EPERM) {
		t.Fatal(err)
	}
	if got < size {
		t.Skipf("receive buffer %d bytes, need %d: raise net.core.rmem_max", got, size)
	}
}
