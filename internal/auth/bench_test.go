package auth

import (
	"context"
	"testing"
	"time"
)

func BenchmarkAppendChallenge(b *testing.B) {
	a := newAuth(b, func(cfg *Config) { cfg.Clock = time.Now })
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = a.AppendChallenge(buf[:0], WWW, realm, false)
	}
}

// acceptAll is a NonceCounter that lets every count through, so the
// Verify benchmarks can repeat one request; BenchmarkMemoryCounter
// measures the real one.
type acceptAll struct{}

func (acceptAll) Advance(context.Context, NonceUse, time.Time) (bool, error) { return true, nil }

// ha1Store answers from precomputed HA1s, like a cache in front of the
// subscriber table, so that the benchmark measures Verify itself.
func ha1Store() HA1Func {
	md5, sha := HA1("alice", realm, "secret", MD5), HA1("alice", realm, "secret", SHA256)
	return func(_ context.Context, user, _ string, alg Algorithm) (string, error) {
		if user != "alice" {
			return "", ErrUnknownUser
		}
		if alg == SHA256 {
			return sha, nil
		}
		return md5, nil
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, alg := range []Algorithm{MD5, SHA256} {
		b.Run(alg.String(), func(b *testing.B) {
			a := newAuth(b, counter(acceptAll{}))
			m := register(b, answer(issue(b, a, WWW), alg, 1))
			lookup, ctx := ha1Store(), context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if res := a.Verify(ctx, m, WWW, realm, lookup); !res.OK {
					b.Fatal(res)
				}
			}
		})
	}
}

// BenchmarkVerifyFailure is the cost of refusing a wrong password, which
// is also what an attacker guessing passwords costs.
func BenchmarkVerifyFailure(b *testing.B) {
	a := newAuth(b)
	c := answer(issue(b, a, WWW), MD5, 1)
	c.password = "guess"
	m := register(b, c)
	lookup, ctx := ha1Store(), context.Background()
	b.ReportAllocs()
	for b.Loop() {
		a.Verify(ctx, m, WWW, realm, lookup)
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	a := newAuth(b, counter(acceptAll{}))
	m := register(b, answer(issue(b, a, WWW), MD5, 1))
	lookup := ha1Store()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			a.Verify(ctx, m, WWW, realm, lookup)
		}
	})
}

func BenchmarkCheckNonce(b *testing.B) {
	a := newAuth(b)
	text := []byte(issue(b, a, WWW))
	b.ReportAllocs()
	for b.Loop() {
		a.checkNonce(text, realm, t0.Unix())
	}
}

// BenchmarkMemoryCounter advances fresh nonces in a table that has
// reached its bound, so every call also evicts.
func BenchmarkMemoryCounter(b *testing.B) {
	c := NewMemoryCounter(1 << 16)
	ctx, exp := context.Background(), t0.Add(time.Hour).Unix()
	var id uint64
	b.ReportAllocs()
	for b.Loop() {
		id += 0x9e3779b97f4a7c15
		c.Advance(ctx, NonceUse{ID: id, NC: 1, Expires: exp}, t0)
	}
}
