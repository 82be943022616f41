package cli_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sipfleet/sipfleet/internal/cli"
	"github.com/sipfleet/sipfleet/internal/mgmt"
)

// fakeNode answers the management routes ctl calls with canned bodies and
// records the requests it got.
type fakeNode struct {
	mu   sync.Mutex
	reqs []string // "METHOD /path?query body"
}

const (
	statusJSON     = `{"node":"lb1","roles":["lb"],"version":"v0.3.0","go_version":"go1.26.8","pid":42,"started":"2026-01-01T12:00:00Z","uptime_seconds":3661.5}`
	dispatcherJSON = `[{"setid":1,"uri":"sip:10.0.0.1:5060","state":"active","priority":0,"weight":50,"last_probe":"2026-01-01T12:00:00Z","latency_ms":1.25,"failures":0,"inflight":3,"rweight":9},` +
		`{"setid":2,"uri":"sip:10.0.0.2:5060","state":"inactive","priority":1,"weight":50,"last_probe":null,"latency_ms":0,"failures":12345678901,"inflight":0,"attrs":{"duid":"b"}}]`
	contactsJSON = `[{"aor":"alice@example.com","contact":"sip:alice@192.0.2.1:5060","expires":3600,"path":["<sip:lb;lr>"],"q":0.5}]`
	metricsText  = `# HELP sipfleet_transport_packets_in_total Messages.
# TYPE sipfleet_transport_packets_in_total counter
sipfleet_transport_packets_in_total 12345
# HELP sipfleet_transport_errors_total Errors.
# TYPE sipfleet_transport_errors_total counter
sipfleet_transport_errors_total{op="read"} 0
sipfleet_transport_errors_total{op="send"} 2
# HELP sipfleet_pike_banned_sources Banned.
# TYPE sipfleet_pike_banned_sources gauge
sipfleet_pike_banned_sources 1
# HELP sipfleet_lb_forward_seconds Forwarding time.
# TYPE sipfleet_lb_forward_seconds histogram
sipfleet_lb_forward_seconds_bucket{le="0.001"} 3
sipfleet_lb_forward_seconds_bucket{le="+Inf"} 4
sipfleet_lb_forward_seconds_sum 0.5
sipfleet_lb_forward_seconds_count 4
# HELP go_goroutines Goroutines.
# TYPE go_goroutines gauge
go_goroutines 9
`
)

