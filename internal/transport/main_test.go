package transport

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind. With
// echoClientEnv set, the binary is instead BenchmarkUDPEcho's client
// process.
func TestMain(m *testing.M) {
	if spec := os.Getenv(echoClientEnv); spec != "" {
		os.Exit(echoClientMain(spec))
	}
	goleak.VerifyTestMain(m)
}
