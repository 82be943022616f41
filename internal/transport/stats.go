package transport

import "sync/atomic"

// counter names one metric in a counters array.
type counter int

const (
	cPacketsIn counter = iota
	cPacketsOut
	cBytesIn
	cBytesOut
	cDropOversize
	cDropKeepalive
	cReadErrors
	cSendErrors
	cFramingErrors
	cPingsIn
	cPongsOut
	cPanics
	cConnsClosed // loaded before the opens so the gauge cannot go below zero
	cConnsAccepted
	cConnsDialed
	cConnsRejected
	cDialErrors
	cHandshakeErrors
	cIdleTimeouts
	cReadTimeouts
	cUDPReads
	cUDPWrites
	numCounters
)

// counters is a plain block of atomics. Each UDP socket and each listener
// has its own, so the read goroutines of different sockets do not share
// cache lines; Stats sums them.
type counters [numCounters]atomic.Uint64

func (c *counters) inc(k counter)        { c[k].Add(1) }
func (c *counters) add(k counter, n int) { c[k].Add(uint64(n)) }
func (c *counters) addTo(v *[numCounters]uint64) {
	for i := range c {
		v[i] += c[i].Load()
	}
}

// Stats is a snapshot of a transport's or a listener's counters. All are
// monotonic except ConnsOpen. The management layer exports them.
type Stats struct {
	PacketsIn  uint64 // messages handed to the Handler
	PacketsOut uint64 // messages written
	BytesIn    uint64
	BytesOut   uint64

	DropOversize  uint64 // UDP datagrams larger than MaxDatagram (or truncated by the kernel)
	DropKeepalive uint64 // UDP datagrams of only CR, LF or NUL (NAT keep-alives)
	ReadErrors    uint64 // UDP read errors other than close
	SendErrors    uint64 // failed writes (UDP or stream)
	FramingErrors uint64 // stream messages that could not be framed (connection closed)
	PingsIn       uint64 // CRLFCRLF keep-alives received on streams (RFC 5626 §4.4.1)
	PongsOut      uint64 // CRLF answers sent
	Panics        uint64 // Handler panics recovered
	ConnsOpen     uint64 // gauge: accepted + dialed - closed
	ConnsAccepted uint64
	ConnsDialed   uint64
	ConnsClosed   uint64
	ConnsRejected uint64 // accepted then closed at once because MaxConns was reached
	DialErrors    uint64
	HandshakeErrs uint64 // TLS handshakes that failed (either side)
	IdleTimeouts  uint64 // connections closed for idleness
	ReadTimeouts  uint64 // slow-loris: header or body not complete in time

	// System calls that moved UDP datagrams: one per datagram without
	// batching, one per recvmmsg or sendmmsg with it (the ratio to
	// PacketsIn/PacketsOut shows how well batching works). Reads that
	// found nothing and waited are not counted.
	UDPReads  uint64
	UDPWrites uint64
}

func statsFrom(v *[numCounters]uint64) Stats {
	return Stats{
		PacketsIn:     v[cPacketsIn],
		PacketsOut:    v[cPacketsOut],
		BytesIn:       v[cBytesIn],
		BytesOut:      v[cBytesOut],
		DropOversize:  v[cDropOversize],
		DropKeepalive: v[cDropKeepalive],
		ReadErrors:    v[cReadErrors],
		SendErrors:    v[cSendErrors],
		FramingErrors: v[cFramingErrors],
		PingsIn:       v[cPingsIn],
		PongsOut:      v[cPongsOut],
		Panics:        v[cPanics],
		ConnsOpen:     openConns(v),
		ConnsAccepted: v[cConnsAccepted],
		ConnsDialed:   v[cConnsDialed],
		ConnsClosed:   v[cConnsClosed],
		ConnsRejected: v[cConnsRejected],
		DialErrors:    v[cDialErrors],
		HandshakeErrs: v[cHandshakeErrors],
		IdleTimeouts:  v[cIdleTimeouts],
		ReadTimeouts:  v[cReadTimeouts],
		UDPReads:      v[cUDPReads],
		UDPWrites:     v[cUDPWrites],
	}
}

func openConns(v *[numCounters]uint64) uint64 {
	opened := v[cConnsAccepted] + v[cConnsDialed]
	if v[cConnsClosed] > opened {
		return 0
	}
	return opened - v[cConnsClosed]
}