func (f *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := r.Method + " " + r.URL.RequestURI()
	if len(body) > 0 {
		req += " " + string(body)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	switch req {
	case "GET /v1/status":
		io.WriteString(w, statusJSON)
	case "GET /metrics":
		io.WriteString(w, metricsText)
	case "GET /v1/dispatcher":
		io.WriteString(w, dispatcherJSON)
	case `POST /v1/dispatcher/state {"setid":1,"uri":"sip:10.0.0.1:5060","state":"disabled"}`:
		io.WriteString(w, `{"result":"ok"}`)
	case "POST /v1/dispatcher/state " + `{"setid":9,"uri":"sip:nowhere","state":"active"}`:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"set state of \"sip:nowhere\" in set 9: no such destination"}`)
	case "POST /v1/dispatcher/reload":
		io.WriteString(w, `{"destinations":4,"sets":2}`)
	case "GET /v1/contacts?aor=alice%40example.com":
		io.WriteString(w, contactsJSON)
	case "GET /v1/contacts":
		io.WriteString(w, `{"contacts":[]}`)
	default:
		http.Error(w, "proxy error: upstream went away\nmore detail", http.StatusBadGateway)
	}
}

func (f *fakeNode) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reqs...)
}

func TestCtl(t *testing.T) {
	fake := &fakeNode{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // exact, unless empty
		wantOut    []string
		wantStderr string
		wantReq    string // the last request the node got
	}{
		{
			name: "status", args: []string{"status"},
			wantStdout: "node        lb1\nroles       lb\nversion     v0.3.0\ngo_version  go1.26.8\npid         42\n" +
				"started     2026-01-01T12:00:00Z\nuptime      1h1m1s\n",
		},
		{name: "status --json", args: []string{"--json", "status"}, wantStdout: statusJSON + "\n"},
		{
			name: "stats hides zeros", args: []string{"stats"},
			wantStdout: "METRIC                      LABELS   VALUE\n" +
				"lb_forward_seconds_count    -        4\n" +
				"lb_forward_seconds_sum      -        0.5\n" +
				"pike_banned_sources         -        1\n" +
				"transport_errors_total      op=send  2\n" +
				"transport_packets_in_total  -        12345\n" +
				"(1 zero-valued series not shown; --all shows them)\n",
		},
		{name: "stats --all", args: []string{"stats", "--all"}, wantOut: []string{"transport_errors_total      op=read  0\n"}},
		{name: "stats --json", args: []string{"stats", "--json"}, wantOut: []string{
			`"name": "sipfleet_transport_errors_total",` + "\n    \"labels\": {\n      \"op\": \"send\"\n    },\n    \"value\": 2",
		}},
		{
			name: "dispatcher list", args: []string{"dispatcher", "list"},
			wantStdout: "SETID  URI                STATE     PRIORITY  WEIGHT  LAST_PROBE            LATENCY_MS  FAILURES     INFLIGHT  ATTRS         RWEIGHT\n" +
				"1      sip:10.0.0.1:5060  active    0         50      2026-01-01T12:00:00Z  1.25        0            3         -             9\n" +
				"2      sip:10.0.0.2:5060  inactive  1         50      -                     0           12345678901  0         {\"duid\":\"b\"}  -\n",
			wantReq: "GET /v1/dispatcher",
		},
		{name: "dispatcher list --json after the words", args: []string{"dispatcher", "list", "--json"}, wantStdout: dispatcherJSON + "\n"},
		{
			name: "set-state", args: []string{"dispatcher", "set-state", "1", "sip:10.0.0.1:5060", "disabled"},
			wantStdout: "set 1 sip:10.0.0.1:5060: disabled\n",
			wantReq:    `POST /v1/dispatcher/state {"setid":1,"uri":"sip:10.0.0.1:5060","state":"disabled"}`,
		},
		{
			name: "set-state --json", args: []string{"--json", "dispatcher", "set-state", "1", "sip:10.0.0.1:5060", "disabled"},
			wantStdout: `{"result":"ok"}` + "\n",
		},
		{
			name: "set-state refused by the node", args: []string{"dispatcher", "set-state", "9", "sip:nowhere", "active"},
			wantCode: cli.ExitFail, wantStderr: "sipfleet ctl: set state of \"sip:nowhere\" in set 9: no such destination (HTTP 404)\n",
		},
		{name: "set-state bad state", args: []string{"dispatcher", "set-state", "1", "sip:a", "dead"}, wantCode: cli.ExitUsage, wantStderr: `bad state "dead"`},
		{name: "set-state bad set id", args: []string{"dispatcher", "set-state", "x", "sip:a", "active"}, wantCode: cli.ExitUsage, wantStderr: `bad set id "x"`},
		{name: "set-state missing arguments", args: []string{"dispatcher", "set-state", "1"}, wantCode: cli.ExitUsage, wantStderr: "want SETID URI STATE"},
		{
			name: "reload", args: []string{"dispatcher", "reload"},
			wantStdout: "dispatcher reloaded\ndestinations  4\nsets          2\n", wantReq: "POST /v1/dispatcher/reload",
		},
		{
			name: "contacts of one AOR", args: []string{"contacts", "list", "alice@example.com"},
			wantStdout: "AOR                CONTACT                   EXPIRES  Q    PATH\n" +
				"alice@example.com  sip:alice@192.0.2.1:5060  3600     0.5  <sip:lb;lr>\n",
			wantReq: "GET /v1/contacts?aor=alice%40example.com",
		},
		{name: "no contacts", args: []string{"contacts", "list"}, wantStdout: "no contacts\n", wantReq: "GET /v1/contacts"},
		{name: "no subcommand", args: nil, wantCode: cli.ExitUsage, wantStderr: "sipfleet ctl: missing subcommand\nusage: sipfleet ctl [flags] <subcommand>"},
		{name: "unknown subcommand", args: []string{"frob"}, wantCode: cli.ExitUsage, wantStderr: `unknown subcommand "frob"`},
		{name: "dispatcher alone", args: []string{"dispatcher"}, wantCode: cli.ExitUsage, wantStderr: "dispatcher: missing subcommand"},
		{name: "stray argument", args: []string{"status", "now"}, wantCode: cli.ExitUsage, wantStderr: `unexpected argument "now"`},
		{name: "unknown flag", args: []string{"status", "--nope"}, wantCode: cli.ExitUsage, wantStderr: "flag provided but not defined: -nope"},
		{name: "bad admin URL", args: []string{"--admin", "ftp://x", "status"}, wantCode: cli.ExitUsage, wantStderr: `bad --admin "ftp://x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"ctl", "--admin", srv.URL}, tt.args...)
			code, out, errOut := run(t, "", args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.wantCode, errOut)
			}
			if tt.wantStdout != "" && out != tt.wantStdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, tt.wantStdout)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			if !strings.Contains(errOut, tt.wantStderr) || (tt.wantStderr == "" && errOut != "") {
				t.Errorf("stderr %q, want %q", errOut, tt.wantStderr)
			}
			if reqs := fake.requests(); tt.wantReq != "" && (len(reqs) == 0 || reqs[len(reqs)-1] != tt.wantReq) {
				t.Errorf("last request %q, want %q", reqs, tt.wantReq)
			}
		})
	}
}

