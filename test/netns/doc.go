// Package netns holds sipfleet's end-to-end tests over real networks:
// hosts built from network namespaces, veth pairs and bridges, with
// sipfleet nodes, SIPp and the tests' own sockets running inside them.
// Each test builds its namespaces under names of its own and deletes
// them when it ends, whatever the outcome; addresses are documentation
// and private ranges, used only inside them.
//
// nat_test.go is the real-NAT test of DESIGN.md's "natping" (issue 6): a
// Linux NAT router (iptables MASQUERADE) whose UDP conntrack timeout is
// cut to seconds, and sipfleet's LB, registrar, proxy and two NAT pingers
// as real processes. It shows the problem the seed describes (a NAT
// binding the phone opened toward the LB expires, and requests to the
// phone are lost) and its fix (keepalives sent from another host with the
// LB's address as their source keep it open):
//
//	        "internet" bridge 203.0.113.0/24
//	 +------------+--------------+-------------+
//	LB .10      NAT .2        peer .20      gw .1
//	 |            | MASQUERADE                 |
//	 |          phone 192.168.1.100           |
//	 |                                         |
//	 +----------- LAN bridge 10.0.0.0/24 -----+
//	LB .10      srv .2: registrar, proxy, pingers (default route via gw .1)
//
// ha_test.go is the LB's active/passive takeover under keepalived
// (issue 7).
//
// The tests need Linux, root, iproute2 and iptables, and SIPp, tshark or
// keepalived as each says (go test skips a test without them, and fails
// it in CI). Run them with
//
//	go test -v -count=1 ./test/netns
//
// The real-NAT test takes about 25 s.
package netns
