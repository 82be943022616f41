package dispatcher

import (
	"fmt"
	"strconv"
	"strings"
)

// Algorithm chooses destinations within a set. The hash algorithms differ
// only in the key the caller hashes; Key says which.
type Algorithm uint8

const (
	AlgHashCallID     Algorithm = iota // Kamailio 0: hash of the Call-ID
	AlgHashFromURI                     // Kamailio 1: hash of the From URI
	AlgHashToURI                       // Kamailio 2: hash of the To URI
	AlgHashRURI                        // Kamailio 3: hash of the Request-URI
	AlgHashRURIUser                    // Kamailio 3 with ds_flags 1: hash of the Request-URI user
	AlgRoundRobin                      // Kamailio 4
	AlgRandom                          // Kamailio 6
	AlgPriority                        // Kamailio 8: serial failover by priority
	AlgWeighted                        // Kamailio 9: by the weight attribute
	AlgLeastLoad                       // Kamailio 10: fewest calls in progress, up to maxload
	AlgRelativeWeight                  // Kamailio 11: by rweight, scaled by recent health
	numAlgorithms
)

// KeySource names the part of a request a hash algorithm hashes. The
// caller extracts it, so that this package never parses SIP messages. For
// URIs, hashing "user@host[:port]" rather than the URI as written keeps
// parameters and case out of the key, which is what Kamailio hashes.
type KeySource uint8

const (
	KeyNone     KeySource = iota // the algorithm takes no key
	KeyCallID                    // the Call-ID header value
	KeyFromURI                   // the From header's URI
	KeyToURI                     // the To header's URI
	KeyRURI                      // the Request-URI
	KeyRURIUser                  // the Request-URI's user part
)

type algInfo struct {
	name     string
	kamailio int // -1: no Kamailio number of its own
	key      KeySource
}

var algInfos = [numAlgorithms]algInfo{
	AlgHashCallID:     {"hash-callid", 0, KeyCallID},
	AlgHashFromURI:    {"hash-from-uri", 1, KeyFromURI},
	AlgHashToURI:      {"hash-to-uri", 2, KeyToURI},
	AlgHashRURI:       {"hash-ruri", 3, KeyRURI},
	AlgHashRURIUser:   {"hash-ruri-user", -1, KeyRURIUser},
	AlgRoundRobin:     {"round-robin", 4, KeyNone},
	AlgRandom:         {"random", 6, KeyNone},
	AlgPriority:       {"priority", 8, KeyNone},
	AlgWeighted:       {"weight", 9, KeyNone},
	AlgLeastLoad:      {"least-load", 10, KeyNone},
	AlgRelativeWeight: {"relative-weight", 11, KeyNone},
}

func (a Algorithm) String() string {
	if a < numAlgorithms {
		return algInfos[a].name
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// Kamailio returns the number Kamailio's ds_select_dst takes for a, and
// false for AlgHashRURIUser, which Kamailio gets from algorithm 3 with the
// module's flags parameter set to 1.
func (a Algorithm) Kamailio() (int, bool) {
	if a >= numAlgorithms || algInfos[a].kamailio < 0 {
		return 0, false
	}
	return algInfos[a].kamailio, true
}

// Key says what the caller must pass to Select as the key.
func (a Algorithm) Key() KeySource {
	if a >= numAlgorithms {
		return KeyNone
	}
	return algInfos[a].key
}

func (a Algorithm) hashed() bool { return a.Key() != KeyNone }

// ParseAlgorithm reads an algorithm by name ("round-robin") or by its
// Kamailio number ("4"). Kamailio numbers this package does not implement
// (5, 7, 12, 13, 64) are errors.
func ParseAlgorithm(s string) (Algorithm, error) {
	if n, err := strconv.Atoi(s); err == nil {
		for a, info := range algInfos {
			if info.kamailio == n {
				return Algorithm(a), nil
			}
		}
		return 0, fmt.Errorf("parse algorithm %q: Kamailio algorithm %d is not supported", s, n)
	}
	for a, info := range algInfos {
		if strings.EqualFold(info.name, s) {
			return Algorithm(a), nil
		}
	}
	names := make([]string, len(algInfos))
	for i, info := range algInfos {
		names[i] = info.name
	}
	return 0, fmt.Errorf("parse algorithm %q: want one of %s or a Kamailio number", s, strings.Join(names, ", "))
}
