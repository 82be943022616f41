package dispatcher

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

const three = `
1 sip:a.example
1 sip:b.example
1 sip:c.example
`

func TestDistribution(t *testing.T) {
	const n = 10000
	even := map[string]float64{"sip:a.example": 1, "sip:b.example": 1, "sip:c.example": 1}
	tests := []struct {
		name   string
		alg    Algorithm
		list   string
		shares map[string]float64
		tol    float64
	}{
		{"hash-callid", AlgHashCallID, three, even, 0.06},
		{"hash-from-uri", AlgHashFromURI, three, even, 0.06},
		{"hash-to-uri", AlgHashToURI, three, even, 0.06},
		{"hash-ruri", AlgHashRURI, three, even, 0.06},
		{"hash-ruri-user", AlgHashRURIUser, three, even, 0.06},
		{"round-robin", AlgRoundRobin, three, even, 0.001},
		{"random", AlgRandom, three, even, 0.06},
		{"least-load idle", AlgLeastLoad, three, even, 0.06}, // nothing acquired: ties, spread at random
		{"priority", AlgPriority, three, map[string]float64{"sip:a.example": 1}, 0},
		{"weight", AlgWeighted, `
1 sip:a.example 0 0 weight=50
1 sip:b.example 0 0 weight=30
1 sip:c.example 0 0 weight=20
`, map[string]float64{"sip:a.example": 50, "sip:b.example": 30, "sip:c.example": 20}, 0.001},
		{"weight absent counts 1", AlgWeighted, `
1 sip:a.example 0 0 weight=3
1 sip:b.example
`, map[string]float64{"sip:a.example": 3, "sip:b.example": 1}, 0.001},
		{"relative-weight", AlgRelativeWeight, `
1 sip:a.example 0 0 rweight=10
1 sip:b.example 0 0 rweight=30
1 sip:c.example 0 0 rweight=60
`, map[string]float64{"sip:a.example": 10, "sip:b.example": 30, "sip:c.example": 60}, 0.12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTest(t, tt.list, Options{})
			checkShares(t, countFirst(t, d, 1, tt.alg, n), n, tt.shares, tt.tol)
		})
	}
}

// TestDeadShareSpreads takes one of four destinations down and checks
// that its share goes to all three others alike, for every algorithm that
// spreads load, rather than to its neighbour as in Kamailio.
func TestDeadShareSpreads(t *testing.T) {
	const four = three + "1 sip:d.example\n"
	rest := map[string]float64{"sip:a.example": 1, "sip:c.example": 1, "sip:d.example": 1}
	for _, alg := range []Algorithm{AlgHashCallID, AlgRoundRobin, AlgRandom, AlgWeighted, AlgRelativeWeight} {
		t.Run(alg.String(), func(t *testing.T) {
			d := newTest(t, four, Options{})
			if err := d.SetState(1, "sip:b.example", StateInactive); err != nil {
				t.Fatal(err)
			}
			const n = 9000
			tol := 0.07
			if alg == AlgRoundRobin {
				tol = 0.001
			}
			checkShares(t, countFirst(t, d, 1, alg, n), n, rest, tol)
		})
	}
}

// TestConsistentRehash is the property Kamailio issue 2361 asks for: kill
// one of four and its keys spread over the three others evenly, while no
// other key moves; bring it back and every key returns.
func TestConsistentRehash(t *testing.T) {
	const n = 10000
	d := newTest(t, three+"1 sip:d.example\n", Options{})
	before := make([]string, n)
	for i := range before {
		before[i] = first(t, d, 1, AlgHashCallID, fmt.Sprintf("key-%d", i)).URI
	}
	const dead = "sip:c.example"
	if err := d.SetState(1, dead, StateInactive); err != nil {
		t.Fatal(err)
	}
	moved := map[string]int{}
	orphans := 0
	for i, was := range before {
		now := first(t, d, 1, AlgHashCallID, fmt.Sprintf("key-%d", i)).URI
		switch {
		case was == dead:
			orphans++
			moved[now]++
		case now != was:
			t.Fatalf("key-%d moved from live %s to %s", i, was, now)
		}
	}
	checkShares(t, moved, orphans, map[string]float64{"sip:a.example": 1, "sip:b.example": 1, "sip:d.example": 1}, 0.15)

	if err := d.SetState(1, dead, StateActive); err != nil {
		t.Fatal(err)
	}
	for i, was := range before {
		if now := first(t, d, 1, AlgHashCallID, fmt.Sprintf("key-%d", i)).URI; now != was {
			t.Fatalf("key-%d went to %s after recovery, want %s", i, now, was)
		}
	}
}

