package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestEndpoints(t *testing.T) {
	s := newServer(t, nil)
	if err := RegisterGaugeFunc(s.cfg.Registry, "sipfleet_test_things", "Things.", func() float64 { return 7 }); err != nil {
		t.Fatal(err)
	}
	startServer(t, s)
	tests := []struct {
		method, path string
		wantCode     int
		wantType     string
		wantBody     string
	}{
		{"GET", "/healthz", 200, "text/plain", "ok\n"},
		{"HEAD", "/healthz", 200, "text/plain", ""},
		{"GET", "/readyz", 200, "application/json", `"ready":true`},
		{"GET", "/v1/status", 200, "application/json", `"node":"lb1","roles":["lb"],"version":"v0.1.0"`},
		{"GET", "/metrics", 200, "text/plain", "sipfleet_test_things 7\n"},
		{"GET", "/v1/dispatcher", 404, "application/json", `{"error":"no route GET /v1/dispatcher on this node"}`},
		{"POST", "/v1/status", 404, "application/json", `"error":"no route POST /v1/status`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			code, h, body := do(t, tt.method, s.URL()+tt.path, "")
			if code != tt.wantCode || !strings.HasPrefix(h.Get("Content-Type"), tt.wantType) || !strings.Contains(body, tt.wantBody) {
				t.Errorf("got %d %q %q; want %d %q containing %q", code, h.Get("Content-Type"), body, tt.wantCode, tt.wantType, tt.wantBody)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	now := t0
	s := newServer(t, func(c *Config) { c.Now = func() time.Time { return now } })
	now = t0.Add(90*time.Second + 1500*time.Microsecond)
	startServer(t, s)
	_, _, body := do(t, "GET", s.URL()+"/v1/status", "")
	var st Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if st.Node != "lb1" || len(st.Roles) != 1 || st.Roles[0] != "lb" || st.Version != "v0.1.0" ||
		!st.Started.Equal(t0) || st.UptimeSeconds != 90.002 || st.PID == 0 || !strings.HasPrefix(st.GoVersion, "go") {
		t.Errorf("status %+v", st)
	}
	if got := newServer(t, func(c *Config) { c.Roles = nil }).Status().Roles; got == nil {
		t.Error("roles should be [] in JSON, not null")
	}
}

func TestStartAndShutdown(t *testing.T) {
	s := newServer(t, nil)
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("shutdown before start: %v", err)
	}
	if err := s.Start(context.Background()); err == nil {
		t.Error("start after shutdown succeeded")
	}

	s = newServer(t, nil)
	if s.URL() != "" || s.Addr().IsValid() {
		t.Errorf("address %v before start", s.Addr())
	}
	startServer(t, s)
	if s.Addr().Port() == 0 {
		t.Errorf("bound address %v has no port", s.Addr())
	}
	if err := s.Start(context.Background()); err == nil {
		t.Error("second start succeeded")
	}

	// The port is taken: the error comes from Start, not later.
	taken := newServer(t, func(c *Config) { c.Addr = s.Addr().String() })
	if err := taken.Start(context.Background()); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("start on a taken port: %v, want EADDRINUSE", err)
	}

	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("second shutdown: %v", err)
	}
	if _, err := net.Dial("tcp", s.Addr().String()); err == nil {
		t.Error("still accepting after shutdown")
	}
}

func TestConfigValidate(t *testing.T) {
	_, err := New(Config{ReadinessTimeout: -1, WriteTimeout: -1})
	if err == nil {
		t.Fatal("New accepted a bad config")
	}
	for _, want := range []string{"listen address", "registry", "readiness timeout", "write timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// TestGracefulShutdown checks that Shutdown lets a request in flight
// finish, and returns only after it did.
func TestGracefulShutdown(t *testing.T) {
	s := newServer(t, nil)
	entered, release := make(chan struct{}), make(chan struct{})
	if err := s.HandleFunc("GET /v1/slow", func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		WriteJSON(w, http.StatusOK, map[string]string{"done": "yes"})
	}); err != nil {
		t.Fatal(err)
	}
	began := make(chan struct{})
	s.http.RegisterOnShutdown(func() { close(began) })
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}

	type answer struct {
		code int
		body string
	}
	answers := make(chan answer, 1)
	go func() {
		code, _, body := do(t, "GET", s.URL()+"/v1/slow", "")
		answers <- answer{code, body}
	}()
	<-entered
	shutdown := make(chan error, 1)
	go func() { shutdown <- s.Shutdown(context.Background()) }()
	<-began
	select {
	case err := <-shutdown:
		t.Fatalf("shutdown returned (%v) while a request was in flight", err)
	default:
	}
	close(release)
	if a := <-answers; a.code != http.StatusOK || !strings.Contains(a.body, `"done":"yes"`) {
		t.Errorf("request in flight during shutdown: %d %q", a.code, a.body)
	}
	if err := <-shutdown; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// TestShutdownDeadline checks that a handler that does not finish in the
// grace period is cut off and Shutdown says so.
func TestShutdownDeadline(t *testing.T) {
	s := newServer(t, nil)
	entered := make(chan struct{})
	if err := s.HandleFunc("GET /v1/stuck", func(_ http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /v1/stuck HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("shutdown past its deadline: %v, want context.Canceled", err)
	}
}
