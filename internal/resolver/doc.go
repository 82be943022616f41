// Package resolver finds where to send a SIP request: given the host, port,
// transport and scheme of a SIP URI, it gives every address to try, in the
// order to try them, by the procedures of RFC 3263 (Locating SIP Servers):
// NAPTR records to pick a transport, SRV records (RFC 2782) to pick servers
// by priority and weight, and A/AAAA records for their addresses. The proxy
// role uses it to reach PSTN gateways and foreign domains.
//
// A Resolver asks the nameservers it is given (or those of
// /etc/resolv.conf) itself, over UDP with a retry over TCP when an answer
// is truncated, and caches every answer for its TTL, clamped, and every
// NXDOMAIN or NODATA for a fixed negative TTL. Concurrent lookups of one
// name and type share one query. The weighted random order of SRV records
// is drawn anew on every Resolve, from the cached records, so that load
// spreads across servers with the cache hot.
//
// Errors tell two things apart: ErrNotFound, the domain has no SIP service
// (no target at all), and ErrLookup, DNS itself failed (timeouts, SERVFAIL,
// no nameserver reachable).
//
// The DNS wire format, its record types and the client exchange come from
// github.com/miekg/dns, a widely used, well-tested library: parsing and
// building DNS messages (name compression, EDNS(0), truncation) is a
// protocol of its own that this project has no reason to write again. The
// standard library's net.Resolver cannot be used instead: it has no NAPTR
// lookup, does not give TTLs, and hides the nameserver exchange that RFC
// 3263's failover and caching rest on.
package resolver
