package mgmt

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sipfleet/sipfleet/internal/transport"
)

// RegisterTransport exports a transport's counters, read from stats once
// per scrape (typically (*transport.Transport).Stats).
func RegisterTransport(reg prometheus.Registerer, stats func() transport.Stats) error {
	return RegisterSnapshot(reg, stats, transportMetrics()...)
}

type ts = transport.Stats

func transportMetrics() []Metric[ts] {
	return []Metric[ts]{
		counterOf("sipfleet_transport_packets_in_total", "SIP messages received and handed to the handler.",
			func(s *ts) uint64 { return s.PacketsIn }),
		counterOf("sipfleet_transport_packets_out_total", "SIP messages sent.",
			func(s *ts) uint64 { return s.PacketsOut }),
		counterOf("sipfleet_transport_bytes_in_total", "Bytes of SIP messages received.",
			func(s *ts) uint64 { return s.BytesIn }),
		counterOf("sipfleet_transport_bytes_out_total", "Bytes of SIP messages sent.",
			func(s *ts) uint64 { return s.BytesOut }),
		counterOf("sipfleet_transport_oversize_dropped_total", "UDP datagrams dropped for exceeding the size limit.",
			func(s *ts) uint64 { return s.DropOversize }),
		byLabel("sipfleet_transport_keepalives_in_total", "NAT keep-alives received: UDP CRLF datagrams, stream CRLFCRLF pings (RFC 5626 §4.4.1).",
			Counter, "transport",
			series[ts, uint64]{"udp", func(s *ts) uint64 { return s.DropKeepalive }},
			series[ts, uint64]{"stream", func(s *ts) uint64 { return s.PingsIn }}),
		counterOf("sipfleet_transport_keepalive_pongs_out_total", "CRLF answers sent to stream pings.",
			func(s *ts) uint64 { return s.PongsOut }),
		byLabel("sipfleet_transport_errors_total", "Transport errors by operation.", Counter, "op",
			series[ts, uint64]{"read", func(s *ts) uint64 { return s.ReadErrors }},
			series[ts, uint64]{"send", func(s *ts) uint64 { return s.SendErrors }},
			series[ts, uint64]{"framing", func(s *ts) uint64 { return s.FramingErrors }},
			series[ts, uint64]{"dial", func(s *ts) uint64 { return s.DialErrors }},
			series[ts, uint64]{"handshake", func(s *ts) uint64 { return s.HandshakeErrs }}),
		counterOf("sipfleet_transport_handler_panics_total", "Panics recovered while handling a message.",
			func(s *ts) uint64 { return s.Panics }),
		gaugeOf("sipfleet_transport_connections_open", "Stream connections open, both directions.",
			func(s *ts) uint64 { return s.ConnsOpen }),
		counterOf("sipfleet_transport_connections_accepted_total", "Stream connections accepted.",
			func(s *ts) uint64 { return s.ConnsAccepted }),
		counterOf("sipfleet_transport_connections_dialed_total", "Stream connections dialed.",
			func(s *ts) uint64 { return s.ConnsDialed }),
		counterOf("sipfleet_transport_connections_closed_total", "Stream connections closed.",
			func(s *ts) uint64 { return s.ConnsClosed }),
		counterOf("sipfleet_transport_connections_rejected_total", "Stream connections refused because the connection limit was reached.",
			func(s *ts) uint64 { return s.ConnsRejected }),
		byLabel("sipfleet_transport_connection_timeouts_total", "Stream connections closed by a timeout: idle, or a message not complete in time.",
			Counter, "kind",
			series[ts, uint64]{"idle", func(s *ts) uint64 { return s.IdleTimeouts }},
			series[ts, uint64]{"read", func(s *ts) uint64 { return s.ReadTimeouts }}),
	}
}
