package store

import (
	"strings"
	"time"
)

// AOR is an address-of-record: the username and domain columns of
// location and subscriber. Domain is "" when the registrar is not
// multi-domain; such bindings are stored with a NULL domain, as Kamailio's
// usrloc does with use_domain=0.
type AOR struct{ User, Domain string }

// String gives "user@domain", or "user" when Domain is empty.
func (a AOR) String() string {
	if a.Domain == "" {
		return a.User
	}
	return a.User + "@" + a.Domain
}

// ParseAOR reads "user@domain", "sip:user@domain" or "user". The last @
// splits user and domain, so a user part may hold an @.
func ParseAOR(s string) AOR {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "sip:"), "sips:")
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		return AOR{User: s[:i], Domain: s[i+1:]}
	}
	return AOR{User: s}
}

// QUnset is Binding.Q when the Contact had no q parameter; it is the -1
// that Kamailio writes for an unspecified q.
const QUnset = -1

// Binding is one row of the location table: one contact bound to an AoR.
type Binding struct {
	// ID is the row's id, 0 for a binding not yet stored. Update refreshes
	// a binding with an ID by an UPDATE of its ruid, which spends no id
	// from the table's counter; see Location.Update.
	ID int64
	// RUID identifies the binding across nodes; RUID computes it for
	// bindings sipfleet creates.
	RUID string
	AOR  AOR
	// Contact is the bound URI as the UA sent it.
	Contact string
	// Received is the UA's real source as a SIP URI, when it is NATed;
	// Path is the Path header values, comma-separated, as Kamailio stores
	// them.
	Received, Path string
	// Expires is when the binding lapses, UTC, whole seconds; the zero
	// time means never (Kamailio's expires 0).
	Expires time.Time
	// Q is the contact's q value, 0 to 1 in steps of 0.01 as the MySQL
	// column holds it, or QUnset.
	Q            float64
	CallID       string
	CSeq         int
	LastModified time.Time
	// Flags and CFlags are Kamailio's branch and contact flags.
	Flags, CFlags int
	UserAgent     string
	// Socket is the local socket the REGISTER came in on, as
	// "proto:host:port".
	Socket string
	// Methods is the bitmask of methods the UA accepts; 0 means not known
	// and is stored as NULL, which Kamailio reads as all methods.
	Methods int
	// Instance and RegID are the RFC 5626 +sip.instance and reg-id.
	Instance string
	RegID    int
	// ServerID is the node that saved the binding last; Update fills in
	// the store's own when it is 0. ConnectionID is that node's TCP or
	// TLS connection to the UA, if any.
	ServerID     int
	ConnectionID int
	// Keepalive marks a NATed binding that the NAT pinger keeps open.
	Keepalive bool
	// Partition splits the bindings among NAT pingers; PartitionOf
	// computes it from the ruid.
	Partition int
}

// Permanent reports whether the binding never expires.
func (b Binding) Permanent() bool { return b.Expires.IsZero() }

// Live reports whether the binding is in force at now.
func (b Binding) Live(now time.Time) bool {
	return b.Permanent() || b.Expires.After(now)
}
