package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/netip"
	"testing"
	"time"
)

func withTLS(cert tls.Certificate, roots *x509.CertPool) func(*ListenerConfig) {
	return func(lc *ListenerConfig) {
		lc.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		lc.TLSClient = &tls.Config{RootCAs: roots}
	}
}

// TestTLSRoundTrip: transport to transport over TLS, both families; the
// dialing side verifies the peer's IP against the certificate.
func TestTLSRoundTrip(t *testing.T) {
	cert, roots := selfSigned(t)
	families(t, func(t *testing.T, ip netip.Addr) {
		a, b, ra, rb := peers(t, ip, TLS, withTLS(cert, roots))
		dst := b.Listener("s").Addr()
		id, err := a.SendStream(context.Background(), a.Listener("s"), dst, sipMsg("tls", "body"))
		if err != nil {
			t.Fatal(err)
		}
		if p := rb.next(t); p.Proto != TLS || !bytes.Equal(p.Data, sipMsg("tls", "body")) {
			t.Fatalf("peer got %v %q", p.Proto, p.Data)
		}
		if r := ra.next(t); r.Conn != id || r.Proto != TLS || !bytes.Equal(r.Data, sipMsg("reply", "")) {
			t.Fatalf("reply on %d: %q", r.Conn, r.Data)
		}
	})
}

// TestTLSStandardClient: a plain crypto/tls client with the server name.
func TestTLSStandardClient(t *testing.T) {
	cert, roots := selfSigned(t)
	lc := ListenerConfig{Name: "s", Proto: TLS, Addr: anyPort(loop4)}
	withTLS(cert, roots)(&lc)
	tr := startSelf(t, Config{Listeners: []ListenerConfig{lc}}, echo)
	c := dialStream(t, tr.Listener("s").Addr())
	tc := tls.Client(c.Conn, &tls.Config{RootCAs: roots, ServerName: "sip.test"})
	c.Conn = tc
	c.send(t, sipMsg("hi", ""))
	if got := c.readMessage(t); !bytes.Equal(got, sipMsg("hi", "")) {
		t.Fatalf("echo %q", got)
	}
}

// TestTLSHandshakeFailure: an untrusted certificate fails the dial and is
// counted on both sides; nothing stays in the tables.
func TestTLSHandshakeFailure(t *testing.T) {
	cert, _ := selfSigned(t)
	closed := newCloseWatcher()
	lc := ListenerConfig{Name: "s", Proto: TLS, Addr: anyPort(loop4), TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}
	b := start(t, Config{Handler: newRecorder(), OnConnClose: closed.fn, Listeners: []ListenerConfig{lc}})
	a := start(t, Config{Handler: newRecorder(), Listeners: []ListenerConfig{lc}}) // no RootCAs
	_, err := a.Dial(context.Background(), a.Listener("s"), b.Listener("s").Addr(), "sip.test")
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("err = %v, want unknown authority", err)
	}
	closed.next(t)
	if st := a.Stats(); st.HandshakeErrs != 1 || st.DialErrors != 1 || st.ConnsOpen != 0 {
		t.Errorf("client stats %+v", st)
	}
	if st := b.Stats(); st.HandshakeErrs != 1 || st.ConnsOpen != 0 {
		t.Errorf("server stats %+v", st)
	}
}

// TestTLSHandshakeTimeout: a peer that connects and says nothing is cut off
// after HandshakeTimeout, not IdleTimeout.
func TestTLSHandshakeTimeout(t *testing.T) {
	cert, _ := selfSigned(t)
	closed := newCloseWatcher()
	lc := ListenerConfig{Name: "s", Proto: TLS, Addr: anyPort(loop4), TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}
	tr := start(t, Config{Handler: newRecorder(), OnConnClose: closed.fn, HandshakeTimeout: 200 * time.Millisecond,
		Listeners: []ListenerConfig{lc}})
	c := dialStream(t, tr.Listener("s").Addr())
	ev := closed.next(t)
	if ev.err == nil || !errors.Is(ev.err, context.DeadlineExceeded) {
		t.Fatalf("closed with %v", ev.err)
	}
	c.waitClosed(t)
}
