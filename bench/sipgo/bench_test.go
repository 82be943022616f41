package sipgobench

import (
	"bytes"
	"os"
	"testing"

	sipgo "github.com/emiago/sipgo/sip"

	"github.com/sipfleet/sipfleet/internal/sip"
)

func load(b *testing.B, name string) []byte {
	raw, err := os.ReadFile("../../internal/sip/testdata/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// sipgoReads reads the same headers as sipfleet's proxyReads.
func sipgoReads(b *testing.B, req *sipgo.Request) {
	v := req.Via()
	if v == nil {
		b.Fatal("no Via")
	}
	if br, _ := v.Params.Get("branch"); br == "" {
		b.Fatal("no branch")
	}
	if req.CSeq() == nil || req.MaxForwards() == nil || req.CallID() == nil {
		b.Fatal("missing header")
	}
	if tag, _ := req.From().Params.Get("tag"); tag == "" {
		b.Fatal("no From tag")
	}
	_, _ = req.To().Params.Get("tag")
	_ = req.Route()
	_ = req.Recipient.Host
}

func sipgoParse(b *testing.B, raw []byte) *sipgo.Request {
	msg, err := sipgo.ParseMessage(raw)
	if err != nil {
		b.Fatal(err)
	}
	req, ok := msg.(*sipgo.Request)
	if !ok {
		b.Fatal("not a request")
	}
	return req
}

func BenchmarkParseInvite(b *testing.B) {
	b.Run("sipgo", func(b *testing.B) {
		raw := load(b, "invite.sip")
		b.ReportAllocs()
		for b.Loop() {
			sipgoReads(b, sipgoParse(b, raw))
		}
	})
	b.Run("sipfleet", func(b *testing.B) {
		raw := load(b, "invite.sip")
		var m sip.Msg
		b.ReportAllocs()
		for b.Loop() {
			if err := m.Parse(raw); err != nil {
				b.Fatal(err)
			}
			sipfleetReads(b, &m)
		}
	})
}

func BenchmarkParseRegister(b *testing.B) {
	b.Run("sipgo", func(b *testing.B) {
		raw := load(b, "register.sip")
		b.ReportAllocs()
		for b.Loop() {
			req := sipgoParse(b, raw)
			sipgoReads(b, req)
			c := req.Contact()
			if c == nil {
				b.Fatal("no Contact")
			}
			_, _ = c.Params.Get("expires")
			_, _ = c.Params.Get("+sip.instance")
			_ = req.GetHeader("Expires")
		}
	})
	b.Run("sipfleet", func(b *testing.B) {
		raw := load(b, "register.sip")
		var m sip.Msg
		b.ReportAllocs()
		for b.Loop() {
			if err := m.Parse(raw); err != nil {
				b.Fatal(err)
			}
			sipfleetReads(b, &m)
			_ = m.NameAddrs(sip.HdrContact, func(n sip.NameAddr) bool {
				_, _, _ = n.Expires()
				_, _ = n.Params.Get("+sip.instance")
				return true
			})
			_, _, _ = m.Expires()
		}
	})
}

// BenchmarkProxyForward: parse, read, prepend Via, add Record-Route, pop
// Route, decrement Max-Forwards, serialise.
func BenchmarkProxyForward(b *testing.B) {
	b.Run("sipgo", func(b *testing.B) {
		raw := load(b, "invite.sip")
		var out bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			req := sipgoParse(b, raw)
			sipgoReads(b, req)
			via := &sipgo.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP",
				Host: "10.0.0.1", Port: 5060, Params: sipgo.NewParams()}
			via.Params.Add("branch", "z9hG4bK-sf-0123456789abcdef")
			req.PrependHeader(via)
			rr := &sipgo.RecordRouteHeader{Address: sipgo.Uri{Host: "10.0.0.1", Port: 5060, UriParams: sipgo.NewParams()}}
			rr.Address.UriParams.Add("lr", "")
			req.PrependHeader(rr)
			req.RemoveHeader("Route")
			req.MaxForwards().Dec()
			out.Reset()
			req.StringWrite(&out)
		}
	})
	b.Run("sipfleet", func(b *testing.B) {
		raw := load(b, "invite.sip")
		var m sip.Msg
		var e sip.Editor
		out := make([]byte, 0, 2048)
		via := []byte("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-sf-0123456789abcdef")
		rr := []byte("<sip:10.0.0.1:5060;lr>")
		b.ReportAllocs()
		for b.Loop() {
			if err := m.Parse(raw); err != nil {
				b.Fatal(err)
			}
			sipfleetReads(b, &m)
			e.Reset(&m)
			e.PrependHeader("Via", via)
			e.PrependHeader("Record-Route", rr)
			e.PopRoute()
			e.DecrementMaxForwards()
			out = e.AppendTo(out[:0])
		}
	})
}

func sipfleetReads(b *testing.B, m *sip.Msg) {
	v, err := m.TopVia()
	if err != nil || len(v.Branch()) == 0 {
		b.Fatal("top Via", err)
	}
	if _, _, err := m.CSeq(); err != nil {
		b.Fatal(err)
	}
	if _, _, err := m.MaxForwards(); err != nil {
		b.Fatal(err)
	}
	if len(m.CallID()) == 0 || m.FromTag() == nil {
		b.Fatal("Call-ID or From tag")
	}
	_ = m.ToTag()
	if _, _, err := m.TopRoute(); err != nil {
		b.Fatal(err)
	}
	if _, err := m.RequestURI(); err != nil {
		b.Fatal(err)
	}
}
