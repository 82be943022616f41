//go:build linux

package netns

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/testenv"
)

// ua is a hand-driven SIP endpoint: one UDP socket inside a namespace.
type ua struct {
	t    *testing.T
	c    *net.UDPConn
	addr netip.AddrPort // its own address, as its Via and Contact say
}

func newUA(t *testing.T, ns, addr string) *ua {
	t.Helper()
	c := listenUDPIn(t, ns, addr)
	return &ua{t: t, c: c, addr: c.LocalAddr().(*net.UDPAddr).AddrPort()}
}

func (u *ua) send(dst netip.AddrPort, msg []byte) {
	u.t.Helper()
	if _, err := u.c.WriteToUDPAddrPort(msg, dst); err != nil {
		u.t.Fatalf("send from %v to %v: %v", u.addr, dst, err)
	}
}

// transact sends req to dst and returns its final response, resending
// it every 500 ms (RFC 3261 §17.1.2.2, with T1's default) for up to 4 s.
func (u *ua) transact(dst netip.AddrPort, req []byte) (*sip.Msg, error) {
	buf := make([]byte, 65535)
	for try := 0; try < 8; try++ {
		u.send(dst, req)
		_ = u.c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		for {
			n, _, err := u.c.ReadFromUDPAddrPort(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				return nil, err
			}
			var m sip.Msg
			if m.Parse(buf[:n]) == nil && !m.IsRequest() && m.StatusCode() >= 200 {
				return &m, nil
			}
		}
	}
	return nil, fmt.Errorf("no final response from %v within 4 s", dst)
}

// register registers user from this socket (Contact: its own address, a
// private one behind the NAT) through the LB at lb.
func (u *ua) register(lb netip.AddrPort, user string) {
	u.t.Helper()
	req := testenv.CRLF(fmt.Sprintf(`REGISTER sip:%[1]s SIP/2.0
Via: SIP/2.0/UDP %[2]s;branch=z9hG4bK-reg-%[3]s;rport
Max-Forwards: 70
From: <sip:%[3]s@%[1]s>;tag=reg-%[3]s
To: <sip:%[3]s@%[1]s>
Call-ID: reg-%[3]s@netns
CSeq: 1 REGISTER
Contact: <sip:%[3]s@%[2]s>
Expires: 3600
Content-Length: 0

`, domain, u.addr, user))
	resp, err := u.transact(lb, req)
	if err != nil {
		u.t.Fatalf("REGISTER %s: %v", user, err)
	}
	if resp.StatusCode() != 200 {
		u.t.Fatalf("REGISTER %s: %d", user, resp.StatusCode())
	}
}

// options is the request the proxy would send to reach a registered
// phone, reduced to what the LB acts on: the Request-URI is the contact
// and the Route the binding's Path, whose ;received= the LB sends to
// (use_received).
func (u *ua) options(contact, path string, n int) []byte {
	return testenv.CRLF(fmt.Sprintf(`OPTIONS %[1]s SIP/2.0
Via: SIP/2.0/UDP %[2]s;branch=z9hG4bK-probe-%[3]d;rport
Route: %[4]s
Max-Forwards: 70
From: <sip:probe@%[5]s>;tag=probe-%[3]d
To: <%[1]s>
Call-ID: probe-%[3]d@netns
CSeq: 1 OPTIONS
Content-Length: 0

`, contact, u.addr, n, path, domain))
}

// phone plays a phone behind the NAT on a socket: it answers OPTIONS with
// 200 and counts the keepalives (CRLFCRLF) it receives, by source.
type phone struct {
	u    *ua
	mu   sync.Mutex
	got  map[netip.AddrPort]int // keepalives by source
	reqs int                    // requests answered
	done chan struct{}
}

func (u *ua) serve() *phone {
	p := &phone{u: u, got: map[netip.AddrPort]int{}, done: make(chan struct{})}
	_ = u.c.SetReadDeadline(time.Time{})
	go p.loop()
	return p
}

func (p *phone) loop() {
	defer close(p.done)
	buf := make([]byte, 65535)
	for {
		n, from, err := p.u.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed
		}
		if bytes.Equal(buf[:n], []byte("\r\n\r\n")) {
			p.mu.Lock()
			p.got[from]++
			p.mu.Unlock()
			continue
		}
		var m sip.Msg
		if m.Parse(buf[:n]) != nil || !m.IsRequest() {
			continue
		}
		p.mu.Lock()
		p.reqs++
		p.mu.Unlock()
		_, _ = p.u.c.WriteToUDPAddrPort(sip.AppendResponse(nil, &m, 200, "", []byte("phone")), from)
	}
}

// close stops the phone and frees its socket.
func (p *phone) close() {
	p.u.c.Close()
	<-p.done
}

// counts gives the keepalives received by source, and the requests
// answered.
func (p *phone) counts() (map[netip.AddrPort]int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[netip.AddrPort]int, len(p.got))
	for k, v := range p.got {
		out[k] = v
	}
	return out, p.reqs
}

// describe renders counts by source for a failure message.
func describe(m map[netip.AddrPort]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%v: %d", k, v))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