// TestHashFailoverOrder checks that a key's failover sequence is the order
// its destinations take over when the ones before them die.
func TestHashFailoverOrder(t *testing.T) {
	d := newTest(t, three+"1 sip:d.example\n", Options{})
	for i := range 50 {
		key := fmt.Sprintf("k%d", i)
		seq := order(t, d, 1, AlgHashCallID, key)
		if len(seq) != 4 {
			t.Fatalf("%s: sequence %v, want all 4", key, seq)
		}
		if err := d.SetState(1, seq[0], StateInactive); err != nil {
			t.Fatal(err)
		}
		if got := order(t, d, 1, AlgHashCallID, key); !slices.Equal(got, seq[1:]) {
			t.Errorf("%s: with %s down got %v, want %v", key, seq[0], got, seq[1:])
		}
		if err := d.SetState(1, seq[0], StateActive); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHashStableAcrossInstances checks that two dispatchers — two LB
// nodes, or one before and after a restart — map keys alike, and that
// the list order does not matter.
func TestHashStableAcrossInstances(t *testing.T) {
	a := newTest(t, three, Options{})
	b := newTest(t, "1 sip:c.example\n1 sip:a.example\n1 sip:b.example\n", Options{})
	for i := range 1000 {
		key := fmt.Sprintf("k%d", i)
		if x, y := first(t, a, 1, AlgHashCallID, key).URI, first(t, b, 1, AlgHashCallID, key).URI; x != y {
			t.Fatalf("%s: %s on one node, %s on the other", key, x, y)
		}
	}
}

func TestPriorityOrder(t *testing.T) {
	d := newTest(t, `
1 sip:low.example 0 1
1 sip:high.example 0 10
1 sip:mid1.example 0 5
1 sip:mid2.example 0 5
1 sip:neg.example 0 -1
`, Options{})
	want := []string{"sip:high.example", "sip:mid1.example", "sip:mid2.example", "sip:low.example", "sip:neg.example"}
	if got := order(t, d, 1, AlgPriority, ""); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if err := d.SetState(1, "sip:high.example", StateDisabled); err != nil {
		t.Fatal(err)
	}
	if err := d.SetState(1, "sip:mid2.example", StateInactive); err != nil {
		t.Fatal(err)
	}
	want = []string{"sip:mid1.example", "sip:low.example", "sip:neg.example"}
	if got := order(t, d, 1, AlgPriority, ""); !slices.Equal(got, want) {
		t.Errorf("with two down got %v, want %v", got, want)
	}
}

// TestFailoverVisitsAllOnce checks every algorithm's failover sequence:
// each active destination exactly once, none of the others.
func TestFailoverVisitsAllOnce(t *testing.T) {
	d := newTest(t, `
1 sip:a.example 0 0 weight=10;rweight=5
1 sip:b.example 1 0 weight=20
1 sip:c.example 4 0
1 sip:d.example 0 3 weight=30;maxload=5
1 sip:e.example 0 0 rweight=90
`, Options{})
	want := []string{"sip:a.example", "sip:d.example", "sip:e.example"}
	for a := range numAlgorithms {
		for i := range 20 {
			got := order(t, d, 1, a, fmt.Sprint(i))
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("%v: sequence %v, want each of %v once", a, got, want)
			}
		}
	}
}

func TestRoundRobinFailoverWalksOn(t *testing.T) {
	d := newTest(t, three+"1 sip:d.example\n", Options{})
	for i := range 8 {
		seq := order(t, d, 1, AlgRoundRobin, "")
		want := []string{"sip:a.example", "sip:b.example", "sip:c.example", "sip:d.example"}
		k := i % 4
		want = append(want[k:], want[:k]...)
		if !slices.Equal(seq, want) {
			t.Fatalf("call %d: got %v, want %v", i, seq, want)
		}
	}
}

func TestLeastLoad(t *testing.T) {
	d := newTest(t, `
1 sip:a.example 0 0 maxload=2
1 sip:b.example 0 0 maxload=1
1 sip:c.example 0 0 maxload=3
`, Options{})
	// Six calls fill every slot, each going to the least loaded.
	var held []*Destination
	for range 6 {
		dst := first(t, d, 1, AlgLeastLoad, "")
		loads := map[string]int64{}
		for _, x := range d.Destinations() {
			loads[x.URI] = x.InFlight()
		}
		for uri, l := range loads {
			if l < dst.InFlight() && !d.mustLookup(t, uri).full() {
				t.Fatalf("picked %s with %d calls while %s had %d", dst.URI, dst.InFlight(), uri, l)
			}
		}
		if !dst.Acquire() {
			t.Fatalf("Acquire on %s failed below maxload", dst.URI)
		}
		held = append(held, dst)
	}
	for _, uri := range []string{"sip:a.example", "sip:b.example", "sip:c.example"} {
		dst := d.mustLookup(t, uri)
		if dst.InFlight() != int64(dst.Attrs.MaxLoad) {
			t.Errorf("%s has %d calls, want its maxload %d", uri, dst.InFlight(), dst.Attrs.MaxLoad)
		}
		if dst.Acquire() {
			t.Errorf("Acquire on full %s succeeded", uri)
		}
	}
	c, _ := d.Select(1, AlgLeastLoad, nil)
	if dst, ok := c.Next(); ok {
		t.Fatalf("all full, yet got %s", dst.URI)
	}
	held[0].Release()
	if got := first(t, d, 1, AlgLeastLoad, ""); got != held[0] {
		t.Errorf("after one release got %s, want %s", got.URI, held[0].URI)
	}
}

func (d *Dispatcher) mustLookup(t testing.TB, uri string) *Destination {
	t.Helper()
	dst, ok := d.Lookup(1, uri)
	if !ok {
		t.Fatalf("no %s", uri)
	}
	return dst
}

func TestRelativeWeightFollowsHealth(t *testing.T) {
	d := newTest(t, `
1 sip:a.example 0 0 rweight=50
1 sip:b.example 0 0 rweight=50
`, Options{})
	// Two traffic failures, under the threshold of three, then a success
	// that clears the streak: b stays active with a lower score.
	b := d.mustLookup(t, "sip:b.example")
	d.ReportFailure(b, errNoAnswer)
	d.ReportFailure(b, errNoAnswer)
	d.ReportSuccess(b)
	if b.State() != StateActive {
		t.Fatalf("b is %v, want active", b.State())
	}
	score := statusOf(t, d, "sip:b.example").HealthScore
	if score >= 0.9 || score <= 0.3 {
		t.Fatalf("b's score is %v, want lowered", score)
	}
	const n = 20000
	checkShares(t, countFirst(t, d, 1, AlgRelativeWeight, n), n,
		map[string]float64{"sip:a.example": 1, "sip:b.example": score}, 0.06)
}

func TestSelectErrors(t *testing.T) {
	d := newTest(t, three, Options{})
	if _, err := d.Select(9, AlgRandom, nil); !errors.Is(err, ErrNoSet) {
		t.Errorf("unknown set: got %v, want ErrNoSet", err)
	}
	if _, err := d.Select(1, numAlgorithms, nil); err == nil {
		t.Error("unknown algorithm: no error")
	}
	var zero Cursor
	if _, ok := zero.Next(); ok {
		t.Error("zero Cursor returned a destination")
	}
	for _, uri := range []string{"sip:a.example", "sip:b.example", "sip:c.example"} {
		if err := d.SetState(1, uri, StateInactive); err != nil {
			t.Fatal(err)
		}
	}
	for a := range numAlgorithms {
		c, err := d.Select(1, a, []byte("k"))
		if err != nil {
			t.Fatal(err)
		}
		if dst, ok := c.Next(); ok {
			t.Errorf("%v: all inactive, yet got %s", a, dst.URI)
		}
	}
}

// TestLargeSet covers sets beyond the Cursor's inline bitmap.
func TestLargeSet(t *testing.T) {
	var list []byte
	for i := range 300 {
		list = fmt.Appendf(list, "1 sip:10.0.%d.%d\n", i/256, i%256)
	}
	d := newTest(t, string(list), Options{})
	for _, alg := range []Algorithm{AlgHashCallID, AlgRoundRobin} {
		seq := order(t, d, 1, alg, "x")
		slices.Sort(seq)
		if len(slices.Compact(seq)) != 300 {
			t.Errorf("%v: %d distinct destinations, want 300", alg, len(seq))
		}
	}
}

func TestParseAlgorithm(t *testing.T) {
	for a := range numAlgorithms {
		got, err := ParseAlgorithm(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAlgorithm(%q) = %v, %v", a.String(), got, err)
		}
		if k, ok := a.Kamailio(); ok {
			got, err := ParseAlgorithm(fmt.Sprint(k))
			if err != nil || got != a && !(k == 3 && got == AlgHashRURI) {
				t.Errorf("ParseAlgorithm(%d) = %v, %v; want %v", k, got, err, a)
			}
		}
	}
	for _, bad := range []string{"5", "12", "fastest", ""} {
		if _, err := ParseAlgorithm(bad); err == nil {
			t.Errorf("ParseAlgorithm(%q) succeeded", bad)
		}
	}
	if _, ok := AlgHashRURIUser.Kamailio(); ok {
		t.Error("AlgHashRURIUser claims a Kamailio number of its own")
	}
}
