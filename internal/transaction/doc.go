// Package transaction is the SIP transaction layer: the client and server
// state machines of RFC 3261 §17 (Figures 5 to 8) with the Accepted states
// of RFC 6026, their timers A to M, and transaction matching (§17.1.3,
// §17.2.3, including the RFC 2543 fallback and CANCEL matching of §9.2).
//
// It is hand-written rather than taken from a SIP library to meet
// sipfleet's cost target: a proxy at 10,000 transactions per second with
// UDP's 32 s linger times holds some 300,000 live transactions, so a
// transaction here is a few hundred bytes on a shared timer wheel, with
// no goroutine and no runtime timer of its own, and works on the
// byte-preserving messages of internal/sip.
//
// # Use
//
// A Layer serves one SIP element. The receive loop passes every parsed
// message in:
//
//	l, err := transaction.New(transaction.Config{Logger: log}, handler)
//	...
//	if m.IsRequest() {
//		if !l.HandleRequest(m, sendTo(src), conn.Reliable()) {
//			// an ACK for a 2xx, or a request without a usable Via
//		}
//	} else if !l.HandleResponse(m) {
//		// no client transaction: a proxy forwards it statelessly
//	}
//
// New requests reach the Handler once (ServeTx), with the transaction's own
// copy of the request; the TU answers with ServerTx.Respond or RespondBytes,
// at once or later from any goroutine. Retransmitted requests are answered
// with the last response, the ACK to a non-2xx final is absorbed, and an
// INVITE left unanswered for 200 ms gets a 100 Trying.
//
// The TU sends requests with Layer.NewClientTx and hears of responses,
// timeouts and transport errors through its ClientTU. The transaction
// retransmits, sends the ACK for a non-2xx final, passes every 2xx up and
// never acknowledges one (§13.2.2.4). ClientTx.Cancel follows §9.1.
// Layer.CancelTarget finds the INVITE server transaction a CANCEL aims at;
// Layer.AfterFunc gives the TU cheap timers (a proxy's Timer C).
//
// A transaction is bound to the SendFunc and the reliable flag it was
// created with: the caller decides the destination (§18.2.2, RFC 3581), and
// on a reliable transport Timers A, E and G are not used and D, I, J and K
// are zero.
//
// # Timers
//
//	A  INVITE retransmit        T1, doubling           unreliable only
//	B  INVITE timeout           64*T1
//	C  proxy INVITE             TU's (Layer.AfterFunc)
//	D  ACK retransmit window    TimerD (32 s)          0 if reliable
//	E  non-INVITE retransmit    T1, doubling to T2     unreliable only
//	F  non-INVITE timeout       64*T1
//	G  INVITE response retx     T1, doubling to T2     unreliable only
//	H  wait for ACK             64*T1
//	I  absorb ACK retransmits   T4                     0 if reliable
//	J  absorb request retx      64*T1                  0 if reliable
//	K  absorb response retx     T4                     0 if reliable
//	L  Accepted (server)        64*T1                  RFC 6026
//	M  Accepted (client)        TimerM (64*T1)          RFC 6026
//
// # Design
//
// Transactions live in Config.Shards tables (64 by default), each with its
// own mutex and its own hashed timer wheel (4096 slots of Config.Tick,
// 10 ms). A transaction is placed by a hash of its branch (of the Call-ID
// for RFC 2543 requests), so its retransmissions, ACK and CANCEL meet it in
// the same shard. One goroutine per Layer (none with a ManualClock) walks
// the wheels every tick; a timer is a list node embedded in its
// transaction, so arming, stopping and firing allocate nothing. No
// goroutine is started per transaction.
//
// State machines run under the shard lock and only record what to do;
// sends and TU callbacks run after the lock is released (effects.go), so a
// TU may call back into the layer from any callback. Messages handed in by
// the caller are never kept: the server transaction copies its request
// (and drops the copy at the final response), the client transaction
// copies its request, and responses reach the ClientTU as the caller's Msg,
// valid during the call. At Terminated a transaction leaves its table and
// drops its buffers.
//
// # Cost
//
// Measured on the 2-core development machine (AMD EPYC, Go 1.26) with
// go test -bench . -benchtime=100000x -cpu 1 -count 6, best of the six
// (the machine is shared with other builds; medians run 10-40% higher).
// Each operation is a whole transaction, from the first message to
// Terminated, on a ManualClock moved 10 ms every 100 operations (10,000
// transactions per simulated second, so on UDP the wheel carries the
// 32 s backlog: up to 320,000 live transactions). The parsing done by
// the receive loop is included; with Msg.TopVia it is over half the time
// (CPU profile of BenchmarkClientNonInvite).
//
//	                                                       ns/op   B/op  allocs
//	ServerNonInvite/udp  REGISTER, 200, Timer J            9,990  2,389   5
//	ServerNonInvite/tcp  REGISTER, 200                     6,598  2,320   5
//	ServerInvite/udp     INVITE, 180, 486, ACK, Timer I   11,472  2,981   6
//	ServerInvite/tcp     INVITE, 180, 486, ACK             9,622  2,912   6
//	ClientInvite/200/udp INVITE, 180, 200, Timer M        10,528  1,050   3
//	ClientInvite/486/udp INVITE, 180, 486, ACK, Timer D    9,696  1,434   4
//	ClientNonInvite/udp  OPTIONS, 200, Timer K             7,413    711   3
//	ClientNonInvite/tcp  OPTIONS, 200                      5,268    640   3
//
// Memory held per live transaction, 10,000 at once (TestLiveCost,
// Benchmark10kLive: heap delta after GC), while the goroutine count stays
// at the Layer's one timer goroutine however many transactions live:
//
//	server INVITE in Proceeding (request copy kept for the TU)   2,630 B
//	server non-INVITE in Completed (Timer J: response only)        694 B
//	client INVITE in Calling (request with SDP kept)             1,014 B
//
// plus a fixed 32 KiB of wheel per shard (2 MiB with 64 shards).
package transaction
