package store

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"strconv"
	"strings"
)

// RUIDPrefix starts every ruid that sipfleet makes, telling them from
// Kamailio's.
const RUIDPrefix = "sf-"

// RUID is the ruid of a binding: "sf-" and 32 hex digits of a SHA-256 over
// the AoR and the binding's identity. The identity is the RFC 5626
// instance and reg-id when the UA sends both (RFC 5626 §6: a new flow with
// the same instance and reg-id replaces the binding), else the Contact URI,
// which the caller passes in the form it compares contacts in (RFC 3261
// §10.3 step 7). The domain is compared without case, as SIP compares
// hosts. Every node computes the same ruid for the same binding, which is
// what makes concurrent saves of it land on one row.
func RUID(aor AOR, contact, instance string, regID int) string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	field(aor.User)
	field(strings.ToLower(aor.Domain))
	if instance != "" && regID > 0 {
		field("outbound")
		field(instance)
		field(strconv.Itoa(regID))
	} else {
		field("contact")
		field(contact)
	}
	return RUIDPrefix + hex.EncodeToString(h.Sum(nil))[:32]
}

// DefaultPartitions is the number of partitions sipfleet spreads bindings
// over: NAT pingers can split the work into any divisor of it.
const DefaultPartitions = 64

// PartitionOf is the partition of the binding with this ruid among n:
// FNV-1a of the ruid, modulo n. It works for Kamailio's ruids too.
func PartitionOf(ruid string, n int) int {
	if n <= 0 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(ruid))
	return int(h.Sum32() % uint32(n))
}
