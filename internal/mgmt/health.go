package mgmt

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
)

// readiness holds the named checks /readyz runs.
type readiness struct {
	mu     sync.Mutex
	checks map[string]func(context.Context) error
}

func (r *readiness) init() { r.checks = make(map[string]func(context.Context) error) }

func (r *readiness) snapshot() map[string]func(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.checks)
}

// AddReadiness adds, or replaces, the check called name. /readyz answers
// 200 only while every check returns nil. A check gets a context that ends
// after Config.ReadinessTimeout and should return by then; it runs on
// every /readyz request, so it should be cheap (a flag, a ping).
func (s *Server) AddReadiness(name string, check func(ctx context.Context) error) {
	s.checks.mu.Lock()
	defer s.checks.mu.Unlock()
	s.checks.checks[name] = check
}

// Drain makes /readyz fail from now on, while everything else goes on
// serving: the "lame duck" period before shutdown, in which keepalived or
// a load balancer stops sending new work here.
func (s *Server) Drain() { s.draining.Store(true) }

// drainingCheck is the name /readyz gives the failure Drain causes.
const drainingCheck = "draining"

// Readiness is the body of GET /readyz: each check's result ("ok" or its
// error) and the names of the failing ones, sorted.
type Readiness struct {
	Ready   bool              `json:"ready"`
	Checks  map[string]string `json:"checks"`
	Failing []string          `json:"failing"`
}

// CheckReadiness runs every check concurrently, as /readyz does. A check
// that has not returned when ctx or the readiness timeout ends fails.
func (s *Server) CheckReadiness(ctx context.Context) Readiness {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadinessTimeout)
	defer cancel()
	checks := s.checks.snapshot()
	type result struct {
		name string
		err  error
	}
	// Buffered so that a check returning after the timeout does not block.
	results := make(chan result, len(checks))
	for name, check := range checks {
		go func() { results <- result{name, runCheck(ctx, check)} }()
	}
	errs := make(map[string]error, len(checks)+1)
	for range checks {
		select {
		case r := <-results:
			errs[r.name] = r.err
		case <-ctx.Done():
		}
	}
	for name := range checks {
		if _, ok := errs[name]; !ok {
			errs[name] = fmt.Errorf("no answer: %w", ctx.Err())
		}
	}
	if s.draining.Load() {
		errs[drainingCheck] = errors.New("node is shutting down")
	}
	return readinessOf(errs)
}

func readinessOf(errs map[string]error) Readiness {
	rd := Readiness{Checks: make(map[string]string, len(errs)), Failing: []string{}}
	for name, err := range errs {
		if err == nil {
			rd.Checks[name] = "ok"
			continue
		}
		rd.Checks[name] = err.Error()
		rd.Failing = append(rd.Failing, name)
	}
	slices.Sort(rd.Failing)
	rd.Ready = len(rd.Failing) == 0
	return rd
}

// runCheck turns a panicking check into a failing one: a bug in one
// role's check must not take the node down.
func runCheck(ctx context.Context, check func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("check panicked: %v", r)
		}
	}()
	return check(ctx)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	rd := s.CheckReadiness(r.Context())
	status := http.StatusOK
	if !rd.Ready {
		status = http.StatusServiceUnavailable
	}
	WriteJSON(w, status, rd)
}
