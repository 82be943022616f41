package dispatcher

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestReloadKeepsState(t *testing.T) {
	d := newTest(t, `
1 sip:a.example
1 sip:b.example
1 sip:c.example 0 0 duid=c
2 sip:x.example
`, Options{Health: HealthConfig{FailThreshold: 1}})
	a := d.mustLookup(t, "sip:a.example")
	d.ReportFailure(a, errNoAnswer) // inactive
	if err := d.SetState(1, "sip:b.example", StateDisabled); err != nil {
		t.Fatal(err)
	}
	c := d.mustLookup(t, "c")
	if !c.Acquire() {
		t.Fatal("Acquire failed")
	}
	first(t, d, 1, AlgPriority, "")

	sum := d.Reload(mustList(t, `
1 sip:b.example 0 7
1 sip:c2.example 0 0 duid=c
1 sip:a.example
1 sip:new.example
3 sip:y.example
`))
	want := ReloadSummary{Sets: 2, Destinations: 5, Added: 2, Removed: 1, Kept: 3}
	if sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	st := func(uri string) DestinationStatus { return statusOf(t, d, uri) }
	if s := st("sip:a.example"); s.State != StateInactive || s.TrafficFailures != 1 {
		t.Errorf("a: %v with %d failures, want inactive with 1 kept", s.State, s.TrafficFailures)
	}
	if s := st("sip:b.example"); s.State != StateDisabled || s.Priority != 7 {
		t.Errorf("b: %v priority %d, want disabled (kept) with the new priority 7", s.State, s.Priority)
	}
	if s := st("sip:c2.example"); s.InFlight != 1 || s.Selected != 1 {
		t.Errorf("c moved to a new URI under the same duid: %+v, want its call and selection kept", s)
	}
	if s := st("sip:new.example"); s.State != StateActive || s.Selected != 0 {
		t.Errorf("new: %+v, want fresh and active", s)
	}
	if _, err := d.Select(2, AlgRandom, nil); err == nil {
		t.Error("set 2 survived the reload")
	}
	if got := d.SetIDs(); !slices.Equal(got, []int{1, 3}) {
		t.Errorf("sets %v, want [1 3]", got)
	}
	// A call acquired before the reload is released through the old
	// *Destination onto the same counter.
	c.Release()
	if s := st("sip:c2.example"); s.InFlight != 0 {
		t.Errorf("in flight %d after release, want 0", s.InFlight)
	}
}

// TestReloadChangedFlagsWin checks that an operator's edit of the flags
// column takes effect on reload, while unchanged flags keep run-time state.
func TestReloadChangedFlagsWin(t *testing.T) {
	d := newTest(t, "1 sip:a.example\n1 sip:b.example 4\n1 sip:c.example\n", Options{})
	for _, uri := range []string{"sip:a.example", "sip:c.example"} {
		if err := d.SetState(1, uri, StateInactive); err != nil {
			t.Fatal(err)
		}
	}
	sum := d.Reload(mustList(t, "1 sip:a.example 4\n1 sip:b.example 0\n1 sip:c.example 8\n"))
	if sum.Reset != 2 {
		t.Errorf("reset %d, want 2", sum.Reset)
	}
	if s := statusOf(t, d, "sip:c.example"); s.State != StateInactive || s.Flags != FlagProbing {
		t.Errorf("c: %v with flags %v, want inactive still: the probing flag does not reset state", s.State, s.Flags)
	}
	if s := statusOf(t, d, "sip:a.example").State; s != StateDisabled {
		t.Errorf("a: %v, want disabled by the new flags", s)
	}
	if s := statusOf(t, d, "sip:b.example").State; s != StateActive {
		t.Errorf("b: %v, want active: its flags no longer disable it", s)
	}
}

// TestReloadUnderLoad selects from many goroutines while lists A and B
// are swapped in turn, and checks that every failover sequence comes
// wholly from one list: the swap is atomic, and a Cursor keeps its list.
// Run it with -race.
func TestReloadUnderLoad(t *testing.T) {
	listA := mustList(t, "1 sip:a1.example\n1 sip:a2.example\n1 sip:a3.example\n")
	listB := mustList(t, "1 sip:b1.example\n1 sip:b2.example\n")
	d := newTest(t, "1 sip:a1.example\n1 sip:a2.example\n1 sip:a3.example\n", Options{})

	const workers, perWorker, reloads = 4, 2000, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				alg := Algorithm(i % int(numAlgorithms))
				c, err := d.Select(1, alg, fmt.Appendf(nil, "%d-%d", w, i))
				if err != nil {
					errs <- err
					return
				}
				var seq []string
				for dst, ok := c.Next(); ok; dst, ok = c.Next() {
					seq = append(seq, dst.URI)
					if dst.Acquire() {
						dst.Release()
					}
				}
				if !oneList(seq) {
					errs <- fmt.Errorf("%v: sequence mixes lists: %v", alg, seq)
					return
				}
			}
		})
	}
	for i := range reloads {
		if i%2 == 0 {
			d.Reload(listB)
		} else {
			d.Reload(listA)
		}
		d.List()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, s := range d.List() {
		if s.InFlight != 0 {
			t.Errorf("%s: %d calls in flight after all were released", s.URI, s.InFlight)
		}
	}
}

func oneList(seq []string) bool {
	if len(seq) != 2 && len(seq) != 3 {
		return false
	}
	prefix := seq[0][:5]
	for _, u := range seq {
		if !strings.HasPrefix(u, prefix) {
			return false
		}
	}
	return len(seq) == map[string]int{"sip:a": 3, "sip:b": 2}[prefix]
}

func TestFromRows(t *testing.T) {
	l, err := FromRows("dispatcher", []Row{
		{ID: 1, SetID: 1, Destination: "sip:10.0.0.1:5060", Flags: 8, Priority: 5, Attrs: "duid=r1;weight=10", Description: "reg 1"},
		{ID: 2, SetID: 1, Destination: "sip:10.0.0.2:5060", Attrs: ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := d.List()[0]
	if s.Description != "reg 1" || s.Flags != FlagProbing || s.Priority != 5 || s.ID != "1 duid:r1" {
		t.Errorf("row 1 loaded as %+v", s)
	}

	_, err = FromRows("dispatcher", []Row{
		{ID: 7, SetID: -1, Destination: "sip:ok", Flags: 64},
		{ID: 8, SetID: 1, Destination: "tel:123", Attrs: "weight=x"},
		{ID: 9, SetID: 1, Destination: "sip:a"},
		{ID: 10, SetID: 1, Destination: "sip:a"},
	})
	want := strings.Join([]string{
		"dispatcher id=7: setid: want a non-negative integer, got -1",
		"dispatcher id=7: flags: want a bit mask from 0 to 31, got 64",
		`dispatcher id=8: uri: "tel:123": want a sip: or sips: URI`,
		`dispatcher id=8: attrs.weight: want an integer from 1 to 100, got "x"`,
		"dispatcher id=10: destination sip:a given twice in set 1 (first at id=9)",
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("got errors\n%v\nwant\n%s", err, want)
	}
}
