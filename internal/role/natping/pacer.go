package natping

import "time"

// Bounds of the pacer's sleeps.
const (
	// minWait: below it a wake-up costs more than sending a few packets
	// early saves; at 200,000 pings/s it is a batch of a few hundred,
	// a handful of sendmmsg calls.
	minWait = 2 * time.Millisecond
	// maxWait: the pacer looks again at least this often, since the rate
	// changes as the reader learns how many bindings there are.
	maxWait = 100 * time.Millisecond
)

// pacer spreads one cycle's sends evenly up to its end. It does not need
// to know in advance how many there will be: at each wake-up the rate is
// what is left divided by the time left, so an estimate that grows (the
// reader is still reading) only makes the sends go faster from then on,
// never in a burst. Sends that were due but had nothing to send (the
// database is slower than the schedule) are not saved up.
type pacer struct {
	end    time.Time // when the last send of the cycle should go
	last   time.Time // the previous wake-up
	credit float64   // sends due and not yet made, fractional
}

func newPacer(start, end time.Time) *pacer {
	return &pacer{end: end, last: start}
}

// due says how many sends to make at now: left is how many the cycle
// still has to make (known or estimated), ready how many of them can go
// now. wait is how long to sleep before asking again.
func (p *pacer) due(now time.Time, left, ready int) (n int, wait time.Duration) {
	if left <= 0 || ready <= 0 {
		p.last = now
		p.credit = 0
		return 0, maxWait
	}
	if !now.Before(p.end) { // behind the schedule: whatever is ready goes now
		p.last = now
		p.credit = 0
		return ready, minWait
	}
	// The rate is the one that, from the previous wake-up, reaches the
	// end with what was left then. The credit carried over is already
	// owed; counting it in the rate too would pay it twice and run
	// ahead of the line.
	rate := max(float64(left)-p.credit, 1) / p.end.Sub(p.last).Seconds()
	p.credit += rate * now.Sub(p.last).Seconds()
	p.last = now
	if p.credit > float64(ready) {
		p.credit = float64(ready)
	}
	n = int(p.credit)
	p.credit -= float64(n)
	wait = time.Duration((1 - p.credit) / rate * float64(time.Second))
	return n, min(max(wait, minWait), maxWait)
}
