// Package dispatcher chooses the backend for each request the LB
// forwards: destination sets, the selection algorithms, and the health of
// each destination. It is what users of Kamailio's dispatcher module know
// — the dispatcher.list file, the dispatcher table, the algorithm numbers,
// the flags and attributes, set_state and reload — without its sockets:
// probing goes through an injected Prober, and the caller extracts hash
// keys (Call-ID, URIs) from the message, so the package parses no SIP
// beyond validating destination URIs with package sip.
//
// # Use
//
//	list, err := dispatcher.ParseFile("dispatcher.list") // or FromRows
//	d, err := dispatcher.New(list, dispatcher.Options{Prober: p, Logger: log})
//	go d.Run(ctx)                                  // probing
//	c, err := d.Select(setID, alg, callID)         // per request
//	for dst, ok := c.Next(); ok; dst, ok = c.Next() { ... try dst ...
//		d.ReportFailure(dst, err)                  // on timeout, 408, 5xx
//	}
//	d.Reload(newList)                              // SIGHUP, management API
//
// # Algorithms
//
//	Kamailio  name             chooses
//	0         hash-callid      rendezvous hash of the Call-ID
//	1         hash-from-uri    rendezvous hash of the From URI
//	2         hash-to-uri      rendezvous hash of the To URI
//	3         hash-ruri        rendezvous hash of the Request-URI
//	3 (*)     hash-ruri-user   rendezvous hash of the Request-URI user
//	4         round-robin      next active destination in turn
//	6         random           uniformly among the active
//	8         priority         highest priority first; failover in priority order
//	9         weight           smooth weighted round robin by the weight attribute
//	10        least-load       fewest calls in progress (Acquire/Release), below maxload
//	11        relative-weight  randomly by rweight × recent success ratio
//
// (*) Kamailio's 3 with the module parameter flags=1.
//
// Every algorithm returns a failover sequence through Cursor.Next: each
// active destination once, in the algorithm's order of preference.
//
// # How it differs from Kamailio's
//
// Consistent rehashing. Kamailio hashes the key modulo the set size and,
// when that destination is down, uses the next one in the list, so one
// dead backend doubles its neighbour's load (Kamailio issue 2361). Here
// the hash algorithms use rendezvous hashing over the active destinations:
// a dead destination's keys spread evenly over all the others, and keys of
// destinations that stay up never move. The key hash is deterministic, so
// every LB node maps a Call-ID to the same backend.
//
// Round robin rotates over the active destinations only, and the weighted
// algorithm hands a dead destination's share out by weight, for the same
// reason. Weights are validated (1 to 100), not ignored with a log line;
// an absent weight counts as 1, and the weights need not sum to 100.
//
// Health is one state machine per destination — active, inactive,
// probing (recovering), disabled (administrator) — fed alike by probes and
// by failures of real traffic, with a failure threshold and a success
// threshold; see State and HealthConfig. A reload keeps each surviving
// destination's state, counters and calls in progress; a destination is
// the same one across reloads when its set and its duid (or, without a
// duid, its URI) are.
//
// # Flags
//
// The flags column is read as Kamailio writes it: 1 starts the destination
// inactive, 2 (trying) starts it probing — out of rotation until it
// answers SuccessThreshold probes — and 4 starts it disabled. 8 (probing)
// has it probed even when HealthConfig.Mode probes only inactive
// destinations. 16 (no DNS) is accepted and has no effect. Other bits are
// errors. On reload, a destination whose bits 1, 2 or 4 changed takes the
// state its new flags give; any other keeps its run-time state.
package dispatcher
