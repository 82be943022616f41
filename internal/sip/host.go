package sip

import "bytes"

// ParseHostPort parses host [ ":" port ] as in a SIP URI (RFC 3261
// §25.1): host is a hostname, an IPv4 address or an IPv6 reference, which
// keeps its brackets. An IPv6 address needs the brackets (RFC 5118 §4.2),
// and a port can only follow the ']': "[2001:db8::10:5070]" is one
// address, not a host and port 5070 (RFC 5118 §4.3). port is 0 if absent.
func ParseHostPort(b []byte) (host []byte, port int, err error) {
	i := hostLen(b)
	if host = b[:i]; !validHost(host) {
		return nil, 0, badValue("hostport", hostportReason(b, "bad host"), 0)
	}
	if i == len(b) {
		return host, 0, nil
	}
	if b[i] != ':' {
		return nil, 0, badValue("hostport", "bad character", i)
	}
	if port = parsePort(b[i+1:]); port == 0 {
		return nil, 0, badValue("hostport", hostportReason(b, "bad port"), i+1)
	}
	return host, port, nil
}

// hostLen returns the length of the host at the start of b: through the
// ']' of an IPv6 reference, else the run of hostname characters.
func hostLen(b []byte) int {
	if len(b) > 0 && b[0] == '[' {
		if j := bytes.IndexByte(b, ']'); j >= 0 {
			return j + 1
		}
		return len(b)
	}
	i := 0
	for i < len(b) && uriClass[b[i]]&uHost != 0 {
		i++
	}
	return i
}

// validHost checks host = hostname / IPv4address / IPv6reference.
func validHost(h []byte) bool {
	if len(h) > 0 && h[0] == '[' {
		return validIPv6Ref(h)
	}
	return validIPv4(h) || validHostname(h)
}

// validHostname checks hostname = *( domainlabel "." ) toplabel [ "." ]
// (RFC 3261 §25.1). The toplabel starts with a letter, which is what tells
// a hostname from a malformed IPv4 address.
func validHostname(h []byte) bool {
	if n := len(h); n > 0 && h[n-1] == '.' {
		h = h[:n-1]
	}
	start := 0 // of the current label
	for i := 0; i <= len(h); i++ {
		if i < len(h) && h[i] != '.' {
			// '_' is outside RFC 3261 §25.1 but common in service and
			// container names, and Kamailio accepts it.
			if c := h[i]; !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' {
				return false
			}
			continue
		}
		// A label is alphanum / alphanum *( alphanum / "-" ) alphanum.
		if i == start || h[start] == '-' || h[i-1] == '-' {
			return false
		}
		if i == len(h) {
			return isAlpha(h[start])
		}
		start = i + 1
	}
	return false
}

// validIPv4 checks a dotted quad of 1-3 digit numbers no larger than 255.
func validIPv4(b []byte) bool {
	for part := 0; part < 4; part++ {
		n, i := 0, 0
		for i < len(b) && i < 4 && isDigit(b[i]) {
			n = n*10 + int(b[i]-'0')
			i++
		}
		if i == 0 || i > 3 || n > 255 {
			return false
		}
		b = b[i:]
		if part < 3 {
			if len(b) == 0 || b[0] != '.' {
				return false
			}
			b = b[1:]
		}
	}
	return len(b) == 0
}

// validIPv6Ref checks IPv6reference = "[" IPv6address "]".
func validIPv6Ref(b []byte) bool {
	return len(b) > 2 && b[0] == '[' && b[len(b)-1] == ']' && validIPv6(b[1:len(b)-1])
}

// validIPv6 checks an IPv6 address: eight hex4 groups, or fewer with one
// "::", the last two groups possibly written as an IPv4 address. It takes
// RFC 4291 §2.2 over the RFC 3261 ABNF, whose hexpart wrongly admits
// ":::" (RFC 5118 §4.10).
func validIPv6(b []byte) bool {
	groups, double, i := 0, false, 0
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		double, i = true, 2
	}
	for i < len(b) {
		j := i
		for j < len(b) && j-i < 5 && isHex(b[j]) {
			j++
		}
		if j < len(b) && b[j] == '.' {
			if !validIPv4(b[i:]) {
				return false
			}
			groups += 2
			break
		}
		if j == i || j-i > 4 {
			return false
		}
		groups++
		if i = j; i == len(b) {
			break
		}
		if b[i] != ':' || i+1 == len(b) {
			return false
		}
		if i++; b[i] == ':' {
			if double {
				return false
			}
			double = true
			i++
		}
	}
	if double {
		return groups <= 7
	}
	return groups == 8
}

// hostportReason explains a bad host or port; two ':' before any
// parameter mean an IPv6 address written without its mandatory brackets
// (RFC 5118 §4.2).
func hostportReason(hostport []byte, reason string) string {
	if i := bytes.IndexAny(hostport, ";?"); i >= 0 {
		hostport = hostport[:i]
	}
	if len(hostport) > 0 && hostport[0] != '[' && bytes.Count(hostport, []byte(":")) > 1 {
		return "IPv6 address without brackets"
	}
	return reason
}

// parsePort returns the port 1..65535 written in b, or 0 if b is not one.
func parsePort(b []byte) int {
	n, ok := atoiBytes(b)
	if !ok || n == 0 || n > 65535 {
		return 0
	}
	return int(n)
}
