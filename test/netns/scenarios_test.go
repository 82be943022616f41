//go:build linux

package netns

import (
	"embed"
	"path"
	"testing"

	"github.com/sipfleet/sipfleet/internal/testenv"
)

// scenarioFS holds the SIPp scenarios of this test; each documents its
// call flow and parameters in its header.
//
//go:embed scenarios/*.xml
var scenarioFS embed.FS

// scenario writes the scenario name to a directory of the test's own and
// returns its path, for SIPp's -sf.
func scenario(t *testing.T, name string) string {
	t.Helper()
	b, err := scenarioFS.ReadFile(path.Join("scenarios", name+".xml"))
	if err != nil {
		t.Fatalf("scenario %s: %v", name, err)
	}
	return testenv.WriteFile(t, name+".xml", string(b))
}
