//go:build !unix

package transport

import "time"

// processCPU is unknown here; the benchmark then reports no CPU figure.
func processCPU() time.Duration { return 0 }
