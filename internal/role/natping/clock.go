package natping

import "time"

// clock is the time source of the pacing loop; tests run whole cycles on
// a fake one, in no time.
type clock interface {
	Now() time.Time
	// After delivers on the channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// After uses time.After: since Go 1.23 a timer nobody waits on any
// more is collected without being stopped.
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
