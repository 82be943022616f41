package natping

import "net/netip"

// Datagram is one keepalive for one binding.
type Datagram struct {
	Dst     netip.AddrPort
	Payload []byte
}

// Sender sends keepalives with the LB's public address as their source.
// The Pinger calls Send from one goroutine, with at most MaxBatch
// datagrams; the payloads may be reused once Send returns.
type Sender interface {
	// Send sends every datagram and reports how many could not be sent,
	// with the error of the first of them.
	Send(ds []Datagram) (failed int, err error)
	Close() error
}

// MaxBatch is the most datagrams the Pinger hands a Sender at once: what
// one sendmmsg(2) call takes. 64 makes the system call cost negligible
// per packet while the batch stays small next to any pacing interval.
const MaxBatch = 64
