// Package registrar is a registrar node of the federation (DESIGN.md,
// "REG"): RFC 3261 §10.3 with Path (RFC 3327), outbound bindings
// (RFC 5626) and digest authentication, keeping no registration state of
// its own. Every REGISTER reads the AoR's bindings from the shared
// database and writes the outcome back, so any node answers for any user
// and nodes come and go freely ("cacheless usrloc", Kamailio's
// db_mode=3).
//
// The decision of what a REGISTER does to an AoR (apply) is a pure
// function of the request, the bindings read and the clock, and is tested
// rule by rule; the node around it does the I/O: transactions, a bounded
// worker pool so that database latency never blocks a socket's read loop,
// and 503 with Retry-After when the database is away.
package registrar
