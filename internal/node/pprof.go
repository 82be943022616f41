package node

import (
	"net/http"
	"net/http/pprof"

	"github.com/sipfleet/sipfleet/internal/mgmt"
)

// mountPprof serves Go's profiler on the management listener (which binds
// to localhost unless told otherwise), so an operator can see where a
// node spends its time under real load.
func mountPprof(a *mgmt.Server) error {
	for pattern, h := range map[string]func(w http.ResponseWriter, r *http.Request){
		"GET /debug/pprof/":        pprof.Index,
		"GET /debug/pprof/cmdline": pprof.Cmdline,
		"GET /debug/pprof/profile": pprof.Profile,
		"GET /debug/pprof/symbol":  pprof.Symbol,
		"GET /debug/pprof/trace":   pprof.Trace,
	} {
		if err := a.HandleFunc(pattern, h); err != nil {
			return err
		}
	}
	return nil
}
