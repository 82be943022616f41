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

// To parses the To header (RFC 3261 §20.39).
func (m *Msg) To() (NameAddr, error) { return m.single(HdrTo) }

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
	n, err := m.To()
	if err != nil {
		return nil
	}
	return n.Tag()
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
