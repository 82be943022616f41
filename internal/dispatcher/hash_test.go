package dispatcher

import (
	"fmt"
	"math/bits"
	"testing"
)

// TestKeyHashPinned pins the key hash: every LB node must map a Call-ID
// to the same backend, including nodes of different versions during a
// rolling upgrade. If this test fails, the change remaps live calls.
func TestKeyHashPinned(t *testing.T) {
	for key, want := range map[string]uint64{
		"":  0x0,
		"a": 0x1d3547705c43c07e,
		"a84b4c76e66710@pc33.atlanta.example.com": 0xffdcb794e538cf0a,
		"sip:alice@atlanta.example.com":           0xf9d6c91aec10bd11,
	} {
		if got := keyHash([]byte(key)); got != want {
			t.Errorf("keyHash(%q) = %#x, want %#x", key, got, want)
		}
	}
}

// TestKeyHashAvalanche checks that flipping one input bit flips about
// half the output bits: rendezvous hashing spreads keys evenly only if
// similar keys (callid-1, callid-2) hash far apart.
func TestKeyHashAvalanche(t *testing.T) {
	const keys = 200
	total, n := 0, 0
	for i := range keys {
		key := fmt.Appendf(nil, "callid-%d@host.example", i)
		h := keyHash(key)
		for bit := range len(key) * 8 {
			key[bit/8] ^= 1 << (bit % 8)
			total += bits.OnesCount64(h ^ keyHash(key))
			key[bit/8] ^= 1 << (bit % 8)
			n++
		}
	}
	if avg := float64(total) / float64(n); avg < 31 || avg > 33 {
		t.Errorf("one input bit flips %.2f output bits on average, want about 32", avg)
	}
}
