package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sipfleet/sipfleet/internal/config"
)

func TestNewLogger(t *testing.T) {
	tests := []struct {
		name      string
		cfg       config.Log
		flag      string
		wantDebug bool
		wantJSON  bool
		wantErr   bool
	}{
		{name: "zero config is info text", cfg: config.Log{}},
		{name: "config level", cfg: config.Log{Level: "debug", Format: "text"}, wantDebug: true},
		{name: "flag overrides config", cfg: config.Log{Level: "debug"}, flag: "warn"},
		{name: "json", cfg: config.Log{Level: "info", Format: "json"}, flag: "debug", wantDebug: true, wantJSON: true},
		{name: "bad level", flag: "loud", wantErr: true},
		{name: "bad format", cfg: config.Log{Format: "xml"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := newLogger(&buf, tt.cfg, tt.flag)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			log.Debug("d")
			log.Info("i")
			out := buf.String()
			if got := strings.Contains(out, `"msg":"d"`) || strings.Contains(out, "msg=d"); got != tt.wantDebug {
				t.Errorf("debug logged = %v, want %v: %q", got, tt.wantDebug, out)
			}
			if got := strings.HasPrefix(out, "{"); got != tt.wantJSON {
				t.Errorf("JSON = %v, want %v: %q", got, tt.wantJSON, out)
			}
		})
	}
}
