package e2e

import (
	"embed"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/sipfleet/sipfleet/internal/testenv"
)

// scenarioFS holds the SIPp scenarios, so that a test binary finds them
// wherever it runs.
//
//go:embed scenarios/*.xml
var scenarioFS embed.FS

// Scenario writes the SIPp scenario name (e.g. "uac_call") to a directory
// of the test's own and returns its path, for SippOptions.Scenario.
func Scenario(t testing.TB, name string) string {
	t.Helper()
	b, err := scenarioFS.ReadFile(path.Join("scenarios", name+".xml"))
	if err != nil {
		t.Fatalf("scenario %q: %v (have %s)", name, err, strings.Join(ScenarioNames(), ", "))
	}
	return testenv.WriteFile(t, name+".xml", string(b))
}

// ScenarioNames lists the scenarios, sorted.
func ScenarioNames() []string {
	files, _ := fs.Glob(scenarioFS, "scenarios/*.xml")
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, strings.TrimSuffix(path.Base(f), ".xml"))
	}
	slices.Sort(names)
	return names
}
