package dispatcher

import (
	"strconv"
	"strings"
)

// Attrs are a destination's attributes: Kamailio's ';'-separated
// key=value list ("duid=gw1;weight=50;socket=udp:10.0.0.1:5060"). Keys
// are matched case-insensitively, as Kamailio does. The ones this package
// or the LB uses are parsed; the others are kept, in order, in Extra.
type Attrs struct {
	Raw      string // as written
	DUID     string // destination unique id: the destination's identity when set
	Weight   int    // 1..100 for the weighted algorithm; 0 when absent
	RWeight  int    // 1..100 for the relative-weight algorithm; 0 when absent
	MaxLoad  int    // calls in progress the least-load algorithm allows; 0 = no limit
	Socket   string // local socket to send from, "[proto:]host[:port]"
	PingFrom string // From URI for probes
	Extra    []Attr // every other attribute, as written
}

// Attr is one attribute kept as written.
type Attr struct{ Key, Value string }

// Get returns the value of the attribute called key, known or not.
func (a *Attrs) Get(key string) (string, bool) {
	for _, kv := range splitAttrs(a.Raw) {
		if strings.EqualFold(kv.Key, key) {
			return kv.Value, true
		}
	}
	return "", false
}

// splitAttrs cuts raw into key=value pairs, dropping one trailing ';' as
// Kamailio does. Empty elements come back with an empty key.
func splitAttrs(raw string) []Attr {
	raw = strings.TrimSuffix(raw, ";")
	if raw == "" {
		return nil
	}
	parts := strings.Split(raw, ";")
	out := make([]Attr, len(parts))
	for i, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		out[i] = Attr{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v)}
	}
	return out
}

// attrProblem is one bad attribute; field names it for the error.
type attrProblem struct{ field, msg string }

// parseAttrs fills a from a.Raw and reports every bad attribute.
func parseAttrs(a *Attrs) []attrProblem {
	var bad []attrProblem
	seen := map[string]bool{}
	for _, kv := range splitAttrs(a.Raw) {
		key := strings.ToLower(kv.Key)
		if key == "" {
			bad = append(bad, attrProblem{"attrs", "empty attribute in " + strconv.Quote(a.Raw)})
			continue
		}
		if seen[key] {
			bad = append(bad, attrProblem{"attrs." + key, "given twice"})
			continue
		}
		seen[key] = true
		if msg := a.set(key, kv); msg != "" {
			bad = append(bad, attrProblem{"attrs." + key, msg})
		}
	}
	return bad
}

// set stores one attribute and says what is wrong with it, if anything.
func (a *Attrs) set(key string, kv Attr) string {
	switch key {
	case "duid":
		a.DUID = kv.Value
		return nonEmpty(kv.Value)
	case "weight":
		return percent(kv.Value, &a.Weight)
	case "rweight":
		return percent(kv.Value, &a.RWeight)
	case "maxload":
		n, err := strconv.ParseUint(kv.Value, 10, 31)
		if err != nil {
			return "want a non-negative integer, got " + strconv.Quote(kv.Value)
		}
		a.MaxLoad = int(n)
	case "socket":
		a.Socket = kv.Value
		return checkSocket(kv.Value)
	case "ping_from":
		a.PingFrom = kv.Value
		return checkSIPURI(kv.Value)
	default:
		a.Extra = append(a.Extra, kv)
	}
	return ""
}

func nonEmpty(v string) string {
	if v == "" {
		return "empty value"
	}
	return ""
}

// percent parses a weight: Kamailio takes 1 to 100 and ignores the
// destination's weight otherwise; here that is an error, so the operator
// learns of it before traffic does.
func percent(v string, dst *int) string {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return "want an integer from 1 to 100, got " + strconv.Quote(v)
	}
	*dst = n
	return ""
}
