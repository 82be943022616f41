package mgmt

import (
	"net/http"
	"os"
	"runtime"
	"time"
)

// Status is the body of GET /v1/status.
type Status struct {
	Node          string    `json:"node"`
	Roles         []string  `json:"roles"`
	Version       string    `json:"version"`
	GoVersion     string    `json:"go_version"`
	PID           int       `json:"pid"`
	Started       time.Time `json:"started"`
	UptimeSeconds float64   `json:"uptime_seconds"`
}

// Status returns what GET /v1/status answers.
func (s *Server) Status() Status {
	roles := s.cfg.Roles
	if roles == nil {
		roles = []string{}
	}
	return Status{
		Node:          s.cfg.Node,
		Roles:         roles,
		Version:       s.cfg.Version,
		GoVersion:     runtime.Version(),
		PID:           os.Getpid(),
		Started:       s.started,
		UptimeSeconds: s.cfg.Now().Sub(s.started).Round(time.Millisecond).Seconds(),
	}
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	WriteJSON(w, http.StatusOK, s.Status())
}
