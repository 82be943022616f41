package sip

import "testing"

// proxyReads reads what a proxy needs from a request before routing it.
func proxyReads(b *testing.B, m *Msg) {
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

// BenchmarkParseInvite: index a typical INVITE and read the headers a
// proxy routes on.
func BenchmarkParseInvite(b *testing.B) { benchParse(b, "invite.sip", proxyReads) }

// BenchmarkParseRegister: index a typical REGISTER and read what an edge
// proxy and a registrar need (Via, Contact with its params, Expires).
func BenchmarkParseRegister(b *testing.B) {
	benchParse(b, "register.sip", func(b *testing.B, m *Msg) {
		proxyReads(b, m)
		err := m.NameAddrs(HdrContact, func(n NameAddr) bool {
			_, _, _ = n.Expires()
			_, _ = n.Params.Get("+sip.instance")
			return true
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := m.Expires(); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkIndexOnly: the index alone, no header value parsed.
func BenchmarkIndexOnly(b *testing.B) { benchParse(b, "invite.sip", nil) }

func benchParse(b *testing.B, file string, reads func(*testing.B, *Msg)) {
	raw := readTestdata(b, file)
	var m Msg
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Parse(raw); err != nil {
			b.Fatal(err)
		}
		if reads != nil {
			reads(b, &m)
		}
	}
}

// BenchmarkProxyForward: parse, then the edits a stateful proxy makes
// (prepend Via, add Record-Route, pop Route, decrement Max-Forwards) and
// serialise into a reused buffer.
func BenchmarkProxyForward(b *testing.B) {
	raw := readTestdata(b, "invite.sip")
	var m Msg
	var e Editor
	out := make([]byte, 0, 2048)
	via := []byte("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-sf-0123456789abcdef")
	rr := []byte("<sip:10.0.0.1:5060;lr>")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Parse(raw); err != nil {
			b.Fatal(err)
		}
		proxyReads(b, &m)
		e.Reset(&m)
		e.PrependHeader("Via", via)
		e.PrependHeader("Record-Route", rr)
		e.PopRoute()
		e.DecrementMaxForwards()
		out = e.AppendTo(out[:0])
	}
}

// BenchmarkResponse: build a 200 OK for a REGISTER.
func BenchmarkResponse(b *testing.B) {
	m := mustParse(b, readTestdata(b, "register.sip"))
	out := make([]byte, 0, 2048)
	b.ReportAllocs()
	for b.Loop() {
		out = AppendResponse(out[:0], m, 200, "", []byte("abc123"))
	}
}
