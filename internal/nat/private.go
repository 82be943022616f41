package nat

import "net/netip"

// privatePrefixes are the ranges a NAT hides: RFC 1918, RFC 6598 (carrier
// grade NAT), and IPv6 unique local addresses (RFC 4193).
var privatePrefixes = [...]netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("fc00::/7"),
}

// IsPrivate reports whether a is in a range behind which a NAT is likely.
func IsPrivate(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range privatePrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
