package proxy

import (
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
)

// BenchmarkMemoryPerRingingCall measures what one call in progress costs
// the proxy: 2,000 INVITEs to a callee that rings and never answers, so
// each holds a server transaction, its call context, one branch with its
// client transaction and Timer C. It reports the heap in use per call
// after a GC. Run it with -benchtime=1x.
func BenchmarkMemoryPerRingingCall(b *testing.B) {
	const calls = 2000
	for range b.N {
		p := startProxy(b, Rules{})
		caller, callee := newUA(b), newUA(b)
		p.store.bind("bob", store.Binding{Contact: "sip:bob@" + callee.addr.String(), Q: store.QUnset})
		var rang atomic.Int64
		// Each ring is signalled, so the caller keeps at most a window of
		// INVITEs outstanding: the kernel drops what a socket cannot hold.
		const window = 8
		rung := make(chan struct{}, calls)
		done := make(chan struct{})
		go func() {
			defer close(done)
			buf := make([]byte, 65535)
			for rang.Load() < calls {
				_ = callee.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				n, from, err := callee.conn.ReadFromUDPAddrPort(buf)
				if err != nil {
					return
				}
				var m sip.Msg
				if m.Parse(buf[:n]) != nil || m.Method() != sip.INVITE {
					continue
				}
				r := sip.AppendResponse(nil, &m, 180, "Ringing", []byte("t"))
				_, _ = callee.conn.WriteToUDPAddrPort(r, from)
				rang.Add(1)
				rung <- struct{}{}
			}
		}()
		go drain(caller, calls)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
	send:
		for i := range calls {
			if i >= window {
				select {
				case <-rung:
				case <-done:
					break send // the callee gave up: reported below
				}
			}
			caller.sendBytes(p.addr, crlf(caller.invite("bob", fmt.Sprintf("mem-%d", i))))
		}
		<-done
		if got := rang.Load(); got < calls {
			b.Fatalf("only %d of %d calls rang", got, calls)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		tx := p.Transactions()
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/calls, "heap-bytes/call")
		b.ReportMetric(float64(tx.Server+tx.Client)/calls, "tx/call")
	}
}

// drain reads and discards what the proxy sends the caller.
func drain(u *ua, n int) {
	buf := make([]byte, 65535)
	for range 4 * n {
		_ = u.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := u.conn.ReadFromUDPAddrPort(buf); err != nil {
			return
		}
	}
}

// BenchmarkBuildRequest is the per-branch cost of writing the forwarded
// INVITE (Route from Path, Via, Record-Route, Max-Forwards).
func BenchmarkBuildRequest(b *testing.B) {
	p := startProxy(b, Rules{})
	u := newUA(b)
	var m sip.Msg
	if err := m.Parse(crlf(u.invite("bob", "build", "Record-Route: <sip:192.0.2.1;lr>"))); err != nil {
		b.Fatal(err)
	}
	c := &call{p: p.Proxy, req: &m, rr: true}
	t := target{ruri: []byte("sip:bob@198.51.100.7:5060"), route: []byte("<sip:10.0.0.1:5060;lr;received=sip:198.51.100.7:40000>"),
		dst: netip.MustParseAddrPort("10.0.0.1:5060")}
	s := p.socks[0]
	h := loopHash(&m)
	b.ReportAllocs()
	for b.Loop() {
		if out := p.buildRequest(c, &t, s, p.newBranch(h)); !strings.HasPrefix(string(out), "INVITE sip:bob@198") {
			b.Fatal("bad request")
		}
	}
}
