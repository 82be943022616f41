package sip

// PopRoute removes the first Route value (RFC 3261 §16.4, §16.12: a
// loose router removes its own entry). It reports whether there was one.
func (e *Editor) PopRoute() bool { return e.PopRoutes(1) == 1 }

// PopRoutes removes the first n Route values, across comma lists and
// repeated Route headers, and returns how many it removed. A header whose
// values are all removed goes; one that keeps some keeps them as written.
// Use it once per Editor: like every edit it is positioned on the message
// as parsed.
func (e *Editor) PopRoutes(n int) int { return e.popList(HdrRoute, n) }

// PopVia removes the top Via value, as a proxy does to a response before
// relaying it (RFC 3261 §16.7 step 3). It reports whether there was one.
func (e *Editor) PopVia() bool { return e.popList(HdrVia, 1) == 1 }

// popList removes the first n values of the comma-list headers of kind id.
func (e *Editor) popList(id HdrID, n int) int {
	removed := 0
	for i := 0; removed < n && i < len(e.m.hdrs); i++ {
		h := &e.m.hdrs[i]
		if h.id != id {
			continue
		}
		rest := e.m.buf[h.valStart:h.valEnd]
		for removed < n && rest != nil {
			var elem []byte
			elem, rest = NextElem(rest)
			if len(elem) > 0 {
				removed++
			}
		}
		if rest = trimLWS(rest); len(rest) == 0 {
			e.RemoveHeader(i)
		} else {
			e.ReplaceValue(i, rest)
		}
	}
	return removed
}
