package pike

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Config sets a Limiter's thresholds. Zero values take the defaults given
// with each field; negative or out-of-range values are errors.
type Config struct {
	// Interval is the sampling interval (Kamailio's sampling_time_unit);
	// default 2s.
	Interval time.Duration
	// Threshold is the number of requests a source may send per Interval
	// (Kamailio's reqs_density_per_unit); more and it is banned. Default 30.
	Threshold int
	// BanFor is how long a source over the threshold is refused; default 60s.
	BanFor time.Duration

	// IPv4PrefixLen and IPv6PrefixLen group sources: every address in one
	// prefix shares one count. Defaults 32 and 64.
	IPv4PrefixLen int
	IPv6PrefixLen int

	// MaxTracked caps the sources counted at once, to bound memory (about
	// 100 bytes each); default 65536.
	MaxTracked int

	// Trusted sources (the backends, monitoring) are never counted nor
	// banned.
	Trusted []netip.Prefix
}

const (
	defaultInterval   = 2 * time.Second
	defaultThreshold  = 30
	defaultBanFor     = 60 * time.Second
	defaultMaxTracked = 1 << 16
)

// Validate reports every problem in c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Interval < 0 {
		bad("interval %v: must not be negative", c.Interval)
	}
	if c.Threshold < 0 {
		bad("threshold %d: must not be negative", c.Threshold)
	}
	if c.BanFor < 0 {
		bad("ban %v: must not be negative", c.BanFor)
	}
	if c.IPv4PrefixLen < 0 || c.IPv4PrefixLen > 32 {
		bad("IPv4 prefix length %d: want 1 to 32", c.IPv4PrefixLen)
	}
	if c.IPv6PrefixLen < 0 || c.IPv6PrefixLen > 128 {
		bad("IPv6 prefix length %d: want 1 to 128", c.IPv6PrefixLen)
	}
	if c.MaxTracked < 0 {
		bad("max tracked %d: must not be negative", c.MaxTracked)
	}
	for _, p := range c.Trusted {
		if !p.IsValid() {
			bad("trusted prefix %v: invalid", p)
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	c.Interval = cmp.Or(c.Interval, defaultInterval)
	c.Threshold = cmp.Or(c.Threshold, defaultThreshold)
	c.BanFor = cmp.Or(c.BanFor, defaultBanFor)
	c.IPv4PrefixLen = cmp.Or(c.IPv4PrefixLen, 32)
	c.IPv6PrefixLen = cmp.Or(c.IPv6PrefixLen, 64)
	c.MaxTracked = cmp.Or(c.MaxTracked, defaultMaxTracked)
	return c
}
