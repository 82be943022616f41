package pike

import (
	"net/netip"
	"testing"
	"time"
)

func BenchmarkAllow(b *testing.B) {
	for _, bc := range []struct{ name, ip string }{{"IPv4", "192.0.2.1"}, {"IPv6", "2001:db8::1"}} {
		b.Run(bc.name, func(b *testing.B) {
			l := mustNew(b, Config{Threshold: 1 << 30})
			ip := netip.MustParseAddr(bc.ip)
			now := t0
			b.ReportAllocs()
			for b.Loop() {
				now = now.Add(time.Microsecond)
				l.Allow(ip, now)
			}
		})
	}
}

// BenchmarkAllowParallel is the LB's pattern: every read goroutine calling
// Allow for sources spread over many shards.
func BenchmarkAllowParallel(b *testing.B) {
	l := mustNew(b, Config{Threshold: 1 << 30})
	ips := make([]netip.Addr, 4096)
	for i := range ips {
		ips[i] = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(ips[i&(len(ips)-1)], t0)
			i++
		}
	})
}

func BenchmarkIsScanner(b *testing.B) {
	s, _ := NewScanners(DefaultScanners())
	ua := []byte("Linphone/5.2.0 (belle-sip/5.2.0)")
	b.ReportAllocs()
	for b.Loop() {
		s.IsScanner(ua)
	}
}
