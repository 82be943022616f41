package mgmt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

type state uint8

const (
	stateNew state = iota
	stateStarted
	stateClosed
)

// Server is a node's management HTTP listener. Life cycle: New, then
// routes and readiness checks added by the roles, Start, Shutdown. Handle
// and AddReadiness may also be called after Start.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	http    *http.Server
	started time.Time

	checks   readiness
	draining atomic.Bool

	mu    sync.Mutex
	state state
	addr  netip.AddrPort
	done  chan struct{} // closed when Serve has returned
}

// New validates cfg and builds a Server with the built-in routes; nothing
// is bound until Start. The start time in /v1/status is New's.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("management config: %w", err)
	}
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		mux:     http.NewServeMux(),
		started: cfg.Now(),
		done:    make(chan struct{}),
	}
	s.checks.init()
	s.routes()
	s.http = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadHeaderTimeout + cfg.WriteTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// ServeHTTP serves the management routes; Start uses it on its listener,
// and tests may use it without one.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Start binds the listen address and serves on it in a goroutine. A bind
// error is returned here, not logged later; the Server may then be started
// again.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateNew {
		return errors.New("start management listener: already started or shut down")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("start management listener: %w", err)
	}
	s.addr = ln.Addr().(*net.TCPAddr).AddrPort()
	s.state = stateStarted
	go s.serve(ln)
	s.log.Info("management listening", "addr", s.addr)
	return nil
}

func (s *Server) serve(ln net.Listener) {
	defer close(s.done)
	if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("management listener failed", "addr", s.addr, "error", err)
	}
}

// Addr returns the bound address, or the zero AddrPort before Start.
func (s *Server) Addr() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL returns the base URL of the bound listener, e.g. for
// `sipfleet ctl --admin`, or "" before Start.
func (s *Server) URL() string {
	if a := s.Addr(); a.IsValid() {
		return "http://" + a.String()
	}
	return ""
}

// Shutdown makes /readyz fail, stops accepting, lets the requests in
// flight finish until ctx is done, then closes what is left. It returns
// when the serving goroutine has ended. Calling it again, or before Start,
// does nothing.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	prev := s.state
	s.state = stateClosed
	s.mu.Unlock()
	if prev != stateStarted {
		return nil
	}
	s.draining.Store(true)
	var errs []error
	if err := s.http.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down management listener: %w", err), s.http.Close())
	}
	<-s.done
	return errors.Join(errs...)
}
