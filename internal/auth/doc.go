// Package auth is SIP digest authentication (RFC 3261 §22, RFC 2617,
// RFC 7616) for a fleet of nodes that share nothing but a secret and a
// subscriber table: it writes the challenges (401 WWW-Authenticate from a
// registrar, 407 Proxy-Authenticate from a proxy) and verifies the
// Authorization or Proxy-Authorization a client answers with.
//
// # Why hand-written
//
// The digest itself is a few hashes; what matters is around it, and no Go
// library has it. github.com/icholy/digest, which sipgo's register example
// uses, computes a client's response; that example keeps one challenge in
// memory, answers an unknown user with 404 and compares responses with
// ==. The HTTP digest servers keep their issued nonces in process memory,
// so the 401 from one node and the retry landing on another fail. Here
// credentials are read with sip.ParseAuth straight from the message
// bytes, nonces are stateless and verified by any node holding the
// secret, every failure looks the same, and a challenge costs no
// allocation and a verification one (the username). Answer is the client
// side, for tests and probes.
//
// # Nonces
//
// A nonce is 27 bytes, base64url without padding (36 characters, never
// '=' or '"'):
//
//	byte  0      format: 0x10 (version 1), | 0x01 if bound to the realm
//	bytes 1-4    issue time, Unix seconds, big-endian
//	bytes 5-6    lifetime in seconds, big-endian (NonceTTL of the issuer)
//	bytes 7-14   random (crypto/rand)
//	bytes 15-26  HMAC-SHA256(K, bytes 0-14 [|| realm])[:12]
//
// K is derived from Config.Secret (HMAC-SHA256(Secret, a fixed label)), so
// the secret may be shared with other uses. A nonce whose MAC checks under
// the current or a previous secret (rotation) is authentic; it is valid
// from its issue time (less ClockSkew) until issue time plus the smaller of
// its own lifetime and this node's NonceTTL. An authentic nonce outside
// that window is stale: the client gets stale=true and retries without
// asking its user again (RFC 7616 §3.3). Anything else (bad length or
// base64, wrong MAC, another realm) is simply invalid. Issuing keeps no
// state.
//
// # Replay protection and its limit
//
// With qop=auth a client numbers the requests it makes with one nonce
// (nc). Each node keeps a bounded in-memory table (MemoryCounter: 64
// shards, 1M nonces by default, entries dropped when their nonce expires)
// of the highest nc accepted per nonce and refuses any nc not strictly
// greater, after the response has been checked, so a forged request cannot
// burn a client's counts. When the table is full the oldest entry goes and
// the shard remembers the latest expiry it evicted: unknown nonces expiring
// no later than that are refused as stale, so eviction costs clients a
// round trip but never lets a replay through.
//
// The table is per node. A replay sent to a different node than the
// original is caught only if the nodes share the table, which the default
// does not: plug a shared NonceCounter (a database or Redis behind the
// interface) into Config.Counter to close that gap. Without qop (RFC 2069,
// only if AllowNoQop) a nonce is good for one request.
//
// # Failures look alike
//
// Verify returns a Result. Unknown user, wrong password, malformed or
// missing credentials, a bad nonce, a realm or uri mismatch all give
// OK=false with Stale=false, and the caller answers each with the same
// fresh challenge, so extensions cannot be enumerated; an unknown user
// costs the same hashing as a wrong password. Stale is true only for an
// authentic nonce outside its window (decided before any lookup, so it
// reveals nothing about the user; Kamailio does the same) and for a
// correct response whose nonce-count was already used (Kamailio answers
// stale to that too). Result.Reason says which for the logs; Result.Err is set
// when nothing could be decided (the store failed) and the caller answers
// 500 or 503 instead.
//
// Responses and MACs are compared in constant time.
//
// # The uri directive
//
// RFC 2617 §3.2.2.5 asks the server to check that the digest uri names
// the Request-URI. Kamailio's auth module only checks that it is present.
// By default (URICheckUserHost) it must be a sip or sips URI with the
// Request-URI's user and host (host case-insensitive); port, parameters
// and sip/sips may differ, so "sip:example.com" hashed for a Request-URI
// of "sip:example.com:5060;transport=tcp" passes. URICheckNone accepts any
// uri, as Kamailio does. Either way the response is checked against the
// uri the client hashed. SIPp hashes "sip:<remote ip>:<remote port>"
// unless run with -auth_uri, so against a Request-URI naming a domain it
// needs -auth_uri <domain> or URICheckNone.
//
// # Algorithms
//
// MD5 and SHA-256 (RFC 7616 §3.7: a challenge per algorithm, in the order
// of Config.Algorithms, the preferred first; SHA-256 then MD5 by default),
// with qop=auth. MD5-sess, SHA-256-sess, auth-int and userhash are
// refused. A client answers with the first algorithm it supports, so
// SHA-256 must only be offered when the HA1 lookup can answer it for every
// user (Kamailio's subscriber table holds MD5 ha1 only; SHA-256 needs the
// plain password or a further column). SIPp before 3.7.3 (Debian 12 has
// 3.6.1) knows MD5 only and gives up on a challenge whose first algorithm
// is SHA-256: run it against Algorithms {MD5} or {MD5, SHA-256}.
//
// The authenticated user is the digest username; whether it may use the
// To (REGISTER) or From (proxy) identity is the caller's decision (a 403
// in Kamailio's registrars). ACK and CANCEL cannot be challenged (RFC 3261
// §22.1) and should not be passed to Verify.
package auth
