package e2e

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/resolver/dnstest"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/testenv"
)

// kamailioPeerCfg is a Kamailio 5.6 proxy for the domain peer.example: a
// peer of the fleet. Requests for its domain go to its one user agent
// (%[1]s); every other initial request goes to the fleet's LB (%[2]s) for
// example.com. It is transaction-stateful and Record-Routes, as peers
// are; in-dialog requests follow their Route set.
const kamailioPeerCfg = `#!KAMAILIO
debug=2
log_stderror=yes
disable_tcp=yes
enable_sctp=no
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=off
alias="peer.example"

loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (has_totag()) {
		if (loose_route()) {
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			t_relay();
			exit;
		}
		sl_send_reply("404", "Not Here");
		exit;
	}
	if (is_method("CANCEL")) {
		t_relay();
		exit;
	}
	# A route pre-loaded to this proxy (the fleet's way out) is its own.
	loose_route();
	if ($rU == $null) {
		sl_send_reply("200", "OK");
		exit;
	}
	record_route();
	if ($rd == "peer.example") {
		$du = "sip:%[1]s";
	} else {
		$ru = "sip:" + $rU + "@example.com";
		$du = "sip:%[2]s";
	}
	t_relay();
	exit;
}
`

// startKamailioPeer runs kamailioPeerCfg on ip and waits for it to answer
// an OPTIONS.
func startKamailioPeer(t *testing.T, ip netip.Addr, ua, lb netip.AddrPort) netip.AddrPort {
	t.Helper()
	return runKamailio(t, ip, fmt.Sprintf(kamailioPeerCfg, ua, lb))
}

// TestProxyKamailioPeer (issue 5, "Interop"): Kamailio 5.6 as a peer
// proxy for peer.example. A call from the peer's side for a registered
// user of the fleet enters through the LB and reaches the user; a call
// from the fleet for carol@peer.example is resolved by DNS (SRV, from an
// in-process server), leaves through the LB's public side with the LB
// and the peer pre-loaded as its route, and reaches the peer's user
// agent. Both calls complete along their Record-Route sets.
func TestProxyKamailioPeer(t *testing.T) {
	testenv.SkipIfShort(t)
	t.Parallel()
	const base = 22 // .22 to .29
	carolIP, callerIP := lbIP(t, base, 6), lbIP(t, base, 7)
	carol := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uas_call"), Name: "carol",
		Local: carolIP, Port: testenv.FreeUDPPort(t, carolIP), MaxCalls: 1, TraceMessages: true})

	// The LB's public address is fixed by startFleet; Kamailio needs it
	// before the fleet starts, and the fleet's DNS needs Kamailio's.
	kamIP := lbIP(t, base, 5)
	dns := dnstest.Start(t)
	f := startFleet(t, fleetOptions{base: base, proxyExtra: fmt.Sprintf("  dns:\n    nameservers: [%s]\n", dns.Addr())})
	kam := startKamailioPeer(t, kamIP, carol.Addr(), f.lb.pub)
	dns.Set(fmt.Sprintf("_sip._udp.peer.example. 60 IN SRV 0 0 %d kam.peer.example.", kam.Port()),
		"kam.peer.example. 60 IN A "+kamIP.String())
	// The LB lets public-side requests reach only backends and peers; the
	// peer's calls come to the LB, which is what the LB is for.
	bob := newPhone(t, lbIP(t, base, 4), "bob")
	bob.register(f.lb.pub, 300)

	t.Run("peer to fleet", func(t *testing.T) {
		caller := testenv.StartSipp(t, testenv.SippOptions{Scenario: Scenario(t, "uac_call"), Name: "peer-caller",
			Remote: kam, Local: callerIP, Service: "bob", MaxCalls: 1})
		inv, from := expectRequest(t, bob.c, "INVITE")
		if from != f.lb.pub {
			t.Errorf("INVITE came from %s, want the LB %s", from, f.lb.pub)
		}
		rr := "Record-Route: " + strings.Join(routes(t, inv, sip.HdrRecordRoute), ", ")
		if !strings.Contains(rr, kam.String()) {
			t.Errorf("the peer is not on the route set: %s", rr)
		}
		contact := "Contact: <" + bob.contact + ">"
		reply(bob.c, from, inv, 180, "bob-k", rr, contact)
		reply(bob.c, from, inv, 200, "bob-k", rr, contact)
		expectRequest(t, bob.c, "ACK")
		bye, bfrom := expectRequest(t, bob.c, "BYE")
		reply(bob.c, bfrom, bye, 200, "")
		if err := waitSipp(t, caller, 30*time.Second).Check(1, 0); err != nil {
			t.Errorf("caller behind the peer: %v", err)
		}
	})

	t.Run("fleet to peer", func(t *testing.T) {
		alice := newPhone(t, lbIP(t, base, 3), "alice")
		msg := strings.Replace(string(alice.invite("carol", "to-peer")), "INVITE sip:carol@"+regDomain, "INVITE sip:carol@peer.example", 1)
		msg = strings.Replace(msg, "To: <sip:carol@"+regDomain+">", "To: <sip:carol@peer.example>", 1)
		alice.c.Send(f.lb.pub, []byte(msg))
		ok, _ := expectMsg(t, alice.c, "200 from the peer", func(m *sip.Msg) bool {
			if !m.IsRequest() && m.StatusCode() >= 300 {
				t.Fatalf("call to the peer failed: %s", m.StartLine())
			}
			return !m.IsRequest() && m.StatusCode() == 200
		})
		rs := reversed(routes(t, ok, sip.HdrRecordRoute))
		target := ""
		_ = ok.NameAddrs(sip.HdrContact, func(n sip.NameAddr) bool { target = string(n.URI.Raw); return false })
		toTag := string(ok.ToTag())
		ack := alice.inDialog("ACK", target, rs, "to-peer", "from-to-peer", toTag, "alice", "carol", 1, "kack")
		bye := alice.inDialog("BYE", target, rs, "to-peer", "from-to-peer", toTag, "alice", "carol", 2, "kbye")
		alice.c.Send(f.lb.pub, []byte(strings.ReplaceAll(string(ack), "carol@"+regDomain, "carol@peer.example")))
		alice.c.Send(f.lb.pub, []byte(strings.ReplaceAll(string(bye), "carol@"+regDomain, "carol@peer.example")))
		expectResponse(t, alice.c, 200)
		if err := waitSipp(t, carol, 30*time.Second).Check(1, 0); err != nil {
			t.Errorf("carol at the peer: %v", err)
		}
	})
}
