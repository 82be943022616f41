package transport

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"
)

// waitFor bounds every wait on a channel: a failure, never a way to sync.
const waitFor = 10 * time.Second

var (
	loop4 = netip.MustParseAddr("127.0.0.1")
	loop6 = netip.MustParseAddr("::1")
)

// families runs f on IPv4 and IPv6 loopback.
func families(t *testing.T, f func(t *testing.T, ip netip.Addr)) {
	for _, ip := range []netip.Addr{loop4, loop6} {
		t.Run(familyName(ip), func(t *testing.T) {
			if ip.Is6() && !haveIPv6() {
				t.Skip("no ::1 on this host")
			}
			f(t, ip)
		})
	}
}

func familyName(ip netip.Addr) string {
	if ip.Is4() {
		return "ipv4"
	}
	return "ipv6"
}

var haveIPv6 = sync.OnceValue(func() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
})

func anyPort(ip netip.Addr) netip.AddrPort { return netip.AddrPortFrom(ip, 0) }

// start builds and starts a transport that the test closes at cleanup.
func start(t testing.TB, cfg Config) *Transport {
	t.Helper()
	return startSelf(t, cfg, nil)
}

// startSelf is start for handlers that need the transport (to reply): the
// handler is set before Start, so the read goroutines see it.
func startSelf(t testing.TB, cfg Config, mk func(*Transport) Handler) *Transport {
	t.Helper()
	if cfg.Handler == nil {
		cfg.Handler = HandlerFunc(func(*Packet) {})
	}
	tr, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if mk != nil {
		tr.handler = mk(tr)
	}
	if err := tr.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { closeTransport(t, tr) })
	return tr
}

func closeTransport(t testing.TB, tr *Transport) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := tr.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// recorder keeps a copy of every packet.
type recorder struct{ ch chan *Packet }

func newRecorder() *recorder { return &recorder{ch: make(chan *Packet, 1024)} }

func (r *recorder) HandlePacket(p *Packet) { r.ch <- p.Clone() }

func (r *recorder) next(t testing.TB) *Packet {
	t.Helper()
	select {
	case p := <-r.ch:
		return p
	case <-time.After(waitFor):
		t.Fatal("no packet received")
		return nil
	}
}

// closeEvent is one OnConnClose call.
type closeEvent struct {
	info ConnInfo
	err  error
}

type closeWatcher chan closeEvent

func newCloseWatcher() closeWatcher { return make(closeWatcher, 64) }

func (w closeWatcher) fn(info ConnInfo, err error) { w <- closeEvent{info, err} }

func (w closeWatcher) next(t testing.TB) closeEvent {
	t.Helper()
	select {
	case ev := <-w:
		return ev
	case <-time.After(waitFor):
		t.Fatal("connection not closed")
		return closeEvent{}
	}
}

// echo replies to every packet with its own bytes.
func echo(tr *Transport) Handler {
	return HandlerFunc(func(p *Packet) { tr.Reply(p, p.Data) })
}

func sipMsg(tag, body string) []byte {
	return fmt.Appendf(nil, "MESSAGE sip:bob@example.com SIP/2.0\r\n"+
		"Via: SIP/2.0/TCP 192.0.2.10;branch=z9hG4bK%s\r\n"+
		"Call-ID: %s@192.0.2.10\r\n"+
		"Content-Length: %d\r\n\r\n%s", tag, tag, len(body), body)
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// streamClient is a test peer that frames what it reads with NextFrame.
type streamClient struct {
	net.Conn
	buf []byte
}

func dialStream(t testing.TB, dst netip.AddrPort) *streamClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", dst.String(), waitFor)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &streamClient{Conn: nc}
}

func (c *streamClient) send(t testing.TB, b []byte) {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatalf("client write: %v", err)
	}
}

// readMessage returns the next message, skipping CRLFs.
func (c *streamClient) readMessage(t testing.TB) []byte {
	t.Helper()
	lim := FrameLimits{MaxHeaderBytes: 1 << 16, MaxBodyBytes: 1 << 16}
	for {
		f, err := NextFrame(c.buf, lim)
		if err != nil {
			t.Fatalf("client framing: %v", err)
		}
		if f.Kind != FrameNeedMore {
			b := bytes.Clone(c.buf[:f.Len])
			c.buf = c.buf[f.Len:]
			if f.Kind == FrameMessage {
				return b
			}
			continue
		}
		c.fill(t)
	}
}

func (c *streamClient) fill(t testing.TB) {
	t.Helper()
	tmp := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(waitFor))
	n, err := c.Read(tmp)
	if err != nil {
		t.Fatalf("client read: %v", err)
	}
	c.buf = append(c.buf, tmp[:n]...)
}

// readExactly reads n raw bytes.
func (c *streamClient) readExactly(t testing.TB, n int) []byte {
	t.Helper()
	for len(c.buf) < n {
		c.fill(t)
	}
	b := bytes.Clone(c.buf[:n])
	c.buf = c.buf[n:]
	return b
}

// waitClosed waits until the server closes the connection.
func (c *streamClient) waitClosed(t testing.TB) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitFor))
	tmp := make([]byte, 4096)
	for {
		_, err := c.Read(tmp)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("server did not close the connection")
		}
		return // EOF or reset: closed
	}
}

// logBuffer collects slog output safely across goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Count(l.b.Bytes(), []byte(s))
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// selfSigned makes a certificate for 127.0.0.1, ::1 and sip.test, and a
// pool that trusts it. No files.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sipfleet test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"sip.test"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
