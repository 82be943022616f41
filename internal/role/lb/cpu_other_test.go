//go:build !unix

package lb

import "time"

// processCPU is unknown here; the benchmark then reports no CPU figures.
func processCPU() (user, sys time.Duration) { return 0, 0 }
