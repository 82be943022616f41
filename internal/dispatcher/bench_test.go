package dispatcher

import (
	"fmt"
	"testing"
)

func benchDispatcher(b *testing.B, n int) *Dispatcher {
	var list []byte
	for i := range n {
		list = fmt.Appendf(list, "1 sip:10.0.0.%d:5060 0 0 weight=%d;rweight=%d;maxload=1000\n", i+1, 10+i, 10+i)
	}
	return newTest(b, string(list), Options{})
}

// BenchmarkSelect measures a first choice, the cost the LB pays on every
// initial request: Select and one Next.
func BenchmarkSelect(b *testing.B) {
	key := []byte("a84b4c76e66710@pc33.atlanta.example.com")
	for _, n := range []int{3, 10} {
		d := benchDispatcher(b, n)
		for _, alg := range []Algorithm{AlgHashCallID, AlgRoundRobin, AlgRandom, AlgPriority, AlgWeighted, AlgLeastLoad, AlgRelativeWeight} {
			b.Run(fmt.Sprintf("%v/%d", alg, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					c, err := d.Select(1, alg, key)
					if err != nil {
						b.Fatal(err)
					}
					if _, ok := c.Next(); !ok {
						b.Fatal("no destination")
					}
				}
			})
		}
	}
}

// BenchmarkFailover walks a whole failover sequence of 10.
func BenchmarkFailover(b *testing.B) {
	key := []byte("a84b4c76e66710@pc33.atlanta.example.com")
	d := benchDispatcher(b, 10)
	for _, alg := range []Algorithm{AlgHashCallID, AlgRoundRobin} {
		b.Run(alg.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c, _ := d.Select(1, alg, key)
				for _, ok := c.Next(); ok; _, ok = c.Next() {
				}
			}
		})
	}
}

// BenchmarkSelectParallel shows selection scaling over cores: no lock,
// only the shared counters.
func BenchmarkSelectParallel(b *testing.B) {
	key := []byte("a84b4c76e66710@pc33.atlanta.example.com")
	d := benchDispatcher(b, 3)
	for _, alg := range []Algorithm{AlgHashCallID, AlgRoundRobin} {
		b.Run(alg.String(), func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c, _ := d.Select(1, alg, key)
					c.Next()
				}
			})
		})
	}
}

func BenchmarkParseList(b *testing.B) {
	var list []byte
	for i := range 100 {
		list = fmt.Appendf(list, "%d sip:10.0.%d.%d:5060;transport=tcp 0 %d duid=d%d;weight=50;socket=udp:10.0.0.1:5060\n", i%5, i/256, i%256, i%3, i)
	}
	b.SetBytes(int64(len(list)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseList("bench", list); err != nil {
			b.Fatal(err)
		}
	}
}
