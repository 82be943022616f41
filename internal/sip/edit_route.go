package sip

// PopRoute removes the first Route value (RFC 3261 §16.4, §16.12: a
// loose router removes its own entry). When the first Route header holds
// several comma-separated values only the first is removed and the rest of
// the header stays as written. It reports whether there was a Route.
func (e *Editor) PopRoute() bool {
	i := e.m.index(HdrRoute, 0)
	if i < 0 {
		return false
	}
	h := &e.m.hdrs[i]
	_, rest := NextElem(e.m.buf[h.valStart:h.valEnd])
	if rest = trimLWS(rest); len(rest) == 0 {
		e.RemoveHeader(i)
	} else {
		e.ReplaceValue(i, rest)
	}
	return true
}
