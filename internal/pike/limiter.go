package pike

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"
)

// shardBits sets the number of shards: 64, so that a few cores calling
// Allow rarely meet on one mutex, and a shard's table stays small enough to
// sweep in microseconds.
const shardBits = 6

// Limiter counts requests per source and bans the sources that flood. It
// is safe for concurrent use; the zero value is not usable, use New.
type Limiter struct {
	p       params
	trusted []netip.Prefix
	v4len   int
	v6len   int
	v4mask  uint64
	v6hi    uint64
	v6lo    uint64
	seed    uint64 // spreads keys over shards differently in each process
	shards  [1 << shardBits]shard
}

// params are the Config values Allow uses, in the form it uses them.
type params struct {
	interval  int64 // nanoseconds
	threshold float64
	banFor    int64 // nanoseconds
}

// New validates cfg and builds a Limiter.
func New(cfg Config) (*Limiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pike config: %w", err)
	}
	cfg = cfg.withDefaults()
	l := &Limiter{
		p: params{
			interval:  int64(cfg.Interval),
			threshold: float64(cfg.Threshold),
			banFor:    int64(cfg.BanFor),
		},
		trusted: normalize(cfg.Trusted),
		v4len:   cfg.IPv4PrefixLen,
		v6len:   cfg.IPv6PrefixLen,
		v4mask:  ^uint64(0) << (32 - cfg.IPv4PrefixLen) & 0xffffffff,
		seed:    rand.Uint64() | 1,
	}
	l.v6hi, l.v6lo = mask128(cfg.IPv6PrefixLen)
	perShard := (cfg.MaxTracked + len(l.shards) - 1) / len(l.shards)
	for i := range l.shards {
		l.shards[i].init(perShard, rand.Uint64())
	}
	return l, nil
}

// normalize unmaps IPv4-mapped prefixes so that they match the unmapped
// addresses Allow looks up, and masks them.
func normalize(ps []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ps))
	for _, p := range ps {
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return slices.Clip(out)
}

// mask128 returns the two halves of an IPv6 netmask of n bits.
func mask128(n int) (hi, lo uint64) {
	switch {
	case n >= 128:
		return ^uint64(0), ^uint64(0)
	case n > 64:
		return ^uint64(0), ^uint64(0) << (128 - n)
	case n == 0:
		return 0, 0
	default:
		return ^uint64(0) << (64 - n), 0
	}
}

// Allow counts one request from ip at now and reports whether to handle
// it: false while ip's prefix is banned, and for the request that takes it
// over the threshold. Trusted and invalid addresses are always allowed.
func (l *Limiter) Allow(ip netip.Addr, now time.Time) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || l.isTrusted(ip) {
		return true
	}
	k := l.keyOf(ip)
	return l.shardOf(k).allow(k, now.UnixNano(), &l.p)
}

func (l *Limiter) isTrusted(ip netip.Addr) bool {
	for _, p := range l.trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// key is a source prefix: the masked address as two words. IPv4 keys are
// IPv4-mapped (::ffff:a.b.c.d), which no masked IPv6 key can equal since
// Allow unmaps mapped addresses first.
type key struct{ hi, lo uint64 }

func (l *Limiter) keyOf(ip netip.Addr) key {
	if ip.Is4() {
		a := ip.As4()
		v := uint64(a[0])<<24 | uint64(a[1])<<16 | uint64(a[2])<<8 | uint64(a[3])
		return key{lo: 0xffff<<32 | v&l.v4mask}
	}
	a := ip.As16()
	hi := be64(a[:8]) & l.v6hi
	lo := be64(a[8:]) & l.v6lo
	return key{hi: hi, lo: lo}
}

func be64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// prefix turns a key back into the source prefix it stands for.
func (l *Limiter) prefix(k key) netip.Prefix {
	if k.hi == 0 && k.lo>>32 == 0xffff {
		v := uint32(k.lo)
		a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		return netip.PrefixFrom(a, l.v4len)
	}
	var b [16]byte
	for i := range 8 {
		b[i] = byte(k.hi >> (56 - 8*i))
		b[8+i] = byte(k.lo >> (56 - 8*i))
	}
	return netip.PrefixFrom(netip.AddrFrom16(b), l.v6len)
}

// shardOf spreads keys by a seeded multiplicative hash: only the low bits of
// an IPv4 key and the high word of a /64 key vary, and the multiply carries
// them into the top bits the index is taken from.
func (l *Limiter) shardOf(k key) *shard {
	h := (k.hi*0x9e3779b97f4a7c15 ^ k.lo ^ l.seed) * 0xff51afd7ed558ccd
	return &l.shards[h>>(64-shardBits)]
}
