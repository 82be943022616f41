package transaction

import (
	"encoding/hex"
	"errors"
	"math/rand/v2"
)

var errNotResponse = errors.New("not a SIP response")

// NewBranch returns a branch parameter for a new client transaction:
// the RFC 3261 magic cookie and 96 random bits, unique across space and
// time as §8.1.1.7 requires.
func NewBranch() string {
	var b [7 + 24]byte
	copy(b[:], magicCookie)
	var r [12]byte
	putRandom(r[:])
	hex.Encode(b[7:], r[:])
	return string(b[:])
}

// tagLen is the length of the tags newTag makes.
const tagLen = 16

// newTag appends a To tag with 64 random bits (§19.3 asks for at least
// 32) to dst.
func newTag(dst []byte) []byte {
	var r [tagLen / 2]byte
	putRandom(r[:])
	return hex.AppendEncode(dst, r[:])
}

func putRandom(b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := rand.Uint64()
		for j := i; j < len(b) && j < i+8; j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
}

// statusCode reads the code of a Status-Line "SIP/2.0 NNN ...", or 0.
func statusCode(b []byte) int {
	const prefix = "SIP/2.0 "
	if len(b) < len(prefix)+3 || string(b[:len(prefix)]) != prefix {
		return 0
	}
	c := b[len(prefix) : len(prefix)+3]
	n := 0
	for _, d := range c {
		if d < '0' || d > '9' {
			return 0
		}
		n = n*10 + int(d-'0')
	}
	if n < 100 || n > 699 || (len(b) > len(prefix)+3 && b[len(prefix)+3] != ' ') {
		return 0
	}
	return n
}

// responseToTag returns a copy of the To tag of response b.
func (l *Layer) responseToTag(b []byte) []byte {
	m := l.scratchMsg(b)
	defer l.putMsg(m)
	return clone(m.ToTag())
}

// clone copies b. make+copy is the form the compiler turns into one
// allocation without zeroing.
func clone(b []byte) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	return c
}
