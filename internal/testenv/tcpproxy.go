package testenv

import (
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// ProxyMode is how a TCPProxy treats connections.
type ProxyMode int

const (
	ProxyForward   ProxyMode = iota // relay to the target
	ProxyRefuse                     // accept and close at once: the server is down
	ProxyBlackhole                  // accept and never answer: the network is cut
)

// TCPProxy stands between a node and a server (a database) so that a test
// can take the server away and bring it back without touching the real
// one, which others share.
type TCPProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	mode  ProxyMode
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// StartTCPProxy listens on a free port of the loopback address ip and
// relays to target until the test ends.
func StartTCPProxy(t testing.TB, ip netip.Addr, target string) *TCPProxy {
	t.Helper()
	ln, err := net.Listen("tcp", netip.AddrPortFrom(ip, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	p := &TCPProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.Set(ProxyRefuse)
		p.wg.Wait()
	})
	return p
}

// Addr is where to connect instead of the target.
func (p *TCPProxy) Addr() string { return p.ln.Addr().String() }

// Set changes the mode and drops every connection: those relayed when the
// server goes away, those held when it comes back.
func (p *TCPProxy) Set(m ProxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// track registers c unless the mode changed from m since it was read.
func (p *TCPProxy) track(m ProxyMode, cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode != m {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *TCPProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		m := p.mode
		p.mu.Unlock()
		switch m {
		case ProxyRefuse:
			c.Close()
		case ProxyBlackhole:
			if !p.track(m, c) {
				c.Close()
			}
		case ProxyForward:
			p.wg.Go(func() { p.relay(c) })
		}
	}
}

func (p *TCPProxy) relay(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(ProxyForward, c, up) {
		c.Close()
		up.Close()
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	<-done
}
