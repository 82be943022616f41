package sqlstore

import (
	"io"
	"net"
	"sync"
	"testing"
)

// proxyMode is how the test proxy treats connections.
type proxyMode int

const (
	forward   proxyMode = iota // relay to the database
	refuse                     // accept and close at once: the server is down
	blackhole                  // accept and never answer: the network is cut
)

// tcpProxy stands between a store and its database so that a test can
// take the database away and bring it back without touching the real
// server, which others share.
type tcpProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	mode  proxyMode
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.set(refuse)
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

// set changes the mode and drops every connection: those relayed when the
// database goes away, those held when it comes back.
func (p *tcpProxy) set(m proxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// track registers c unless the mode changed from m since it was read.
func (p *tcpProxy) track(m proxyMode, cs ...net.Conn) bool {
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

func (p *tcpProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		m := p.mode
		p.mu.Unlock()
		switch m {
		case refuse:
			c.Close()
		case blackhole:
			if !p.track(m, c) {
				c.Close()
			}
		case forward:
			p.wg.Go(func() { p.relay(c) })
		}
	}
}

func (p *tcpProxy) relay(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(forward, c, up) {
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
