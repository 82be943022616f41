package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestReadiness(t *testing.T) {
	ok := func(context.Context) error { return nil }
	tests := []struct {
		name        string
		checks      map[string]func(context.Context) error
		drain       bool
		wantCode    int
		wantFailing []string
		wantChecks  map[string]string
	}{
		{name: "no checks", wantCode: 200, wantChecks: map[string]string{}},
		{name: "all pass", checks: map[string]func(context.Context) error{"lb": ok, "dispatcher": ok},
			wantCode: 200, wantChecks: map[string]string{"lb": "ok", "dispatcher": "ok"}},
		{name: "one fails", checks: map[string]func(context.Context) error{
			"lb": ok, "db": func(context.Context) error { return errors.New("ping: connection refused") },
		}, wantCode: 503, wantFailing: []string{"db"}, wantChecks: map[string]string{"lb": "ok", "db": "ping: connection refused"}},
		{name: "panic fails", checks: map[string]func(context.Context) error{
			"bad": func(context.Context) error { panic("boom") },
		}, wantCode: 503, wantFailing: []string{"bad"}, wantChecks: map[string]string{"bad": "check panicked: boom"}},
		{name: "too slow fails", checks: map[string]func(context.Context) error{
			"slow": func(ctx context.Context) error { <-ctx.Done(); return nil },
		}, wantCode: 503, wantFailing: []string{"slow"}, wantChecks: map[string]string{"slow": "no answer: context deadline exceeded"}},
		{name: "draining", checks: map[string]func(context.Context) error{"lb": ok}, drain: true,
			wantCode: 503, wantFailing: []string{"draining"}, wantChecks: map[string]string{"lb": "ok", "draining": "node is shutting down"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(c *Config) { c.ReadinessTimeout = 50 * time.Millisecond })
			for name, c := range tt.checks {
				s.AddReadiness(name, c)
			}
			if tt.drain {
				s.Drain()
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			var rd Readiness
			if err := json.Unmarshal(rec.Body.Bytes(), &rd); err != nil {
				t.Fatalf("%v: %s", err, rec.Body)
			}
			if rec.Code != tt.wantCode || rd.Ready != (tt.wantCode == 200) {
				t.Errorf("code %d ready %v, want %d", rec.Code, rd.Ready, tt.wantCode)
			}
			if want := append([]string{}, tt.wantFailing...); !slices.Equal(rd.Failing, want) {
				t.Errorf("failing %q, want %q", rd.Failing, want)
			}
			if len(rd.Checks) != len(tt.wantChecks) {
				t.Errorf("checks %v, want %v", rd.Checks, tt.wantChecks)
			}
			for k, v := range tt.wantChecks {
				if rd.Checks[k] != v {
					t.Errorf("check %s = %q, want %q", k, rd.Checks[k], v)
				}
			}
		})
	}
}

// TestReadinessFlips checks that /readyz follows a check over time, on a
// real listener, and that Shutdown's lame duck shows there.
func TestReadinessFlips(t *testing.T) {
	s := newServer(t, nil)
	var serving atomic.Bool
	s.AddReadiness("lb", func(context.Context) error {
		if !serving.Load() {
			return errors.New("not serving yet")
		}
		return nil
	})
	startServer(t, s)
	for _, step := range []struct {
		serving bool
		want    int
	}{{false, 503}, {true, 200}, {false, 503}, {true, 200}} {
		serving.Store(step.serving)
		if code, _, body := do(t, "GET", s.URL()+"/readyz", ""); code != step.want {
			t.Errorf("serving=%v: %d %s, want %d", step.serving, code, body, step.want)
		}
	}
	s.AddReadiness("lb", func(context.Context) error { return nil }) // replaces
	s.Drain()
	if code, _, body := do(t, "GET", s.URL()+"/readyz", ""); code != http.StatusServiceUnavailable {
		t.Errorf("draining: %d %s, want 503", code, body)
	}
	if code, _, _ := do(t, "GET", s.URL()+"/healthz", ""); code != http.StatusOK {
		t.Errorf("healthz while draining: %d, want 200", code)
	}
}
