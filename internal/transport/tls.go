package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
)

// serverHandshake completes the TLS handshake of an accepted connection on
// its own goroutine, never the accept loop's, bounded by HandshakeTimeout.
func (c *conn) serverHandshake() error {
	tc, ok := c.nc.(*tls.Conn)
	if !ok || c.info.Outbound {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.t.cfg.HandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		c.l.stats.inc(cHandshakeErrors)
		return fmt.Errorf("tls handshake: %w", err)
	}
	return nil
}

// clientHandshake wraps a dialed connection. The name verified is
// serverName, else the TLSClient's ServerName, else the peer's IP (RFC 5922
// wants the SIP domain; callers that know it pass it to Dial).
func (l *Listener) clientHandshake(ctx context.Context, nc net.Conn, dst netip.AddrPort, serverName string) (net.Conn, error) {
	cfg := &tls.Config{}
	if l.cfg.TLSClient != nil {
		cfg = l.cfg.TLSClient.Clone()
	}
	if serverName != "" {
		cfg.ServerName = serverName
	}
	if cfg.ServerName == "" {
		cfg.ServerName = dst.Addr().String()
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		l.stats.inc(cHandshakeErrors)
		nc.Close()
		return nil, fmt.Errorf("tls handshake with %s: %w", dst, err)
	}
	return tc, nil
}
