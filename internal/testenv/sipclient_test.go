package testenv

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"
)

func TestSIPClientRoundTrip(t *testing.T) {
	a := NewSIPClient(t, AddrPort(LoopbackIP(t, 61), 0))
	b := NewSIPClient(t, AddrPort(LoopbackIP(t, 62), 0))
	msg := CRLF("OPTIONS sip:127.0.0.62 SIP/2.0\nContent-Length: 0\n\n")
	a.Send(b.Addr(), msg)
	got, from := b.Expect(5 * time.Second)
	if !bytes.Equal(got, msg) || from != a.Addr() {
		t.Errorf("got %q from %s; want %q from %s", got, from, msg, a.Addr())
	}
	b.ExpectSilence(20 * time.Millisecond)
}

func TestSIPClientTimeout(t *testing.T) {
	c := NewSIPClient(t, AddrPort(LoopbackIP(t, 61), 0))
	if _, _, err := c.Recv(10 * time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Recv with nothing to read: %v; want a deadline error", err)
	}
}

func TestSIPClientRefusesNonLoopback(t *testing.T) {
	f := runFake(t, func(tb testing.TB) {
		c := NewSIPClient(tb, AddrPort(LoopbackIP(tb, 61), 0))
		c.Send(netip.MustParseAddrPort("192.0.2.1:5060"), []byte("x"))
	})
	if !f.fatal {
		t.Error("Send to 192.0.2.1 did not fail the test")
	}
}

func TestCRLF(t *testing.T) {
	for in, want := range map[string]string{
		"A\nB\n\n":    "A\r\nB\r\n\r\n",
		"A\r\nB\n":    "A\r\nB\r\n",
		"no line end": "no line end",
		"\r\n\r\n":    "\r\n\r\n",
	} {
		if got := string(CRLF(in)); got != want {
			t.Errorf("CRLF(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteFile(t *testing.T) {
	path := WriteFile(t, "x.yaml", "a: 1\n")
	if b, err := os.ReadFile(path); err != nil || string(b) != "a: 1\n" {
		t.Errorf("read back %q, %v", b, err)
	}
}
