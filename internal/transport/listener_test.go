package transport

import (
	"context"
	"crypto/tls"
	"net/netip"
	"runtime"
	"strings"
	"testing"
)

func TestListenerLookup(t *testing.T) {
	tr := start(t, Config{Handler: newRecorder(), Listeners: []ListenerConfig{
		{Name: "pub-udp", Side: "public", Proto: UDP, Addr: anyPort(loop4), Advertised: "203.0.113.10:5060"},
		{Name: "pub-tcp", Side: "public", Proto: TCP, Addr: anyPort(loop4)},
		{Name: "priv-udp", Side: "private", Proto: UDP, Addr: anyPort(loop4)},
	}})
	if l := tr.Listener("pub-tcp"); l == nil || l.Proto() != TCP || l.Side() != "public" {
		t.Fatalf("Listener(pub-tcp) = %v", l)
	}
	if tr.Listener("nope") != nil {
		t.Error("unknown name found")
	}
	pub := tr.ListenersBySide("public")
	if len(pub) != 2 || pub[0].Name() != "pub-udp" || pub[1].Name() != "pub-tcp" {
		t.Errorf("public side: %v", pub)
	}
	if got := tr.Listener("pub-udp").Advertised(); got != "203.0.113.10:5060" {
		t.Errorf("advertised %q", got)
	}
	priv := tr.Listener("priv-udp")
	if priv.Addr().Port() == 0 || priv.Advertised() != priv.Addr().String() {
		t.Errorf("default advertised %q for %v", priv.Advertised(), priv.Addr())
	}
	if len(tr.Listeners()) != 3 {
		t.Errorf("%d listeners", len(tr.Listeners()))
	}
}

// TestFreeBind: a standby binds the VIP it does not hold yet; without
// IP_FREEBIND the kernel refuses. No packet is sent.
func TestFreeBind(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("IP_FREEBIND is Linux only")
	}
	vip := netip.MustParseAddrPort("203.0.113.77:0") // TEST-NET-3, not on this host
	for _, proto := range []Proto{UDP, TCP} {
		t.Run(proto.String(), func(t *testing.T) {
			lc := ListenerConfig{Name: "vip", Proto: proto, Addr: vip}
			tr, err := New(Config{Handler: newRecorder(), Listeners: []ListenerConfig{lc}})
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Start(context.Background()); err == nil {
				closeTransport(t, tr)
				t.Skip("host owns the test address")
			}
			lc.FreeBind = true
			tr = start(t, Config{Handler: newRecorder(), Listeners: []ListenerConfig{lc}})
			if got := tr.Listener("vip").Addr().Addr(); got != vip.Addr() {
				t.Errorf("bound %v", got)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := Config{
		MaxConns: -1, IdleTimeout: -1, MaxDatagram: 70000,
		Listeners: []ListenerConfig{
			{Name: "a", Proto: UDP, Addr: anyPort(loop4)},
			{Name: "a", Proto: TCP, Addr: anyPort(loop4), Sockets: 2},
			{Proto: 9},
			{Name: "t", Proto: TLS, Addr: anyPort(loop4), TLS: &tls.Config{}},
			{Name: "adv", Proto: UDP, Addr: anyPort(loop4), Advertised: "no-port"},
			{Name: "rb", Proto: TCP, Addr: anyPort(loop4), ReadBuffer: 4096},
			{Name: "bt", Proto: TCP, Addr: anyPort(loop4), Batch: 8},
			{Name: "bu", Proto: UDP, Addr: anyPort(loop4), Batch: 2000},
		},
	}
	_, err := New(cfg)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"handler: required", "max conns: negative", "idle timeout: negative", "max datagram: above",
		`"a": duplicate name`, "sockets: 2", "name: required", "proto: invalid", "addr: required",
		"a server certificate is required", "advertised:", "read buffer: 4096",
		"batch: 8", "batch: 2000",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseProto(t *testing.T) {
	for _, s := range []string{"udp", "TCP", "Tls"} {
		p, err := ParseProto(s)
		if err != nil || !strings.EqualFold(p.String(), s) {
			t.Errorf("ParseProto(%q) = %v, %v", s, p, err)
		}
	}
	if _, err := ParseProto("sctp"); err == nil {
		t.Error("sctp accepted")
	}
	if !TLS.Stream() || UDP.Stream() {
		t.Error("Stream() wrong")
	}
	if err := (Config{Handler: newRecorder()}).Validate(); err != nil {
		t.Errorf("empty listener list: %v", err)
	}
}
