// Package dnstest runs a small authoritative DNS server inside a test
// process, on 127.0.0.1, so that code which resolves names (the SIP
// resolver above all) can be tested over real UDP and TCP sockets with a
// zone the test writes in zone-file syntax.
//
// The server answers every name in its zone authoritatively: NXDOMAIN for
// a name it does not know, NODATA (NOERROR and no answer) for a name it
// knows without records of the asked type, and the CNAME chain followed
// within the zone. UDP answers larger than the client's EDNS(0) buffer, or
// than 512 bytes when the query has no EDNS(0), are truncated with the TC
// bit, so a client's retry over TCP can be exercised.
package dnstest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Server is an authoritative DNS server listening on one port of 127.0.0.1
// for both UDP and TCP. Start makes one; the test's cleanup stops it.
type Server struct {
	// Additional, when true, makes the server put the address records
	// (A, AAAA) of SRV targets in the additional section of SRV answers,
	// and the SRV records a NAPTR record's replacement names (with their
	// targets' addresses) in that of NAPTR answers.
	//
	// Set it before the server gets its first query; the serving
	// goroutines read it under the lock that Addr and Set take, so setting
	// it right after Start, or before a call of Set, is race-free.
	Additional bool

	t    testing.TB
	addr string

	mu      sync.Mutex
	zone    map[string][]dns.RR // by lower-case owner name
	queries int

	servers []*dns.Server
	wg      sync.WaitGroup
}

// Start starts a server answering from records, each one resource record
// in zone-file syntax such as "gw.example. 60 IN SRV 10 60 5070 gw1.example.".
// The test fails at once if a record does not parse or the server cannot
// listen. t.Cleanup stops the server.
func Start(t testing.TB, records ...string) *Server {
	t.Helper()
	s := &Server{t: t}
	s.zone = s.parse(records)

	pc, ln, err := listen()
	if err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	s.addr = pc.LocalAddr().String()

	handler := dns.HandlerFunc(s.serve)
	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	s.servers = []*dns.Server{
		{PacketConn: pc, Handler: handler, NotifyStartedFunc: notify},
		{Listener: ln, Handler: handler, NotifyStartedFunc: notify},
	}
	errs := make(chan error, len(s.servers))
	for _, srv := range s.servers {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := srv.ActivateAndServe(); err != nil {
				errs <- err
			}
		}()
	}
	for range s.servers {
		select {
		case <-started:
		case err := <-errs:
			t.Fatalf("dnstest: serve: %v", err)
		}
	}
	t.Cleanup(s.stop)
	return s
}

// listen binds UDP and TCP sockets to one free port of 127.0.0.1. The UDP
// port is picked by the system; the TCP one may be taken, so it tries a few.
func listen() (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		lastErr = err
	}
	return nil, nil, fmt.Errorf("no port free for both UDP and TCP: %w", lastErr)
}

func (s *Server) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		if err := srv.ShutdownContext(ctx); err != nil {
			s.t.Logf("dnstest: shutdown: %v", err)
		}
	}
	s.wg.Wait()
}

// Addr is the "127.0.0.1:port" the server listens on, over UDP and TCP.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Set replaces the whole zone with records, at once: a query sees either
// the old zone or the new one.
func (s *Server) Set(records ...string) {
	s.t.Helper()
	zone := s.parse(records)
	s.mu.Lock()
	s.zone = zone
	s.mu.Unlock()
}

// Queries is how many queries the server has answered, over UDP and TCP
// together (a truncated UDP answer and the TCP retry count as two).
func (s *Server) Queries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries
}

