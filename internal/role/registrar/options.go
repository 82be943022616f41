package registrar

import "time"

// PathMode is the registrar's path_mode (Kamailio's names).
type PathMode uint8

// The path modes of RFC 3327 handling.
const (
	PathStoreOnly  PathMode = iota // 0: store Path, never echo it
	PathEchoIfSupp                 // 1: echo Path in the 200 if the UA supports path
	PathRequire                    // 2: reject with 420 if the UA does not support path
)

// MaxContactsPolicy says what happens when an AoR would exceed MaxContacts.
type MaxContactsPolicy uint8

// The policies.
const (
	ReplaceOldest MaxContactsPolicy = iota
	Reject503
)

// Rules are the registrar's protocol settings.
type Rules struct {
	Domains         []string // domains the registrar serves (lower case); empty: any
	UseDomain       bool     // store the AoR's domain (Kamailio's use_domain=1)
	DefaultExpires  time.Duration
	MinExpires      time.Duration
	MaxExpires      time.Duration
	MaxContacts     int // 0: unlimited
	OnMaxContacts   MaxContactsPolicy
	UsePath         bool
	PathMode        PathMode
	PathUseReceived bool
	ServerID        int
	Partitions      int // NAT pinger partitions (partition = hash(ruid) mod Partitions); 0: 64
}

// DefaultRules are Kamailio's registrar defaults with the seed's Path
// settings (use_path=1, path_mode=0, path_use_received=1).
func DefaultRules() Rules {
	return Rules{
		DefaultExpires: 3600 * time.Second, MinExpires: 60 * time.Second, MaxExpires: 86400 * time.Second,
		UseDomain: true, UsePath: true, PathMode: PathStoreOnly, PathUseReceived: true, Partitions: 64,
	}
}
