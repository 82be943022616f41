package transport

import "bytes"

// contentLength finds the body length of a complete header section h
// (RFC 3261 §18.3, §20.14). Header names are case-insensitive and "l" is the
// compact form (§7.3.3); whitespace may precede the colon and a value may be
// folded onto continuation lines (§7.3.1). A stream message without
// Content-Length, with a non-numeric or negative value, or with two
// different values cannot be framed.
func contentLength(h []byte, maxBody int) (int, error) {
	s := clScan{max: maxBody}
	rest := h[lineLen(h):] // the start line never carries a header
	for len(rest) > 0 {
		n := lineLen(rest)
		line := trimEOL(rest[:n])
		rest = rest[n:]
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			s.fold(line)
			continue
		}
		if err := s.finish(); err != nil {
			return 0, err
		}
		s.start(line)
	}
	if err := s.finish(); err != nil {
		return 0, err
	}
	return s.result()
}

// clScan accumulates Content-Length headers across the header section.
type clScan struct {
	max   int
	in    bool // the current header is a Content-Length
	cur   clValue
	found bool
	val   int
}

func (s *clScan) start(line []byte) {
	if c := line[0] | 0x20; c != 'c' && c != 'l' {
		s.in = false // cheap reject: most headers are not Content-Length
		return
	}
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		s.in = false // not a header: the parser's problem, not framing's
		return
	}
	s.in = isContentLength(trimWSP(line[:i]))
	if s.in {
		s.cur = clValue{max: s.max}
		s.cur.feed(line[i+1:])
	}
}

func (s *clScan) fold(line []byte) {
	if s.in {
		s.cur.feed(line)
	}
}

// finish closes the current header; duplicates must agree.
func (s *clScan) finish() error {
	if !s.in {
		return nil
	}
	s.in = false
	v, err := s.cur.value()
	if err != nil {
		return err
	}
	if s.found && v != s.val {
		return ErrBadContentLength
	}
	s.found, s.val = true, v
	return nil
}

func (s *clScan) result() (int, error) {
	switch {
	case !s.found:
		return 0, ErrNoContentLength
	case s.val > s.max:
		return 0, ErrBodyTooLarge
	}
	return s.val, nil
}

// clValue parses 1*DIGIT surrounded by whitespace, fed in pieces because
// of folding. Values above max are clamped to max+1 so they cannot overflow.
type clValue struct {
	max    int
	v      int
	digits bool
	after  bool // whitespace seen after the digits
	bad    bool
}

func (c *clValue) feed(b []byte) {
	for _, ch := range b {
		c.feedByte(ch)
	}
}

func (c *clValue) feedByte(ch byte) {
	switch {
	case ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n':
		c.after = c.digits
	case ch >= '0' && ch <= '9' && !c.after:
		c.digits = true
		c.v = min(c.v*10+int(ch-'0'), c.max+1)
	default:
		c.bad = true
	}
}

func (c *clValue) value() (int, error) {
	if c.bad || !c.digits {
		return 0, ErrBadContentLength
	}
	return c.v, nil
}

func isContentLength(name []byte) bool {
	switch len(name) {
	case 1:
		return name[0]|0x20 == 'l'
	case len("content-length"):
		return asciiEqualFold(name, "content-length")
	}
	return false
}

// asciiEqualFold compares against a lower-case ASCII string. Unlike
// bytes.EqualFold it does not fold Unicode (no Kelvin sign for 'k').
func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			ch |= 0x20
		}
		if ch != lower[i] {
			return false
		}
	}
	return true
}

// lineLen is the length of the first line of b including its '\n'.
func lineLen(b []byte) int {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return i + 1
	}
	return len(b)
}

func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

func trimWSP(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
