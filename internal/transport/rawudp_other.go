//go:build !linux

package transport

import (
	"errors"
	"net/netip"
	"syscall"
)

// BlockingRead needs recvmmsg with MSG_WAITFORONE; elsewhere the listener
// reads through the netpoller as usual and never makes a rawSocket.
const rawSupported = false

type rawSocket struct{ rc syscall.RawConn }

func (*rawSocket) close() error                         { return errors.ErrUnsupported }
func (*rawSocket) writeTo([]byte, netip.AddrPort) error { return errors.ErrUnsupported }

func bindRaw(netip.AddrPort, sockopts, int) (*rawSocket, netip.AddrPort, error) {
	return nil, netip.AddrPort{}, errors.ErrUnsupported
}
