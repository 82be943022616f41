package config_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/sipfleet/sipfleet/internal/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the loader's output")

// TestGolden loads each testdata/*.yaml and compares the outcome with its
// .golden file: the errors, one per line, or "ok" and the loaded config
// with its defaults filled in.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no test inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			got := outcome(t, in)
			golden := strings.TrimSuffix(in, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s: got\n%s\nwant\n%s", in, got, want)
			}
		})
	}
}

func outcome(t *testing.T, path string) string {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		var errs config.Errors
		if !errors.As(err, &errs) {
			t.Fatalf("Load error is %T, not config.Errors: %v", err, err)
		}
		return err.Error() + "\n"
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return "ok\n" + string(out)
}
