package natping

import (
	"math"
	"testing"
	"time"
)

// TestPacerSpreadsEvenly drives a pacer on simulated time, as the send
// loop does (send what is due, sleep what it says), and checks that the
// sends follow the straight line from the start to the end: never ahead
// of it by more than one send (no bursts), never behind it by more than
// one wake-up's worth (no lag), and all done by the end.
func TestPacerSpreadsEvenly(t *testing.T) {
	tests := []struct {
		name string
		n    int
		span time.Duration
	}{
		{"one binding", 1, 1800 * time.Millisecond},
		{"ten bindings", 10, 1800 * time.Millisecond},
		{"a thousand", 1000, 18 * time.Second},
		{"a million in 4.5 s", 1_000_000, 4500 * time.Millisecond},
		{"more than one per millisecond", 5000, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPacer(epoch, epoch.Add(tc.span))
			now, done, wakes := epoch, 0, 0
			rate := float64(tc.n) / tc.span.Seconds()
			for done < tc.n {
				n, wait := p.due(now, tc.n-done, tc.n-done)
				done += n
				wakes++
				line := rate * now.Sub(epoch).Seconds()
				if float64(done) > line+1 {
					t.Fatalf("at %v: %d sent, ahead of the line (%.1f)", now.Sub(epoch), done, line)
				}
				if slack := rate*maxWait.Seconds() + 1; float64(done) < line-slack {
					t.Fatalf("at %v: %d sent, behind the line (%.1f) by more than %.0f", now.Sub(epoch), done, line, slack)
				}
				if wait < minWait || wait > maxWait {
					t.Fatalf("wait %v outside [%v, %v]", wait, minWait, maxWait)
				}
				if done < tc.n {
					now = now.Add(wait)
				}
			}
			if end := epoch.Add(tc.span + minWait); now.After(end) {
				t.Errorf("last send at %v, after the end of the span (%v)", now.Sub(epoch), tc.span)
			}
			// Wake-ups are bounded by the span over the shortest wait,
			// and not many more than needed when sends are sparse.
			if most := int(math.Ceil(float64(tc.span)/float64(minWait))) + 2; wakes > most {
				t.Errorf("%d wake-ups, more than %d", wakes, most)
			}
		})
	}
}

func TestPacerDue(t *testing.T) {
	start, end := epoch, epoch.Add(time.Second)
	tests := []struct {
		name        string
		at          time.Duration // since start
		left, ready int
		wantN       int
		wantWait    time.Duration
	}{
		{"nothing left", 500 * time.Millisecond, 0, 0, 0, maxWait},
		{"nothing ready yet", 500 * time.Millisecond, 100, 0, 0, maxWait},
		{"called late: sends what fell due since the start", 500 * time.Millisecond, 100, 100, 50, 10 * time.Millisecond},
		{"past the end: all that is ready", 2 * time.Second, 1000, 300, 300, minWait},
		{"due capped by ready", 500 * time.Millisecond, 1000, 10, 10, minWait},
		{"sparse: none due yet, wake for the next", 100 * time.Millisecond, 9, 9, 0, time.Second / 90},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPacer(start, end)
			n, wait := p.due(start.Add(tc.at), tc.left, tc.ready)
			if n != tc.wantN || wait != tc.wantWait {
				t.Fatalf("due = %d, %v; want %d, %v", n, wait, tc.wantN, tc.wantWait)
			}
		})
	}
}

// TestPacerGrowingEstimate: the reader learns the size of the table as
// it goes. The sends speed up from then on, but no wake-up sends more
// than the new rate allows over the longest wait.
func TestPacerGrowingEstimate(t *testing.T) {
	const span = 10 * time.Second
	p := newPacer(epoch, epoch.Add(span))
	now, done, known := epoch, 0, 100
	for done < 100_000 {
		if now.Sub(epoch) > time.Second {
			known = 100_000 // the rest of the table is read at 1 s
		}
		n, wait := p.due(now, known-done, known-done)
		rate := float64(known-done) / epoch.Add(span).Sub(now).Seconds()
		if limit := rate*maxWait.Seconds() + 1; float64(n) > limit {
			t.Fatalf("at %v: %d sends at once, over %.0f", now.Sub(epoch), n, limit)
		}
		done += n
		now = now.Add(wait)
	}
	if now.After(epoch.Add(span + maxWait)) {
		t.Fatalf("finished at %v, after the span", now.Sub(epoch))
	}
}
