package transport

import "errors"

// Framing errors (RFC 3261 §18.3). Each one closes the connection: without a
// trustworthy length the start of the next message cannot be found.
var (
	ErrHeaderTooLarge   = errors.New("header section too large")
	ErrBodyTooLarge     = errors.New("body too large")
	ErrNoContentLength  = errors.New("no content-length on a stream message")
	ErrBadContentLength = errors.New("bad content-length")
)

// Connection and lifecycle errors.
var (
	ErrClosed        = errors.New("transport closed")
	ErrConnClosed    = errors.New("connection closed")
	ErrNoConn        = errors.New("no such connection")
	ErrTooManyConns  = errors.New("too many connections")
	ErrIdleTimeout   = errors.New("idle timeout")
	ErrHeaderTimeout = errors.New("header section not received in time")
	ErrBodyTimeout   = errors.New("body not received in time")
	ErrWrongProto    = errors.New("wrong protocol for this operation")
	ErrAddrFamily    = errors.New("address family differs from the listener's")
	ErrNotStarted    = errors.New("transport not started")
)
