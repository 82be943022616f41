package transport

import (
	"errors"
	"strings"
	"testing"
)

var testLimits = FrameLimits{MaxHeaderBytes: 256, MaxBodyBytes: 64}

const startLine = "OPTIONS sip:a@example.com SIP/2.0\r\n"

func TestNextFrame(t *testing.T) {
	withBody := startLine + "Content-Length: 5\r\n\r\nhello"
	tests := []struct {
		name    string
		in      string
		want    Frame // resume is ignored
		wantErr error
	}{
		{name: "empty", in: "", want: Frame{Kind: FrameNeedMore}},
		{name: "no body", in: startLine + "Content-Length: 0\r\n\r\n",
			want: msgFrame(len(startLine)+21, 0)},
		{name: "body", in: withBody, want: msgFrame(len(startLine)+21, 5)},
		{name: "next message follows", in: withBody + "INVITE", want: msgFrame(len(startLine)+21, 5)},
		{name: "body incomplete", in: withBody[:len(withBody)-2],
			want: Frame{Kind: FrameNeedMore, Len: len(withBody), HeaderLen: len(startLine) + 21, BodyLen: 5}},
		{name: "headers incomplete", in: startLine + "Content-Le", want: Frame{Kind: FrameNeedMore}},
		{name: "terminator incomplete", in: startLine + "l: 0\r\n\r", want: Frame{Kind: FrameNeedMore}},
		{name: "compact form", in: startLine + "l: 5\r\n\r\nhello", want: msgFrame(len(startLine)+8, 5)},
		{name: "compact upper case", in: startLine + "L:5\r\n\r\nhello", want: msgFrame(len(startLine)+7, 5)},
		{name: "name case-insensitive", in: startLine + "CONTENT-length: 5\r\n\r\nhello", want: msgFrame(len(startLine)+21, 5)},
		{name: "whitespace before colon", in: startLine + "Content-Length \t: 5\r\n\r\nhello", want: msgFrame(len(startLine)+23, 5)},
		{name: "no whitespace", in: startLine + "Content-Length:5\r\n\r\nhello", want: msgFrame(len(startLine)+20, 5)},
		{name: "trailing whitespace", in: startLine + "l: 5 \t\r\n\r\nhello", want: msgFrame(len(startLine)+10, 5)},
		{name: "folded value", in: startLine + "Content-Length:\r\n  5\r\n\r\nhello", want: msgFrame(len(startLine)+24, 5)},
		{name: "bare LF", in: "OPTIONS sip:a SIP/2.0\nl: 5\n\nhello", want: msgFrame(28, 5)},
		{name: "LF then CRLF", in: "OPTIONS sip:a SIP/2.0\nl: 5\n\r\nhello", want: msgFrame(29, 5)},
		{name: "leading zeros", in: startLine + "l: 005\r\n\r\nhello", want: msgFrame(len(startLine)+10, 5)},
		{name: "duplicate equal", in: startLine + "l: 5\r\nContent-Length: 5\r\n\r\nhello", want: msgFrame(len(startLine)+27, 5)},
		{name: "start line is not a header", in: "l: 5 sip:a SIP/2.0\r\nl: 0\r\n\r\n", want: msgFrame(28, 0)},
		{name: "lookalike names ignored", in: startLine + "Content-Lengths: 5\r\nXl: 5\r\nl: 0\r\n\r\n", want: msgFrame(len(startLine)+35, 0)},
		{name: "line without colon ignored", in: startLine + "garbage\r\nl: 0\r\n\r\n", want: msgFrame(len(startLine)+17, 0)},
		{name: "header section at the limit", in: startLine + "l: 0\r\nX: " + strings.Repeat("a", 256-len(startLine)-13) + "\r\n\r\n",
			want: msgFrame(256, 0)},

		{name: "ping", in: "\r\n\r\n", want: Frame{Kind: FramePing, Len: 4}},
		{name: "ping before message", in: "\r\n\r\nOPTIONS", want: Frame{Kind: FramePing, Len: 4}},
		{name: "ping and more CRLF", in: "\r\n\r\n\r\n", want: Frame{Kind: FramePing, Len: 4}},
		{name: "pong before message", in: "\r\nOPTIONS", want: Frame{Kind: FrameSkip, Len: 2}},
		{name: "lone CRLF waits", in: "\r\n", want: Frame{Kind: FrameNeedMore}},
		{name: "lone CR waits", in: "\r", want: Frame{Kind: FrameNeedMore}},
		{name: "CRLF CR waits", in: "\r\n\r", want: Frame{Kind: FrameNeedMore}},
		{name: "bare LF skipped", in: "\nOPTIONS", want: Frame{Kind: FrameSkip, Len: 1}},
		{name: "CR CR skipped", in: "\r\r", want: Frame{Kind: FrameSkip, Len: 1}},

		{name: "missing content-length", in: startLine + "Via: x\r\n\r\n", wantErr: ErrNoContentLength},
		{name: "negative", in: startLine + "l: -1\r\n\r\n", wantErr: ErrBadContentLength},
		{name: "non-numeric", in: startLine + "Content-Length: abc\r\n\r\n", wantErr: ErrBadContentLength},
		{name: "plus sign", in: startLine + "l: +5\r\n\r\n", wantErr: ErrBadContentLength},
		{name: "empty value", in: startLine + "l: \r\n\r\n", wantErr: ErrBadContentLength},
		{name: "two numbers", in: startLine + "l: 1 2\r\n\r\n", wantErr: ErrBadContentLength},
		{name: "list", in: startLine + "l: 5, 5\r\n\r\n", wantErr: ErrBadContentLength},
		{name: "duplicate conflicting", in: startLine + "l: 5\r\nContent-Length: 6\r\n\r\nhello!", wantErr: ErrBadContentLength},
		{name: "body too large", in: startLine + "l: 65\r\n\r\n", wantErr: ErrBodyTooLarge},
		{name: "huge value", in: startLine + "l: 99999999999999999999999999\r\n\r\n", wantErr: ErrBodyTooLarge},
		{name: "header too large, no end", in: startLine + "X: " + strings.Repeat("a", 300), wantErr: ErrHeaderTooLarge},
		{name: "header too large, ended", in: startLine + "l: 0\r\nX: " + strings.Repeat("a", 300) + "\r\n\r\n", wantErr: ErrHeaderTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NextFrame([]byte(tt.in), testLimits)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			got.resume = 0
			if err == nil && got != tt.want {
				t.Errorf("frame = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func msgFrame(header, body int) Frame {
	return Frame{Kind: FrameMessage, Len: header + body, HeaderLen: header, BodyLen: body}
}

func TestNextFrameTestdata(t *testing.T) {
	lim := FrameLimits{MaxHeaderBytes: 4096, MaxBodyBytes: 4096}
	for _, name := range []string{"invite.sip", "folded-lf.sip"} {
		t.Run(name, func(t *testing.T) {
			b := readFile(t, name)
			f, err := NextFrame(b, lim)
			if err != nil || f.Kind != FrameMessage || f.Len != len(b) {
				t.Fatalf("frame = %+v, %v; want the whole %d-byte file", f, err, len(b))
			}
		})
	}
}

// TestNextFrameIncremental feeds streams one byte at a time, resuming the
// header search as the connection reader does, and checks that the frames
// match framing the whole buffer at once.
func TestNextFrameIncremental(t *testing.T) {
	streams := []string{
		startLine + "Content-Length: 5\r\n\r\nhello",
		"\r\n\r\n" + startLine + "l: 0\r\n\r\n\r\n" + startLine + "l:\r\n 2\r\n\r\nhi",
		"OPTIONS sip:a SIP/2.0\nl: 1\n\nx\r\n\r\n\r\nOPTIONS sip:b SIP/2.0\r\nl: 0\n\r\n",
		string(readFile(t, "invite.sip")) + string(readFile(t, "folded-lf.sip")),
	}
	lim := FrameLimits{MaxHeaderBytes: 4096, MaxBodyBytes: 4096}
	for i, s := range streams {
		whole := frameAll(t, []byte(s), lim)
		trickled := frameTrickled(t, []byte(s), lim)
		if len(whole) != len(trickled) {
			t.Fatalf("stream %d: %d frames whole, %d trickled", i, len(whole), len(trickled))
		}
		for j := range whole {
			if whole[j] != trickled[j] {
				t.Errorf("stream %d frame %d: whole %+v, trickled %+v", i, j, whole[j], trickled[j])
			}
		}
	}
}

// frameAll frames a complete stream; it must consume every byte.
func frameAll(t *testing.T, b []byte, lim FrameLimits) []Frame {
	var out []Frame
	for len(b) > 0 {
		f, err := NextFrame(b, lim)
		if err != nil || f.Kind == FrameNeedMore {
			t.Fatalf("frame %d: %+v, %v", len(out), f, err)
		}
		f.resume = 0
		out = append(out, f)
		b = b[f.Len:]
	}
	return out
}

func frameTrickled(t *testing.T, b []byte, lim FrameLimits) []Frame {
	var out []Frame
	start, resume := 0, 0
	for end := 1; end <= len(b); end++ {
		for start < end {
			f, err := nextFrame(b[start:end], lim, resume)
			if err != nil {
				t.Fatalf("at %d: %v", end, err)
			}
			if f.Kind == FrameNeedMore {
				resume = f.resume
				break
			}
			f.resume = 0
			out = append(out, f)
			start += f.Len
			resume = 0
		}
	}
	return out
}

// FuzzFrame checks invariants on any input: no panic; a frame never claims
// more bytes than it was given or than the limits allow; a message or ping
// frames the same from exactly its own bytes (a skip may not: whether a CR is
// skipped depends on the byte after it); and the answer is the same when the
// bytes arrive one at a time with the resume hint.
func FuzzFrame(f *testing.F) {
	for _, s := range []string{
		"", "\r\n\r\n", "\r\n", "\n\n", startLine + "l: 5\r\n\r\nhello",
		startLine + "Content-Length:\r\n 1\r\n\r\nx", "A\nl:0\n\n", startLine + "l: 1\r\nl: 2\r\n\r\n",
		startLine + "l: -1\r\n\r\n", "X\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	lim := FrameLimits{MaxHeaderBytes: 512, MaxBodyBytes: 512}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := NextFrame(b, lim)
		if err != nil {
			return
		}
		checkFrame(t, b, fr, lim)
		if fr.Kind == FrameMessage || fr.Kind == FramePing {
			again, err := NextFrame(b[:fr.Len], lim)
			again.resume, fr.resume = 0, 0
			if err != nil || again != fr {
				t.Fatalf("not prefix-stable: %+v vs %+v, %v", fr, again, err)
			}
		}
		checkTrickle(t, b, fr, lim)
	})
}

func checkFrame(t *testing.T, b []byte, fr Frame, lim FrameLimits) {
	switch fr.Kind {
	case FrameMessage:
		if fr.Len > len(b) || fr.Len != fr.HeaderLen+fr.BodyLen || fr.HeaderLen > lim.MaxHeaderBytes ||
			fr.BodyLen > lim.MaxBodyBytes || fr.HeaderLen < 2 {
			t.Fatalf("bad message frame %+v for %d bytes", fr, len(b))
		}
	case FramePing, FrameSkip:
		if fr.Len < 1 || fr.Len > 4 || fr.Len > len(b) {
			t.Fatalf("bad %v frame %+v", fr.Kind, fr)
		}
	case FrameNeedMore:
		if fr.Len != 0 && fr.Len <= len(b) {
			t.Fatalf("need more but %d of %d bytes present", fr.Len, len(b))
		}
	default:
		t.Fatalf("unknown kind %v", fr.Kind)
	}
}

// checkTrickle: the resume hint must not change the answer for the first
// frame when the buffer grows one byte at a time.
func checkTrickle(t *testing.T, b []byte, want Frame, lim FrameLimits) {
	want.resume = 0
	resume := 0
	for end := 1; end <= len(b); end++ {
		f, err := nextFrame(b[:end], lim, resume)
		if err != nil {
			t.Fatalf("trickled prefix %d failed (%v) but the whole buffer frames", end, err)
		}
		if f.Kind != FrameNeedMore {
			f.resume = 0
			if f != want {
				t.Fatalf("trickled %+v, whole %+v", f, want)
			}
			return
		}
		resume = f.resume
	}
	if want.Kind != FrameNeedMore {
		t.Fatalf("trickled never completed, whole %+v", want)
	}
}

func BenchmarkNextFrame(b *testing.B) {
	msg := readFile(b, "invite.sip")
	lim := FrameLimits{MaxHeaderBytes: 32 << 10, MaxBodyBytes: 64 << 10}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		f, err := NextFrame(msg, lim)
		if err != nil || f.Len != len(msg) {
			b.Fatal(f, err)
		}
	}
}
