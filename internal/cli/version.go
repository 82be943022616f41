package cli

import (
	"context"
	"fmt"
	"runtime"
)

func versionCommand() command {
	return command{name: "version", summary: "print the version", run: runVersion}
}

func runVersion(_ context.Context, a *App, args []string) int {
	fs := a.newFlags("version", "")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fmt.Fprintf(a.Stdout, "sipfleet %s %s %s/%s\n", a.version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return ExitOK
}
