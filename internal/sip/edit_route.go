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

// PopLastRoute removes the last Route value, as RFC 3261 §16.4 asks of a
// proxy that finds its own Record-Route URI in the Request-URI (the
// previous hop was a strict router), and returns it. It reports false
// without a Route. Like every edit it is positioned on the message as
// parsed, so it must not be combined with a PopRoutes that reaches the
// same value.
func (e *Editor) PopLastRoute() ([]byte, bool) {
	i := e.m.index(HdrRoute, e.m.Count(HdrRoute)-1)
	if i < 0 {
		return nil, false
	}
	h := &e.m.hdrs[i]
	v := e.m.buf[h.valStart:h.valEnd]
	var elems [][2]int32 // start, end of each element in v
	for rest := v; rest != nil; {
		var elem []byte
		elem, rest = NextElem(rest)
		if len(elem) > 0 {
			s := int32(cap(v) - cap(elem))
			elems = append(elems, [2]int32{s, s + int32(len(elem))})
		}
	}
	if len(elems) == 0 {
		return nil, false
	}
	last := elems[len(elems)-1]
	val := v[last[0]:last[1]]
	if len(elems) == 1 {
		e.RemoveHeader(i)
	} else {
		keep := v[:elems[len(elems)-2][1]]
		e.ReplaceValue(i, keep)
	}
	return val, true
}
