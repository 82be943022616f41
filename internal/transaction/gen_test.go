package transaction

import (
	"bytes"
	"strconv"
	"testing"
)

// msgGen stamps a unique, fixed-width branch into a message template in
// place, so a benchmark or load test makes a new transaction per message
// without allocating.
type msgGen struct {
	buf []byte
	at  []int // offsets of the digits to overwrite
}

const genDigits = 10

// newMsgGen finds every occurrence of branch in the file and reserves
// genDigits digits after it (the template grows; Content-Length is about
// the body and stays right).
func newMsgGen(t testing.TB, file, branch string) *msgGen {
	t.Helper()
	src := readMsg(t, file)
	g := &msgGen{}
	pad := bytes.Repeat([]byte("0"), genDigits)
	for {
		i := bytes.Index(src, []byte(branch))
		if i < 0 {
			break
		}
		end := i + len(branch)
		g.buf = append(g.buf, src[:end]...)
		g.at = append(g.at, len(g.buf))
		g.buf = append(g.buf, pad...)
		src = src[end:]
	}
	if len(g.at) == 0 {
		t.Fatalf("%s: no %q", file, branch)
	}
	g.buf = append(g.buf, src...)
	return g
}

// stamp writes n into every reserved place and returns the buffer.
func (g *msgGen) stamp(n uint64) []byte {
	var d [20]byte
	s := strconv.AppendUint(d[:0], n, 10)
	for _, at := range g.at {
		f := g.buf[at : at+genDigits]
		for i := range f {
			f[i] = '0'
		}
		copy(f[genDigits-len(s):], s)
	}
	return g.buf
}
