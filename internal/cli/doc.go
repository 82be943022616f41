// Package cli is the sipfleet command line: it parses the arguments, loads
// the config, builds the logger and hands them to what the command runs.
// Each subcommand lives in its own small file; cmd/sipfleet only wires the
// process (signals, exit code) to App.Run, so that tests run commands
// in-process with their output captured.
//
// Commands that act on a running node will talk to it only through its
// admin HTTP API, never by reaching into its packages.
package cli
