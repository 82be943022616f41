package transport

import "bytes"

// Stream framing, RFC 3261 §18.3: on TCP and TLS a message ends after its
// header section plus Content-Length bytes of body. This file knows only as
// much SIP as that takes; it must not depend on the full parser.

// FrameKind says what NextFrame found at the start of a stream buffer.
type FrameKind uint8

const (
	// FrameNeedMore: the buffer holds only the start of something; read more.
	FrameNeedMore FrameKind = iota
	// FrameMessage: one whole SIP message of Frame.Len bytes.
	FrameMessage
	// FramePing: a CRLFCRLF keep-alive that must be answered with a CRLF
	// (RFC 5626 §4.4.1).
	FramePing
	// FrameSkip: CR/LF bytes between messages, to be ignored: leading CRLFs
	// (RFC 3261 §7.5) or a CRLF pong (RFC 5626 §4.4.1).
	FrameSkip
)

var frameKindNames = [...]string{"need-more", "message", "ping", "skip"}

func (k FrameKind) String() string {
	if int(k) < len(frameKindNames) {
		return frameKindNames[k]
	}
	return "unknown"
}

// FrameLimits bounds one stream message.
type FrameLimits struct {
	MaxHeaderBytes int // start line + headers + blank line
	MaxBodyBytes   int
}

// Frame is the result of NextFrame.
type Frame struct {
	Kind FrameKind
	// Len is the number of bytes to consume for a message, ping or skip. For
	// FrameNeedMore it is the message's total length once the header section
	// is complete (so the caller can size its buffer), else 0.
	Len int
	// HeaderLen is the length of the header section including the blank
	// line, 0 until it is complete.
	HeaderLen int
	// BodyLen is the Content-Length value once the header section is complete.
	BodyLen int

	// resume is where the next search for the end of the header section may
	// start when more bytes are appended (avoids rescanning on trickled input).
	resume int
}

// ping is the RFC 5626 §4.4.1 keep-alive request.
const ping = "\r\n\r\n"

// NextFrame frames the message at the start of b. It returns an error when
// the stream cannot be framed; the connection must then be closed, because
// the position of the next message is unknown.
func NextFrame(b []byte, lim FrameLimits) (Frame, error) {
	return nextFrame(b, lim, 0)
}

// nextFrame is NextFrame with a hint: the header terminator is known not to
// start before from (a previous call's resume on a prefix of b).
func nextFrame(b []byte, lim FrameLimits, from int) (Frame, error) {
	if len(b) == 0 {
		return Frame{}, nil
	}
	if b[0] == '\r' || b[0] == '\n' {
		return frameCRLF(b), nil
	}
	return frameMessage(b, lim, from)
}

// frameCRLF handles CR/LF bytes between messages: CRLFCRLF is a ping, a
// shorter prefix of it waits for more bytes (a ping may arrive split), and
// anything else is skipped.
func frameCRLF(b []byte) Frame {
	if len(b) >= len(ping) && string(b[:len(ping)]) == ping {
		return Frame{Kind: FramePing, Len: len(ping)}
	}
	if len(b) < len(ping) && string(b) == ping[:len(b)] {
		return Frame{Kind: FrameNeedMore}
	}
	if len(b) >= 2 && b[0] == '\r' && b[1] == '\n' {
		return Frame{Kind: FrameSkip, Len: 2}
	}
	return Frame{Kind: FrameSkip, Len: 1}
}

func frameMessage(b []byte, lim FrameLimits, from int) (Frame, error) {
	end, resume := headerEnd(b, from)
	if end < 0 {
		if len(b) >= lim.MaxHeaderBytes {
			return Frame{}, ErrHeaderTooLarge
		}
		return Frame{Kind: FrameNeedMore, resume: resume}, nil
	}
	if end > lim.MaxHeaderBytes {
		return Frame{}, ErrHeaderTooLarge
	}
	clen, err := contentLength(b[:end], lim.MaxBodyBytes)
	if err != nil {
		return Frame{}, err
	}
	f := Frame{Kind: FrameMessage, Len: end + clen, HeaderLen: end, BodyLen: clen, resume: resume}
	if len(b) < f.Len {
		f.Kind = FrameNeedMore
	}
	return f, nil
}

// headerEnd returns the index just past the empty line that ends the header
// section, or -1 and the index from which to resume the search once more
// bytes arrive. Bare LF line ends are tolerated (RFC 3261 §7.5 asks for CRLF,
// but robustness costs nothing here).
func headerEnd(b []byte, from int) (end, resume int) {
	for i := from; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1, len(b)
		}
		i += j
		switch {
		case i+1 >= len(b):
			return -1, i
		case b[i+1] == '\n':
			return i + 2, i
		case b[i+1] != '\r':
			continue
		case i+2 >= len(b):
			return -1, i
		case b[i+2] == '\n':
			return i + 3, i
		}
	}
	return -1, len(b)
}