func TestCtlErrors(t *testing.T) {
	// A port nothing listens on: bind one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	stuck := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer stuck.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "", http.StatusInternalServerError)
	}))
	defer broken.Close()
	notJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello") }))
	defer notJSON.Close()

	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"connection refused", []string{"--admin", closed, "status"},
			fmt.Sprintf("sipfleet ctl: cannot reach node at %s: is it running? (--admin)\n", closed)},
		{"bare host:port", []string{"--admin", strings.TrimPrefix(closed, "http://"), "dispatcher", "list"},
			fmt.Sprintf("sipfleet ctl: cannot reach node at %s: is it running? (--admin)\n", closed)},
		{"timeout", []string{"--admin", stuck.URL, "--timeout", "50ms", "dispatcher", "reload"},
			fmt.Sprintf("sipfleet ctl: node at %s did not answer within 50ms (--timeout)\n", stuck.URL)},
		{"error without a body", []string{"--admin", broken.URL, "status"},
			"sipfleet ctl: Internal Server Error (HTTP 500)\n"},
		{"answer not JSON", []string{"--admin", notJSON.URL, "dispatcher", "list"},
			"sipfleet ctl: destinations: node sent an answer that is not JSON"},
		{"metrics not text format", []string{"--admin", notJSON.URL, "stats"},
			"sipfleet ctl: read metrics:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", append([]string{"ctl"}, tt.args...)...)
			if code != cli.ExitFail || out != "" || !strings.HasPrefix(errOut, tt.wantStderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, %q", code, out, errOut, tt.wantStderr)
			}
		})
	}
}

func TestCtlDefaultAdmin(t *testing.T) {
	t.Setenv("SIPFLEET_ADMIN", "")
	code, _, errOut := run(t, "", "help", "ctl")
	if code != cli.ExitOK || !strings.Contains(errOut, "dispatcher set-state SETID URI STATE") || !strings.Contains(errOut, "http://127.0.0.1:9060") {
		t.Errorf("help ctl: exit %d, stderr %q", code, errOut)
	}
	t.Setenv("SIPFLEET_ADMIN", "http://127.0.0.1:1")
	if _, _, errOut := run(t, "", "ctl", "status"); !strings.Contains(errOut, "node at http://127.0.0.1:1") {
		t.Errorf("SIPFLEET_ADMIN not used: %q", errOut)
	}
}

// TestCtlAgainstMgmt runs ctl against a real management server, so that a
// change to mgmt's answers that ctl cannot read fails here.
func TestCtlAgainstMgmt(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := mgmt.New(mgmt.Config{Addr: "127.0.0.1:0", Node: "reg1", Roles: []string{"registrar"}, Version: "v1", Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := mgmt.RegisterGaugeFunc(reg, "sipfleet_test_level", "Level.", func() float64 { return 3 }); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())

	tests := []struct {
		args     []string
		wantCode int
		want     string
	}{
		{[]string{"status"}, cli.ExitOK, "node        reg1\nroles       registrar\nversion     v1\n"},
		{[]string{"stats"}, cli.ExitOK, "test_level  -       3\n"},
		{[]string{"dispatcher", "list"}, cli.ExitFail, "sipfleet ctl: no route GET /v1/dispatcher on this node (HTTP 404)\n"},
	}
	for _, tt := range tests {
		code, out, errOut := run(t, "", append([]string{"ctl", "--admin", s.URL()}, tt.args...)...)
		if code != tt.wantCode || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("ctl %s: exit %d, stdout %q, stderr %q; want %d and %q", tt.args, code, out, errOut, tt.wantCode, tt.want)
		}
	}
}
