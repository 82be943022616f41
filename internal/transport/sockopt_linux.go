//go:build linux

package transport

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// sockopts are set between socket(2) and bind(2).
type sockopts struct {
	reusePort bool // SO_REUSEPORT: N UDP sockets on one address, kernel-balanced
	freeBind  bool // IP_FREEBIND: bind an address not (yet) configured here
}

func (o sockopts) control() func(network, address string, c syscall.RawConn) error {
	if !o.reusePort && !o.freeBind {
		return nil
	}
	return func(network, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = o.set(int(fd), strings.HasSuffix(network, "6")) })
		return errors.Join(err, serr)
	}
}

func (o sockopts) set(fd int, v6 bool) error {
	if o.reusePort {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return fmt.Errorf("set SO_REUSEPORT: %w", err)
		}
	}
	if !o.freeBind {
		return nil
	}
	level, opt := unix.SOL_IP, unix.IP_FREEBIND
	if v6 {
		level, opt = unix.SOL_IPV6, unix.IPV6_FREEBIND
	}
	if err := unix.SetsockoptInt(fd, level, opt, 1); err != nil {
		return fmt.Errorf("set freebind: %w", err)
	}
	return nil
}
