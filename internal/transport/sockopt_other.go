//go:build !linux

package transport

import (
	"errors"
	"syscall"
)

type sockopts struct {
	reusePort bool
	freeBind  bool
}

// control refuses what only Linux does as sipfleet needs: SO_REUSEPORT
// balancing across sockets and IP_FREEBIND.
func (o sockopts) control() func(network, address string, c syscall.RawConn) error {
	if !o.reusePort && !o.freeBind {
		return nil
	}
	return func(string, string, syscall.RawConn) error {
		return errors.New("several UDP sockets per listener and freebind need Linux")
	}
}
