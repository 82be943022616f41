package transaction

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Default timer values of RFC 3261 §17.1.1.1 and Table 4.
const (
	DefaultT1     = 500 * time.Millisecond
	DefaultT2     = 4 * time.Second
	DefaultT4     = 5 * time.Second
	DefaultTimerD = 32 * time.Second // "at least 32 s" on unreliable transports (§17.1.1.2)
	DefaultTick   = 10 * time.Millisecond
	DefaultShards = 64
	maxShards     = 1 << 16

	// trying100 is the 200 ms of §17.2.1 after which the INVITE server
	// transaction answers 100 Trying on the TU's behalf.
	trying100 = 200 * time.Millisecond
)

// Config tunes a Layer. The zero value is valid: every zero field takes its
// default.
type Config struct {
	// T1 is the RTT estimate, T2 the cap on non-INVITE and INVITE-response
	// retransmit intervals, T4 the time a message may stay in the network
	// (RFC 3261 §17.1.1.1, Table 4). Timers B, F, H, J, L and M are 64*T1.
	T1, T2, T4 time.Duration
	// TimerD is how long an INVITE client transaction absorbs final
	// response retransmissions on an unreliable transport (§17.1.1.2).
	TimerD time.Duration
	// TimerM is how long an INVITE client transaction stays Accepted after
	// a 2xx, passing 2xx retransmissions to its TU (RFC 6026); 0 means
	// 64*T1. A stateless relay such as the LB, which forwards a late 2xx
	// retransmission anyway, can keep it short and save the memory.
	TimerM time.Duration
	// Tick is the resolution of the timer wheel: timers fire up to one Tick
	// late. It must not exceed T1.
	Tick time.Duration
	// Shards is the number of independently locked partitions of the
	// transaction tables, rounded up to a power of two.
	Shards int
	// Clock drives the timers; nil means the system clock. Tests inject a
	// ManualClock so that no test sleeps.
	Clock Clock
	// Logger receives the rare events worth a line (timeouts, transport
	// errors); nil discards them.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.T1, DefaultT1)
	def(&c.T2, DefaultT2)
	def(&c.T4, DefaultT4)
	def(&c.TimerD, DefaultTimerD)
	def(&c.Tick, min(DefaultTick, c.T1))
	if c.Shards == 0 {
		c.Shards = DefaultShards
	}
	if c.Shards > 0 && c.Shards <= maxShards {
		n := 1
		for n < c.Shards {
			n <<= 1
		}
		c.Shards = n
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// validate reports every problem, not only the first.
func (c Config) validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"T1", c.T1}, {"T2", c.T2}, {"T4", c.T4}, {"TimerD", c.TimerD}, {"Tick", c.Tick}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s is negative: %v", d.name, d.v))
		}
	}
	if c.T2 < c.T1 {
		errs = append(errs, fmt.Errorf("T2 (%v) is below T1 (%v)", c.T2, c.T1))
	}
	if c.Tick > c.T1 {
		errs = append(errs, fmt.Errorf("tick (%v) exceeds T1 (%v)", c.Tick, c.T1))
	}
	if c.Shards < 1 || c.Shards > maxShards {
		errs = append(errs, fmt.Errorf("shards out of range: %d", c.Shards))
	}
	return errors.Join(errs...)
}

// timers derived from the configuration, in wheel ticks where they are
// scheduled.
func (c Config) timeout64() time.Duration { return 64 * c.T1 }

func (c Config) timerM() time.Duration {
	if c.TimerM > 0 {
		return c.TimerM
	}
	return c.timeout64()
}
