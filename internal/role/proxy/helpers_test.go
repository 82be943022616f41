package proxy

import (
	"context"
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
	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/transaction"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// memStore is a location table in memory, for the routing rules.
type memStore struct {
	mu       sync.Mutex
	bindings map[string][]store.Binding // by user
	users    map[string]bool
	err      error // what Bindings fails with
	getErr   error // what Get fails with
}

func newMemStore() *memStore {
	return &memStore{bindings: map[string][]store.Binding{}, users: map[string]bool{}}
}

func (s *memStore) Bindings(_ context.Context, aor store.AOR, _ time.Time) ([]store.Binding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	return append([]store.Binding(nil), s.bindings[aor.User]...), nil
}

func (s *memStore) Get(_ context.Context, user, _ string) (store.Subscriber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.getErr != nil {
		return store.Subscriber{}, s.getErr
	}
	if s.users[user] {
		return store.Subscriber{User: user}, nil
	}
	return store.Subscriber{}, store.ErrNotFound
}

func (s *memStore) addUser(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[user] = true
}

func (s *memStore) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *memStore) failGet(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.getErr = err
}

func (s *memStore) bind(user string, b ...store.Binding) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[user] = true
	s.bindings[user] = append(s.bindings[user], b...)
}

// testProxy is a started proxy on 127.0.0.1 with short timers.
type testProxy struct {
	*Proxy
	addr  netip.AddrPort
	store *memStore
}

func startProxy(t testing.TB, rules Rules) *testProxy {
	t.Helper()
	st := newMemStore()
	// A fixed port, since the proxy writes its address into Via and
	// Record-Route from the config.
	probe, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.LocalAddr().(*net.UDPAddr).AddrPort()
	probe.Close()
	if rules.Domains == nil {
		rules.Domains = []string{"example.com"}
	}
	p, err := New(Options{
		Transport: transport.Config{Listeners: []transport.ListenerConfig{{
			Name: "udp", Proto: transport.UDP, Addr: addr,
		}}},
		Timers: transaction.Config{T1: 20 * time.Millisecond, T2: 80 * time.Millisecond, T4: 100 * time.Millisecond},
		Store:  st, Rules: rules, Workers: 4, QueryTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return &testProxy{Proxy: p, addr: addr, store: st}
}

// ua is a bare UDP endpoint on 127.0.0.1 playing a phone or a gateway.
type ua struct {
	t    testing.TB
	conn *net.UDPConn
	addr netip.AddrPort
}

func newUA(t testing.TB) *ua {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &ua{t: t, conn: c, addr: c.LocalAddr().(*net.UDPAddr).AddrPort()}
}

func (u *ua) send(to netip.AddrPort, msg string) {
	u.t.Helper()
	if _, err := u.conn.WriteToUDPAddrPort(crlf(msg), to); err != nil {
		u.t.Fatal(err)
	}
}

func (u *ua) sendBytes(to netip.AddrPort, b []byte) {
	u.t.Helper()
	if _, err := u.conn.WriteToUDPAddrPort(b, to); err != nil {
		u.t.Fatal(err)
	}
}

// recv gives the next message that match accepts, skipping others, or
// fails the test after 3 s.
func (u *ua) recv(what string, match func(*sip.Msg) bool) (*sip.Msg, netip.AddrPort) {
	u.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	buf := make([]byte, 65535)
	for {
		_ = u.conn.SetReadDeadline(deadline)
		n, from, err := u.conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			u.t.Fatalf("%s: no %s in time", u.addr, what)
		}
		if err != nil {
			u.t.Fatal(err)
		}
		m := new(sip.Msg)
		if err := m.Parse(append([]byte(nil), buf[:n]...)); err != nil {
			u.t.Fatalf("unparsable from %s: %v\n%s", from, err, buf[:n])
		}
		if match(m) {
			return m, from
		}
	}
}

func (u *ua) request(method string) (*sip.Msg, netip.AddrPort) {
	u.t.Helper()
	return u.recv(method, func(m *sip.Msg) bool { return m.IsRequest() && string(m.MethodBytes()) == method })
}

func (u *ua) response(code int) *sip.Msg {
	u.t.Helper()
	m, _ := u.recv(fmt.Sprint(code), func(m *sip.Msg) bool { return !m.IsRequest() && m.StatusCode() == code })
	return m
}

// final gives the next final response, whatever its code.
func (u *ua) final() *sip.Msg {
	u.t.Helper()
	m, _ := u.recv("final response", func(m *sip.Msg) bool { return !m.IsRequest() && m.StatusCode() >= 200 })
	return m
}

// silent fails the test if a message matching match arrives within d.
func (u *ua) silent(d time.Duration, match func(*sip.Msg) bool) {
	u.t.Helper()
	deadline := time.Now().Add(d)
	buf := make([]byte, 65535)
	for {
		_ = u.conn.SetReadDeadline(deadline)
		n, _, err := u.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		var m sip.Msg
		if m.Parse(buf[:n]) == nil && match(&m) {
			u.t.Fatalf("%s: unexpected %s", u.addr, m.StartLine())
		}
	}
}

// answer replies to req with code and a To tag.
func (u *ua) answer(to netip.AddrPort, req *sip.Msg, code int, tag string, extra ...string) {
	u.t.Helper()
	b := sip.AppendResponseHead(nil, req, code, sip.ReasonPhrase(code), []byte(tag))
	for _, h := range extra {
		name, value, _ := strings.Cut(h, ": ")
		b = sip.AppendHeader(b, name, []byte(value))
	}
	u.sendBytes(to, sip.AppendBody(b, nil))
}

func crlf(s string) []byte {
	s = strings.TrimLeft(s, "\n")
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

// invite is an INVITE from u for user@example.com.
func (u *ua) invite(user, callID string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INVITE sip:%s@example.com SIP/2.0\n", user)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s\n", u.addr, callID)
	fmt.Fprintf(&b, "Max-Forwards: 70\nFrom: <sip:alice@example.com>;tag=a-%s\nTo: <sip:%s@example.com>\n", callID, user)
	fmt.Fprintf(&b, "Call-ID: %s\nCSeq: 1 INVITE\nContact: <sip:alice@%s>\n", callID, u.addr)
	for _, h := range extra {
		b.WriteString(h + "\n")
	}
	b.WriteString("Content-Length: 0\n\n")
	return b.String()
}

// binding is a binding of a UA's own address.
func binding(u *ua, q float64) store.Binding {
	return store.Binding{Contact: "sip:bob@" + u.addr.String(), Q: q}
}
