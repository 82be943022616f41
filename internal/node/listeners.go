package node

import (
	"crypto/tls"
	"fmt"
	"net/netip"

	"github.com/sipfleet/sipfleet/internal/config"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// forRole is cfg as the role called name sees it: the same sections, but
// only the listeners that serve that role (config.Listener.Serves). Every
// role builds its transport from its cfg with transportConfig, so this is
// where a file running several roles gives each its own sockets; a
// listener that names no role serves every role, as in a one-role file.
func forRole(cfg *config.Config, name string) *config.Config {
	c := *cfg
	c.Listeners = nil
	for _, l := range cfg.Listeners {
		if l.Serves(name) {
			c.Listeners = append(c.Listeners, l)
		}
	}
	return &c
}

// transportConfig turns the config's listeners and limits into the
// transport's. cfg is a role's view (forRole): its listeners are the
// role's own.
func transportConfig(cfg *config.Config) (transport.Config, error) {
	tc := transport.Config{MaxBodyBytes: cfg.SIP.MaxMessageBytes, MaxDatagram: min(cfg.SIP.MaxMessageBytes, 65535)}
	for _, l := range cfg.Listeners {
		lc, err := listenerConfig(l)
		if err != nil {
			return tc, fmt.Errorf("listener %s: %w", l.Name, err)
		}
		tc.Listeners = append(tc.Listeners, lc)
	}
	return tc, nil
}

func listenerConfig(l config.Listener) (transport.ListenerConfig, error) {
	ip, err := netip.ParseAddr(l.Listen.Host)
	if err != nil {
		return transport.ListenerConfig{}, fmt.Errorf("listen: %q is not an IP address", l.Listen.Host)
	}
	proto, err := transport.ParseProto(string(l.Proto))
	if err != nil {
		return transport.ListenerConfig{}, err
	}
	lc := transport.ListenerConfig{
		Name: l.Name, Side: string(l.Side), Proto: proto,
		Addr:       netip.AddrPortFrom(ip, l.Listen.Port),
		Advertised: l.Advertise.String(),
		Sockets:    l.Sockets,
		// The standby of an LB pair binds the VIP before it owns it.
		FreeBind: !l.Advertise.IsZero() && l.Advertise == l.Listen,
	}
	if proto == transport.UDP {
		lc.ReadBuffer = l.ReadBuffer
	}
	if proto == transport.TLS {
		cert, err := tls.LoadX509KeyPair(l.TLSCert, l.TLSKey)
		if err != nil {
			return lc, fmt.Errorf("tls: %w", err)
		}
		lc.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return lc, nil
}
