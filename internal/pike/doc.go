// Package pike is the LB's flood protection, after Kamailio's pike module:
// it counts the requests of each source address (IPv6 grouped by prefix,
// /64 by default, since one subscriber holds a whole /64) over a sliding
// window and bans a source that goes over the threshold for a while. It
// also recognises the User-Agents of well-known SIP scanners, which the LB
// drops without a reply so that scanners learn nothing.
//
// # Why hand-written
//
// The generic rate limiters (golang.org/x/time/rate and the like) are one
// token bucket per key, leaving the table of keys, its memory bound and the
// ban to the caller; the LB calls Allow for every request it receives, so
// the table is the whole problem. Here it is a fixed number of shards, each
// a mutex, a map from address key to a slot index and a slab of plain
// structs: a known source costs one map lookup and no allocation, the
// number of tracked sources is capped, and the GC has no pointers to scan.
//
// # Model
//
// Each source has a count for the current sampling interval and one for the
// previous interval; its rate is the previous count weighted by how much of
// the previous interval the sliding window still covers, plus the current
// count (the usual sliding-window estimate). When the rate exceeds
// Threshold the source is banned for BanFor. Requests during a ban are still
// counted, so a source that keeps flooding is banned again as soon as the
// ban ends, while one that stopped is let back in.
//
// Time is passed in (Allow, Sweep, Stats take now) rather than read: the
// caller already has a timestamp per packet, and tests need no sleeps.
//
// When the table is full, a new source takes the slot of the least recently
// seen of a few sampled unbanned sources (Redis-style sampled LRU); if every
// sampled slot is banned the new source is let through untracked and
// counted, since refusing everyone new during a spoofed-source flood would
// do the attacker's work. Sweep, called periodically by the owner, frees
// the slots of sources idle for two intervals whose ban has ended.
package pike
