package sip

// Typed accessors over the index: each parses its header value only when
// called, into structs that alias the message bytes.

// TopVia parses the first Via value (RFC 3261 §18.2.2: responses are
// routed by it, and §17.2.3 matches transactions on its branch).
func (m *Msg) TopVia() (Via, error) {
	if !m.topViaSet {
		m.topVia, m.topViaErr = m.parseTopVia()
		m.topViaSet = true
	}
	return m.topVia, m.topViaErr
}

func (m *Msg) parseTopVia() (Via, error) {
	v, ok := m.Get(HdrVia)
	if !ok {
		return Via{}, malformed("missing Via")
	}
	elem, _ := NextElem(v)
	return ParseVia(elem)
}

// SecondVia parses the Via value below the top one (the next element of
// the top Via header's list, else the first of the next Via header), for
// a proxy that relays a response by it (RFC 3261 §16.7 step 3) without
// parsing the top Via again; ok is false when the top Via is the only
// one. It fails as Vias would on the same two values: on a top Via that
// does not parse, an empty list element, or a second Via that does not
// parse.
func (m *Msg) SecondVia() (v Via, ok bool, err error) {
	if _, err := m.TopVia(); err != nil {
		return Via{}, false, err
	}
	h := &m.hdrs[m.first[HdrVia]-1]
	_, rest := NextElem(m.buf[h.valStart:h.valEnd])
	if rest == nil {
		i := m.index(HdrVia, 1)
		if i < 0 {
			return Via{}, false, nil
		}
		h = &m.hdrs[i]
		rest = m.buf[h.valStart:h.valEnd]
	}
	elem, _ := NextElem(rest)
	if len(elem) == 0 {
		return Via{}, false, badValue("Via", "empty list element", 0)
	}
	if v, err = ParseVia(elem); err != nil {
		return Via{}, false, err
	}
	return v, true, nil
}

// Vias calls fn for every Via value in order (across repeated headers and
// comma lists) until fn returns false.
func (m *Msg) Vias(fn func(Via) bool) error {
	var err error
	more := true
	m.Values(HdrVia, func(v []byte) bool {
		err = ParseViaList(v, func(via Via) bool {
			more = fn(via)
			return more
		})
		return err == nil && more
	})
	return err
}

// From parses the From header (RFC 3261 §20.20).
func (m *Msg) From() (NameAddr, error) { return m.single(HdrFrom) }

// To parses the To header (RFC 3261 §20.39). Validation parses it, and
// then the roles ask for its tag (ToTag), so what ToTag needs of the parse
// is kept until the next Parse.
func (m *Msg) To() (NameAddr, error) {
	n, err := m.single(HdrTo)
	m.toParams, m.toErr, m.toSet = n.Params, err, true
	return n, err
}

func (m *Msg) single(id HdrID) (NameAddr, error) {
	v, ok := m.Get(id)
	if !ok {
		return NameAddr{}, malformed("missing " + id.String())
	}
	return ParseNameAddr(v)
}

// FromTag returns the From tag, or nil.
func (m *Msg) FromTag() []byte {
	n, err := m.From()
	if err != nil {
		return nil
	}
	return n.Tag()
}

// ToTag returns the To tag, or nil (an initial request has none).
func (m *Msg) ToTag() []byte {
	if !m.toSet {
		_, _ = m.To()
	}
	if m.toErr != nil {
		return nil
	}
	v, _ := m.toParams.Get("tag")
	return v
}

// RequestURI parses the Request-URI.
func (m *Msg) RequestURI() (URI, error) {
	if !m.isReq {
		return URI{}, malformed("not a request")
	}
	return ParseRequestURI(m.RequestURIBytes())
}

// NameAddrs calls fn for every element of the name-addr list headers of
// kind id (Contact, Route, Record-Route, Path), in order, until fn returns
// false.
func (m *Msg) NameAddrs(id HdrID, fn func(NameAddr) bool) error {
	var err error
	more := true
	m.Values(id, func(v []byte) bool {
		err = ParseNameAddrList(v, func(n NameAddr) bool {
			more = fn(n)
			return more
		})
		return err == nil && more
	})
	return err
}

// TopRoute parses the first Route value; ok is false without a Route.
func (m *Msg) TopRoute() (r NameAddr, ok bool, err error) {
	err = m.NameAddrs(HdrRoute, func(n NameAddr) bool {
		r, ok = n, true
		return false
	})
	return r, ok, err
}
