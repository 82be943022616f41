package dispatcher

import (
	"encoding/binary"
	"math/bits"
)

// Consistent rehashing by rendezvous (highest random weight) hashing:
// every destination scores the key, and the key goes to the live
// destination with the highest score. When a destination goes down, only
// the keys it held move, each to its own runner-up, and runners-up are
// spread evenly over all the other destinations. Keys held by live
// destinations do not move at all. Kamailio's hash algorithms take the
// hash modulo the set size and, when that destination is down, walk to
// the next one in the list, which doubles that one's load (Kamailio
// issue 2361). The failover order for a key is simply its destinations by
// descending score, so it needs no table.
//
// The key hash must be the same on every LB node, on every platform and
// across restarts, so that a Call-ID's requests land on the same backend
// whichever LB of an active/passive pair handles them: hash/maphash,
// seeded per process, will not do. keyHash is the body of murmur3's x64
// hash on one lane, eight bytes a step, read little-endian whatever the
// machine; TestKeyHashPinned pins its values, since changing them would
// remap every call of a fleet in the middle of a rolling upgrade.

const (
	murmurC1 = 0x87c37b91114253d5
	murmurC2 = 0x4cf5ad432745937f
)

// keyHash hashes a selection key.
func keyHash(key []byte) uint64 {
	n := uint64(len(key))
	var h uint64
	for ; len(key) >= 8; key = key[8:] {
		h ^= mixBlock(binary.LittleEndian.Uint64(key))
		h = bits.RotateLeft64(h, 27)*5 + 0x52dce729
	}
	if len(key) > 0 {
		var t uint64
		for i, c := range key {
			t |= uint64(c) << (8 * i)
		}
		h ^= mixBlock(t)
	}
	return mix(h ^ n)
}

func mixBlock(k uint64) uint64 {
	k *= murmurC1
	k = bits.RotateLeft64(k, 31)
	return k * murmurC2
}

// mix is the murmur3 64-bit finaliser: a bijection whose every output
// bit depends on every input bit.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// score is destination d's rendezvous score for a key hashing to kh.
func (d *Destination) score(kh uint64) uint64 { return mix(kh ^ d.seed) }

// seedOf derives a destination's rendezvous seed from what identifies it
// within its set: the duid, or else the URI. The set is left out so that
// sets with the same members map keys alike.
func seedOf(e *Entry) uint64 {
	if e.Attrs.DUID != "" {
		return keyHash([]byte("duid:" + e.Attrs.DUID))
	}
	return keyHash([]byte(e.URI))
}
