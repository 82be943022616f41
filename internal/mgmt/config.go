package mgmt

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config describes a Server. Zero durations take the defaults given with
// each field.
type Config struct {
	// Addr is the host:port to listen on (admin.listen); port 0 picks one.
	Addr string
	// Node, Roles and Version identify the node in /v1/status.
	Node    string
	Roles   []string
	Version string

	Logger   *slog.Logger         // nil: discard
	Registry *prometheus.Registry // required: what /metrics serves

	// ReadinessTimeout bounds one /readyz answer: a check still running
	// then counts as failing. Default 2s.
	ReadinessTimeout time.Duration
	// ReadHeaderTimeout, WriteTimeout and IdleTimeout protect the listener
	// from slow or idle clients; defaults 5s, 90s and 2m. The write timeout
	// is long enough for net/http/pprof's default 30s CPU profile, which
	// it refuses to take when the server's WriteTimeout is shorter.
	ReadHeaderTimeout time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration

	// Now reads the clock for the start time and uptime; default time.Now.
	Now func() time.Time
}

// Validate reports every problem in c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("listen address: required"))
	}
	if c.Registry == nil {
		errs = append(errs, errors.New("registry: required"))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"readiness timeout", c.ReadinessTimeout},
		{"read header timeout", c.ReadHeaderTimeout},
		{"write timeout", c.WriteTimeout},
		{"idle timeout", c.IdleTimeout},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s %v: must not be negative", d.name, d.v))
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.ReadinessTimeout = cmp.Or(c.ReadinessTimeout, 2*time.Second)
	c.ReadHeaderTimeout = cmp.Or(c.ReadHeaderTimeout, 5*time.Second)
	c.WriteTimeout = cmp.Or(c.WriteTimeout, 90*time.Second)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, 2*time.Minute)
	return c
}
