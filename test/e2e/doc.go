// Package e2e is sipfleet's end-to-end suite: whole processes talking SIP
// over real sockets on loopback addresses. SIPp plays the phones and the
// backends, sipfleet nodes are built from this tree and run as users run
// them, and Kamailio stands in where a reference implementation is needed.
// The toolkit that starts, bounds and reads all of them is
// internal/testenv; this package holds the SIPp scenarios (scenarios/*.xml,
// each documented in its header comment: call flow, parameters, what it
// checks) and the tests.
//
// # Scenarios
//
// Scenario(t, name) gives a scenario's path for testenv.SippOptions.
// Phones (uac_*) and servers (uas_*), with the SIPp options they need:
//
//	uac_call           INVITE, 200, ACK and BYE along the learnt route set   -s
//	uac_call_auth      INVITE, 407, ACK, INVITE with digest, 200, ACK, BYE   -s, -key domain, -key caller, -au, -ap, -auth_uri
//	uac_cancel         INVITE, 180, CANCEL; 200 and 487 in either order; ACK  -s
//	uac_register       REGISTER, 200            -s, -key domain, -key expires
//	uac_register_auth  REGISTER, 401, REGISTER with digest, 200
//	                                            the same, -ap, -auth_uri DOMAIN
//	uac_options        OPTIONS to the host itself (no user part), 200
//	uas_call           180 and 200 copying Record-Route; ACK; BYE, 200
//	uas_503            503 to every INVITE; ACK
//	uas_silent         takes INVITEs and never answers
//	uas_ring_forever   180, then on CANCEL 200 and 487; ACK
//	uas_register       registrar fake: 200 echoing Contact, Expires and Path
//	uas_register_path  the same, but 403 unless a Path with ;lr came
//	uas_register_auth  registrar fake with digest   -key user, -key password
//	uas_options        200 to OPTIONS (a probed backend)
//
// scenarios_test.go proves the scenarios themselves, each client against
// its server directly with no sipfleet node in between, so a failure in a
// role's test points at the role and not at the harness.
//
// # Running
//
//	go test ./test/e2e                  # all of it; a missing tool skips its tests
//	CI=true go test ./test/e2e          # as CI runs it: a missing tool fails them
//	go test -short ./test/e2e           # skip the long tests (CI ignores -short)
//	go test -v -run 'TestScenarioPairs/cancel' ./test/e2e
//
// It needs Linux (every 127.0.0.x routed to lo, /proc/net for readiness)
// and SIPp (Debian package sip-tester); some tests need kamailio, tshark,
// iproute2 or iptables, and root. Every SIPp run is bounded in calls and in
// time and every process is killed when its test ends; traffic never leaves
// 127.0.0.0/8. A failing test logs, for each SIPp, its command line, its
// counts, its errors and the messages of its aborted calls (set
// SippOptions.TraceMessages to log every message), and each node's log.
package e2e
