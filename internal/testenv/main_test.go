package testenv

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs the helper program when a node test started this binary
// as one, and otherwise the tests, failing the package if any leaves a
// goroutine behind.
func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode, os.Args[2:])) // os.Args[1] repeats the mode
	}
	goleak.VerifyTestMain(m)
}
