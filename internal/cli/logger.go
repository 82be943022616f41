package cli

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"

	"github.com/sipfleet/sipfleet/internal/config"
)

// newLogger builds the one logger a command hands down to what it runs;
// nothing below cli makes its own or uses slog's default. A --log-level
// flag, when given, overrides log.level from the config.
func newLogger(w io.Writer, c config.Log, flagLevel string) (*slog.Logger, error) {
	name := cmp.Or(flagLevel, c.Level, "info")
	var level slog.Level
	if err := level.UnmarshalText([]byte(name)); err != nil {
		return nil, fmt.Errorf("bad log level %q: want debug, info, warn or error", name)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.Format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("bad log format %q: want text or json", c.Format)
	}
}
