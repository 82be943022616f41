// Package testenv is the toolkit sipfleet's end-to-end tests run real
// processes with: SIPp phones and backends, sipfleet nodes built from this
// tree, and a raw UDP SIP client, all on loopback addresses. Only tests
// import it.
//
// # Contents
//
//   - RequireBinary, RequireRoot, SkipIfShort, InCI: what a test needs.
//   - LoopbackIP, FreeUDPPort, FreeTCPPort, FreePort, AddrPort: addresses.
//   - Bound, BoundBy, WaitBound: is a socket bound, and by whom (/proc/net).
//   - StartSipp, StartUAS, RunUAC and Sipp's WaitReady, Wait, Stop, Kill:
//     SIPp runs, with SippResult counts read from SIPp's statistics.
//   - BuildSipfleet, StartNode and Node: sipfleet processes.
//   - SIPClient: a raw UDP endpoint for byte-exact tests.
//   - WriteFile, CRLF: small file and message helpers.
//
// # Rules it enforces
//
//   - Every SIPp run is bounded in calls (-m) and in time (-timeout, and a
//     hard kill after it), and is killed when its test ends.
//   - Traffic goes only to 127.0.0.0/8: the helpers refuse other addresses.
//     Linux routes the whole block to lo, so tests give each simulated phone
//     its own 127.0.0.x (LoopbackIP).
//   - Nothing synchronises by sleeping: a server is ready when its socket is
//     bound (read from /proc/net) or its /readyz answers, polled under a
//     deadline.
//   - A missing tool (sipp, kamailio, tshark, ip, iptables) skips a test on
//     a developer machine and fails it in CI (the CI environment variable
//     set), which must never skip.
//
// # SIPp facts it relies on (SIPp 3.6.1, Debian sip-tester)
//
// Exit status: 0 when no call failed (also after SIGTERM, SIGINT or SIGUSR1,
// even with calls still in progress); 1 when a call failed, and also for
// errors found before the scenario runs (bad options, unreadable XML, a
// scenario keyword with no -key); 97 when -timeout passed with no call
// either successful or failed; 254 when a socket cannot be bound; 255 for
// other fatal errors, -timeout_error expiry among them. -timeout alone only
// stops new calls: SIPp then waits for the calls in progress, which is why
// the runner also kills it after a grace period. The statistics CSV
// (-trace_stat -stf) gets a final row on every exit once the scenario has
// started, except by SIGKILL (the runner has it dumped every second, -fd 1,
// so a killed SIPp's counts are at most a second old); the screen file
// (-trace_screen) is written only on a normal end, not on SIGTERM or SIGINT.
//
// # Why not a library
//
// SIPp is what the benchmark harness and the users' own tests drive, so the
// end-to-end suite speaks to sipfleet the way they do; no Go SIP test
// harness runs SIPp scenarios. What is here is process plumbing.
package testenv
