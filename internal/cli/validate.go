package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/sipfleet/sipfleet/internal/config"
)

func validateCommand() command {
	return command{name: "validate", summary: "check a config file and report every problem", run: runValidate}
}

// runValidate prints every problem in the file, one "file:line: key:
// problem" a line on stdout, where scripts and editors read them.
func runValidate(_ context.Context, a *App, args []string) int {
	fs := a.newFlags("validate", "--config FILE")
	path := fs.String("config", "", "the config `file` to check")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *path == "" {
		fmt.Fprintln(a.Stderr, "sipfleet validate: --config is required")
		fs.Usage()
		return ExitUsage
	}
	if _, err := a.loadConfig("validate", *path); err != nil {
		return ExitFail
	}
	fmt.Fprintln(a.Stdout, "ok")
	return ExitOK
}

// loadConfig loads a config file for a command and reports failure itself:
// each problem in the file on stdout, then a one-line summary on stderr.
func (a *App) loadConfig(cmd, path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	var errs config.Errors
	switch {
	case errors.As(err, &errs):
		fmt.Fprintln(a.Stdout, errs)
		fmt.Fprintf(a.Stderr, "sipfleet %s: %s: %s\n", cmd, path, countProblems(len(errs)))
	case err != nil:
		fmt.Fprintf(a.Stderr, "sipfleet %s: %v\n", cmd, err)
	}
	return cfg, err
}

func countProblems(n int) string {
	if n == 1 {
		return "1 problem"
	}
	return fmt.Sprintf("%d problems", n)
}
