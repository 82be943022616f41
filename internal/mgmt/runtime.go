package mgmt

import (
	"fmt"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// RegisterRuntime exports the Go runtime's and the process's metrics
// (go_*, process_*: memory, GC, CPU, file descriptors, start time) and
// sipfleet_build_info, the usual constant 1 labelled with the version.
// A node calls it once; in the all-in-one mode only the first node should.
func RegisterRuntime(reg prometheus.Registerer, version string) error {
	info := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "sipfleet_build_info",
		Help:        "Always 1; the labels say which build runs.",
		ConstLabels: prometheus.Labels{"version": version, "go_version": runtime.Version()},
	}, func() float64 { return 1 })
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		info,
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register runtime metrics: %w", err)
		}
	}
	return nil
}
