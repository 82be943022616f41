// Command sipfleet runs the nodes of a sipfleet SIP platform and talks to
// them. This file only ties the process to internal/cli: signals in, exit
// code out.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sipfleet/sipfleet/internal/cli"
)

// version is the release, set when building:
//
//	go build -ldflags "-X main.version=v0.1.0" ./cmd/sipfleet
var version = "dev"

func main() {
	// SIGINT and SIGTERM cancel ctx; commands that serve shut down
	// gracefully on it, and a second signal kills the process as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	app := &cli.App{Version: version, Stdout: os.Stdout, Stderr: os.Stderr}
	code := app.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
