//go:build !linux

package natping

import (
	"errors"
	"net/netip"
)

// RawSender is the raw-socket Sender; it needs Linux.
type RawSender struct{}

// NewRawSender fails: raw sockets with hand-built IPv4 and IPv6 headers
// are only written for Linux.
func NewRawSender(src4, src6 netip.AddrPort) (*RawSender, error) {
	return nil, errors.New("raw sender: sending as the LB's address needs Linux")
}

// Send sends nothing.
func (s *RawSender) Send(ds []Datagram) (int, error) {
	return len(ds), errors.New("raw sender: not supported on this system")
}

// Close does nothing.
func (s *RawSender) Close() error { return nil }
