// Package sip is sipfleet's SIP message layer (RFC 3261 §7, §19, §20, §25):
// parsing, typed header access, byte-preserving editing, message builders
// and the validation a proxy runs before it touches a request. It holds no
// sockets; the transport and transaction layers and the roles build on it.
//
// # Model
//
// A Msg is the received bytes plus an index: the start line and, for every
// header field, where its name and value lie. Parse does only that. A
// header value is parsed when a caller asks for it (TopVia, From, CSeq,
// NameAddrs, ...), into structs whose fields are sub-slices of the message,
// so reading what a proxy routes on allocates nothing. Msg values are meant
// to be reused by receive loops; whatever outlives the next Parse must be
// copied.
//
// An Editor records edits positioned on the original message (insert,
// remove or replace a header, pop a Route, rewrite the Request-URI,
// decrement Max-Forwards) and writes the result in one pass into a
// caller's buffer. Every byte it was not asked to change is copied as
// received, so unknown headers, compact forms and odd spacing cross a proxy
// hop untouched, as RFC 4475 §3.1.1.1 requires.
//
// # Why not sipgo
//
// github.com/emiago/sipgo v1.7.3 parses every header into Go structs and
// strings when a message arrives and rebuilds the message from them when
// it is sent: the original bytes of headers it re-serialises are lost, and
// each message costs dozens of allocations. An edge proxy meant to beat
// Kamailio needs parse-on-demand like Kamailio's, zero-allocation parsing
// and byte-exact forwarding. bench/sipgo measures both libraries on the
// same messages (results in bench/RESULTS.md): on this project's 2-core VM,
// parsing a 746-byte INVITE and reading what a proxy routes on costs sipgo
// 10.8–14.4 µs with 53 allocations and this package 3.4–3.9 µs with none;
// the whole proxy forward (parse, reads, Via, Record-Route, pop Route,
// Max-Forwards, serialise) 19–22 µs with 80 allocations against 2.3–4 µs
// with none.
//
// # Strictness
//
// Strict where RFC 3261 is (start-line spacing, CSeq and Max-Forwards
// ranges, conflicting Content-Length, duplicate single-value headers),
// liberal where RFC 4475 says elements should accept (folding, LWS around
// separators, leading zeros, no LWS before '<'). The whole RFC 4475 and
// RFC 5118 corpora run as tests, and the PROTOS c07-sip sample and fuzz
// targets check that no input panics.
package sip
