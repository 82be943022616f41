package mgmt

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// newServer builds a Server on a loopback port 0 with a fresh registry;
// edit changes the config first.
func newServer(t *testing.T, edit func(*Config)) *Server {
	t.Helper()
	cfg := Config{Addr: "127.0.0.1:0", Node: "lb1", Roles: []string{"lb"}, Version: "v0.1.0", Registry: prometheus.NewRegistry()}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startServer starts s and shuts it down when the test ends.
func startServer(t *testing.T, s *Server) {
	t.Helper()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
}

// do sends one request on a client that keeps no connection open, so that
// the leak check sees none.
func do(t *testing.T, method, url, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}
