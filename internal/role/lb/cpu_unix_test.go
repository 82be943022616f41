//go:build unix

package lb

import (
	"syscall"
	"time"
)

// processCPU returns the user and the system CPU time the process has
// used: the benchmark reports them apart, since the system part is the
// kernel's UDP work, the same for any LB, and the user part is what the
// LB's own code costs.
func processCPU() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}
