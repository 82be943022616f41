package mgmt

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: the
// serving goroutine, a keep-alive connection, a readiness check.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
