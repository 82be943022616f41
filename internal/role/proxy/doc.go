// Package proxy is the proxy role of the fleet: a transaction-stateful SIP
// proxy (RFC 3261 §16) that keeps no registration state of its own. Every
// initial request for a local user is routed by a lookup in the shared
// location table, each binding becoming a branch whose route set is the
// binding's Path — so the request goes back through the LB the phone
// registered through, which sends it to the phone's NATed address.
// Telephone numbers go to PSTN gateways found by DNS (RFC 3263) or listed
// statically, with failover across every target; other domains are
// resolved and reached through the LB, so requests leave from the public
// side.
//
// The proxy is written on sipfleet's own transaction layer and message
// editor rather than a SIP library for the same reason as the LB: a
// forwarded request is the received bytes plus a few edits, and a
// transaction is a few hundred bytes on a shared timer wheel.
//
// Database work (the location lookup, the subscriber check of digest
// authentication) runs on a bounded pool of workers so that a slow
// database never stalls the receive loops; a full queue is answered 503.
package proxy