func (s *Server) parse(records []string) map[string][]dns.RR {
	s.t.Helper()
	zone := make(map[string][]dns.RR)
	for _, rec := range records {
		rr, err := dns.NewRR(rec)
		if err != nil {
			s.t.Fatalf("dnstest: record %q: %v", rec, err)
		}
		if rr == nil { // a blank line or a comment
			continue
		}
		name := strings.ToLower(rr.Header().Name)
		zone[name] = append(zone[name], rr)
	}
	return zone
}

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	s.mu.Lock()
	zone, additional := s.zone, s.Additional
	s.queries++
	s.mu.Unlock()

	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) != 1 || req.Opcode != dns.OpcodeQuery {
		m.SetRcode(req, dns.RcodeFormatError)
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	m.Answer, m.Rcode = lookup(zone, q.Name, q.Qtype)
	if additional {
		m.Extra = extra(zone, m.Answer)
	}

	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = max(int(opt.UDPSize()), dns.MinMsgSize)
		m.SetEdns0(uint16(size), false)
	}
	if w.LocalAddr().Network() == "udp" {
		truncate(m, size)
	}
	_ = w.WriteMsg(m)
}

// lookup answers name and qtype from zone, following CNAMEs in the zone.
func lookup(zone map[string][]dns.RR, name string, qtype uint16) ([]dns.RR, int) {
	var answer []dns.RR
	name = strings.ToLower(name)
	for range 8 { // a bound on CNAME chains, loops included
		rrs, ok := zone[name]
		if !ok {
			if exists(zone, name) { // an empty non-terminal, like _tcp.example.
				return answer, dns.RcodeSuccess
			}
			return answer, dns.RcodeNameError
		}
		var cname *dns.CNAME
		found := false
		for _, rr := range rrs {
			switch {
			case rr.Header().Rrtype == qtype || qtype == dns.TypeANY:
				answer = append(answer, dns.Copy(rr))
				found = true
			case rr.Header().Rrtype == dns.TypeCNAME:
				cname = rr.(*dns.CNAME)
			}
		}
		if found || cname == nil {
			return answer, dns.RcodeSuccess
		}
		answer = append(answer, dns.Copy(cname))
		name = strings.ToLower(cname.Target)
	}
	return answer, dns.RcodeServerFailure
}

// exists reports whether name owns records or has names below it.
func exists(zone map[string][]dns.RR, name string) bool {
	if _, ok := zone[name]; ok {
		return true
	}
	for owner := range zone {
		if strings.HasSuffix(owner, "."+name) {
			return true
		}
	}
	return false
}

// extra is the additional section for answer: the addresses of SRV
// targets, and the SRV records named by NAPTR replacements with their
// targets' addresses.
func extra(zone map[string][]dns.RR, answer []dns.RR) []dns.RR {
	var out []dns.RR
	seen := make(map[string]bool)
	add := func(name string, types ...uint16) []dns.RR {
		var added []dns.RR
		name = strings.ToLower(name)
		for _, t := range types {
			key := fmt.Sprintf("%s/%d", name, t)
			if seen[key] {
				continue
			}
			seen[key] = true
			for _, rr := range zone[name] {
				if rr.Header().Rrtype == t {
					added = append(added, dns.Copy(rr))
				}
			}
		}
		out = append(out, added...)
		return added
	}
	addresses := func(srvs []dns.RR) {
		for _, rr := range srvs {
			if srv, ok := rr.(*dns.SRV); ok && srv.Target != "." {
				add(srv.Target, dns.TypeA, dns.TypeAAAA)
			}
		}
	}
	for _, rr := range answer {
		switch rr := rr.(type) {
		case *dns.SRV:
			addresses([]dns.RR{rr})
		case *dns.NAPTR:
			if strings.EqualFold(rr.Flags, "s") && rr.Replacement != "." {
				addresses(add(rr.Replacement, dns.TypeSRV))
			}
		}
	}
	return out
}

// truncate fits m into size bytes, as a UDP answer must: the additional
// section goes first (that alone does not set TC, RFC 2181 §9), then
// answers, with TC set.
func truncate(m *dns.Msg, size int) {
	m.Compress = true
	if m.Len() <= size {
		return
	}
	opt := m.IsEdns0()
	m.Extra = nil
	if opt != nil {
		m.Extra = []dns.RR{opt}
	}
	m.Truncate(size)
}
