package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/cli"
	"github.com/sipfleet/sipfleet/internal/testenv"
)

// fleetFile is a whole fleet in one file, each listener tied to its role,
// on ports the kernel picks; %[1]s is the IP, %[2]s the admin address,
// %[3]s the data directory.
const fleetFile = `log:
  level: info
admin:
  listen: %[2]s
listeners:
  - name: lb-public
    role: lb
    side: public
    listen: %[1]s:0
  - name: lb-private
    role: lb
    side: private
    listen: %[1]s:0
  - name: registrar
    role: registrar
    side: private
    listen: %[1]s:0
  - name: proxy
    role: proxy
    side: private
    listen: %[1]s:0
lb:
  dispatcher_list: %[3]s/dispatcher.list
  probe:
    mode: off
registrar:
  db: sqlite:%[3]s/fleet.db
proxy:
  db: sqlite:%[3]s/fleet.db
`

// TestRunWholeFleetFile: `run` starts every role of a file, each on its
// own listeners (the log names each listener once, with its role), and
// stops with 0 when cancelled.
func TestRunWholeFleetFile(t *testing.T) {
	ip := testenv.LoopbackIP(t, runTestIP)
	admin := testenv.AddrPort(ip, testenv.FreeTCPPort(t, ip))
	dir := t.TempDir()
	list := "1 sip:127.0.0.1:5071 0 0\n2 sip:127.0.0.1:5081 0 0\n"
	if err := os.WriteFile(filepath.Join(dir, "dispatcher.list"), []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(path, fmt.Appendf(nil, fleetFile, ip, admin, dir), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "", "validate", "--config", path); code != cli.ExitOK {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errOut)
	}
	p := start(t, "run", "--config", path)
	waitReady(t, p, "http://"+admin.String()+"/readyz")
	if roles := statusRoles(t, "http://"+admin.String()+"/v1/status"); !slices.Equal(roles, []string{"lb", "registrar", "proxy"}) {
		t.Errorf("roles %v, want [lb registrar proxy]", roles)
	}
	logs := p.out.String()
	for _, l := range []string{"lb-public", "lb-private", "registrar", "proxy"} {
		if n := strings.Count(logs, "msg=listening listener="+l+" "); n != 1 {
			t.Errorf("listener %s bound %d times, want once:\n%s", l, n, logs)
		}
	}
	if code := p.stop(t); code != cli.ExitOK {
		t.Errorf("exit %d after cancel, want 0:\n%s", code, p.out.String())
	}
}

func statusRoles(t *testing.T, url string) []string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Roles []string `json:"roles"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st.Roles
}

func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no config", []string{"run"}, cli.ExitUsage, "", "sipfleet run: --config is required"},
		{"no role", []string{"run", "--config", "testdata/good.yaml"}, cli.ExitFail, "", "the config runs no role"},
		{"bad config", []string{"run", "--config", "testdata/bad.yaml"}, cli.ExitFail, "testdata/bad.yaml:2: log.level", "sipfleet run: testdata/bad.yaml: 3 problems"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantStdout) || !strings.Contains(errOut, tt.wantStderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q and %q", code, out, errOut, tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
		})
	}
}
