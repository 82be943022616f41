package mgmt

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes mounts the built-in endpoints. "/" answers JSON 404s, so that a
// client asking a node for a route it does not serve (a registrar for
// /v1/dispatcher) gets an error it can print.
func (s *Server) routes() {
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{
		ErrorLog:      promLogger{s.log},
		ErrorHandling: promhttp.ContinueOnError,
		Timeout:       scrapeTimeout,
	}))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /v1/status", s.status)
	s.mux.HandleFunc("/", notFound)
}

// scrapeTimeout bounds one /metrics answer; Prometheus's own default
// scrape timeout is the same.
const scrapeTimeout = 10 * time.Second

// Handle mounts a role's route. pattern is an http.ServeMux pattern whose
// path is under /v1/, such as "GET /v1/dispatcher" or
// "POST /v1/dispatcher/reload", or under /debug/ (the profiler). A pattern
// elsewhere, or one that conflicts with a route already mounted, is an
// error.
func (s *Server) Handle(pattern string, h http.Handler) (err error) {
	if !mountable(pattern) {
		return fmt.Errorf("mount %q: path must start with /v1/ or /debug/", pattern)
	}
	// ServeMux panics on a bad or conflicting pattern; a role's mistake
	// should fail the node's start with an error, not crash it.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mount %q: %v", pattern, r)
		}
	}()
	s.mux.Handle(pattern, h)
	return nil
}

// HandleFunc is Handle for a function.
func (s *Server) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) error {
	return s.Handle(pattern, http.HandlerFunc(h))
}

// mountable reports whether the path of a "[METHOD ]/path" pattern is
// under /v1/ (but not the built-in /v1/status) or /debug/. A host in the
// pattern is refused: the API is the same whatever name the client used.
func mountable(pattern string) bool {
	if method, rest, ok := strings.Cut(pattern, " "); ok && method != "" {
		pattern = strings.TrimLeft(rest, " \t")
	}
	return (strings.HasPrefix(pattern, "/v1/") && pattern != "/v1/status") ||
		strings.HasPrefix(pattern, "/debug/")
}

func notFound(w http.ResponseWriter, r *http.Request) {
	WriteError(w, http.StatusNotFound, fmt.Errorf("no route %s %s on this node", r.Method, r.URL.Path))
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// promLogger passes promhttp's errors (a collector failing during a
// scrape) to the node's logger.
type promLogger struct{ log *slog.Logger }

func (p promLogger) Println(v ...any) {
	p.log.Warn("metrics scrape", "error", fmt.Sprint(v...))
}
