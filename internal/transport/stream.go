package transport

import (
	"errors"
	"os"
	"time"
)

// phase is where a stream is within a message; each has its own read
// deadline, which is what defeats slow-loris peers: once the first byte of a
// message arrived, the header section must follow within HeaderTimeout and
// the body within BodyTimeout, however the bytes trickle in.
type phase uint8

const (
	phaseNone   phase = iota // deadline must be re-armed
	phaseIdle                // between messages
	phaseHeader              // header section started, not complete
	phaseBody                // headers complete, body pending
)

const initialStreamBuf = 4 << 10

// crlf is the pong; read-only (a var only because Write takes a slice).
var crlf = []byte("\r\n")

// streamReader frames and dispatches the messages of one connection. Data
// lives in buf[r:w]; a delivered Packet points into it (see Packet).
type streamReader struct {
	c      *conn
	lim    FrameLimits
	buf    []byte
	r, w   int
	resume int // where the header-end search restarts, relative to r
	need   int // total length of the pending message once known
	phase  phase
	pkt    Packet
}

func newStreamReader(c *conn) *streamReader {
	return &streamReader{
		c:   c,
		lim: c.t.limits,
		pkt: Packet{Listener: c.l, Conn: c.info.ID, Proto: c.info.Proto, Src: c.info.Remote},
	}
}

func (s *streamReader) loop() error {
	for {
		if err := s.drain(); err != nil {
			s.c.l.stats.inc(cFramingErrors)
			return err
		}
		if err := s.fill(); err != nil {
			return err
		}
	}
}

// drain handles every complete frame in the buffer.
func (s *streamReader) drain() error {
	for s.r < s.w {
		if s.need > 0 && s.w-s.r < s.need {
			return nil // body still arriving: no need to re-parse the headers
		}
		f, err := nextFrame(s.buf[s.r:s.w], s.lim, s.resume)
		if err != nil {
			return err
		}
		if f.Kind == FrameNeedMore {
			s.resume, s.need = f.resume, f.Len
			return nil
		}
		s.handle(f)
		s.r += f.Len
		s.resume, s.need = 0, 0
	}
	return nil
}

func (s *streamReader) handle(f Frame) {
	switch f.Kind {
	case FrameMessage:
		s.pkt.Data = s.buf[s.r : s.r+f.Len : s.r+f.Len]
		s.c.t.dispatch(&s.pkt, &s.c.l.stats)
		s.pkt.Data = nil
	case FramePing:
		// RFC 5626 §4.4.1: answer a double CRLF with a single CRLF at once.
		s.c.l.stats.inc(cPingsIn)
		if s.c.write(crlf) == nil {
			s.c.l.stats.inc(cPongsOut)
		}
	}
	s.phase = phaseNone // any frame is activity: restart the idle clock
}

// fill reads more bytes under the deadline of the current phase.
func (s *streamReader) fill() error {
	s.compact()
	if err := s.grow(); err != nil {
		return err
	}
	for {
		if err := s.arm(); err != nil {
			return err
		}
		n, err := s.c.nc.Read(s.buf[s.w:])
		s.w += n
		if n > 0 || err == nil {
			return nil // an error with data comes back on the next read
		}
		if err = s.readErr(err); err != nil {
			return err
		}
	}
}

// compact moves unread bytes to the front and drops a buffer grown for a
// large message once it is empty, so idle connections hold little memory.
func (s *streamReader) compact() {
	if s.r == s.w {
		s.r, s.w = 0, 0
		if len(s.buf) > initialStreamBuf {
			s.buf = nil
		}
		return
	}
	if s.r > 0 {
		s.w = copy(s.buf, s.buf[s.r:s.w])
		s.r = 0
	}
}

func (s *streamReader) grow() error {
	limit := s.lim.MaxHeaderBytes + s.lim.MaxBodyBytes
	want := max(s.need, s.w+1)
	if want <= len(s.buf) {
		return nil
	}
	if want > limit {
		return ErrHeaderTooLarge // unreachable: framing rejects first
	}
	size := max(initialStreamBuf, 2*len(s.buf), want)
	nb := make([]byte, min(size, limit))
	copy(nb, s.buf[:s.w])
	s.buf = nb
	return nil
}

// arm sets the read deadline when the phase changes.
func (s *streamReader) arm() error {
	p := s.currentPhase()
	if p == s.phase {
		return nil
	}
	s.phase = p
	cfg := &s.c.t.cfg
	var d time.Duration
	switch p {
	case phaseIdle:
		d = cfg.IdleTimeout
	case phaseHeader:
		d = cfg.HeaderTimeout
	default:
		d = cfg.BodyTimeout
	}
	return s.c.nc.SetReadDeadline(time.Now().Add(d))
}

// currentPhase: CR/LF bytes between messages do not start a message (a
// pong may sit there alone), so they keep the connection idle.
func (s *streamReader) currentPhase() phase {
	switch {
	case s.r == s.w || s.buf[s.r] == '\r' || s.buf[s.r] == '\n':
		return phaseIdle
	case s.need > 0:
		return phaseBody
	}
	return phaseHeader
}

// readErr maps a read deadline to the reason for it; nil means read again
// (an idle deadline passed but we wrote since, so the flow is not idle).
func (s *streamReader) readErr(err error) error {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	st := &s.c.l.stats
	switch s.phase {
	case phaseIdle:
		return s.idleExpired()
	case phaseHeader:
		st.inc(cReadTimeouts)
		return ErrHeaderTimeout
	}
	st.inc(cReadTimeouts)
	return ErrBodyTimeout
}

func (s *streamReader) idleExpired() error {
	until := time.Unix(0, s.c.lastWrite.Load()).Add(s.c.t.cfg.IdleTimeout)
	if time.Now().Before(until) {
		return s.c.nc.SetReadDeadline(until)
	}
	s.c.l.stats.inc(cIdleTimeouts)
	return ErrIdleTimeout
}
