package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ctl talks to a running node only through its management HTTP API, never
// through its packages or its database: the node may run on another host,
// and the API is the contract that survives a version skew between the two
// binaries. For the same reason the dispatcher and contact lists are drawn
// from whatever fields the node sends, not from a shared struct.

func ctlCommand() command {
	return command{name: "ctl", summary: "query or steer a running node through its management API", run: runCtl}
}

const ctlUsage = `usage: sipfleet ctl [flags] <subcommand>

  status                                  the node's name, roles, version and uptime
  stats                                   a summary of the node's sipfleet_* metrics
  dispatcher list                         the LB's destinations and their state
  dispatcher set-state SETID URI STATE    STATE: active, inactive, disabled or probing
  dispatcher reload                       re-read the dispatcher list
  contacts list [AOR]                     registered contacts, all or of one AOR

Flags go before or after the subcommand:
`

// defaultAdmin is the management listener of `sipfleet up` and the
// admin.listen default; SIPFLEET_ADMIN overrides it for a shell session.
const defaultAdmin = "http://127.0.0.1:9060"

// maxAnswer bounds what ctl reads from a node; a metrics page of a busy
// node is well under it.
const maxAnswer = 32 << 20

type ctl struct {
	out     io.Writer
	base    *url.URL
	json    bool
	all     bool
	timeout time.Duration
	client  *http.Client
}

// usageError is a wrong command line: exit 2, not 1.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func runCtl(ctx context.Context, a *App, args []string) int {
	fs := a.newFlags("ctl", "")
	fs.Usage = func() {
		fmt.Fprint(a.Stderr, ctlUsage)
		fs.PrintDefaults()
	}
	admin := fs.String("admin", cmp.Or(os.Getenv("SIPFLEET_ADMIN"), defaultAdmin), "the node's management `URL` (env SIPFLEET_ADMIN)")
	c := &ctl{out: a.Stdout}
	fs.BoolVar(&c.json, "json", false, "print the node's JSON answer as is")
	fs.BoolVar(&c.all, "all", false, "stats: show zero-valued series too")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "give up on a request after `duration`")
	words, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	base, err := parseAdmin(*admin)
	if err != nil {
		fmt.Fprintf(a.Stderr, "sipfleet ctl: %v\n", err)
		return ExitUsage
	}
	c.base = base
	c.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	defer c.client.CloseIdleConnections()

	switch err := c.run(ctx, words); {
	case errors.As(err, new(usageError)):
		fmt.Fprintf(a.Stderr, "sipfleet ctl: %v\n", err)
		fs.Usage()
		return ExitUsage
	case err != nil:
		fmt.Fprintf(a.Stderr, "sipfleet ctl: %v\n", err)
		return ExitFail
	}
	return ExitOK
}

// parseInterspersed parses flags wherever they are among the words, so
// that `ctl dispatcher list --json` works as well as `ctl --json dispatcher
// list`; the flag package alone stops at the first word.
func parseInterspersed(fs *flag.FlagSet, args []string) (words []string, code int, ok bool) {
	for {
		switch err := fs.Parse(args); {
		case errors.Is(err, flag.ErrHelp):
			return nil, ExitOK, false
		case err != nil:
			return nil, ExitUsage, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return words, ExitOK, true
		}
		words, args = append(words, args[0]), args[1:]
	}
}

// parseAdmin accepts a URL or a bare host:port, as admin.listen is written.
func parseAdmin(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("bad --admin: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bad --admin %q: want http://host:port", s)
	}
	return u, nil
}

// run dispatches the subcommand words.
func (c *ctl) run(ctx context.Context, words []string) error {
	if len(words) == 0 {
		return usageError{"missing subcommand"}
	}
	switch words[0] {
	case "status":
		return c.status(ctx, words[1:])
	case "stats":
		return c.stats(ctx, words[1:])
	case "dispatcher", "contacts":
		if len(words) < 2 {
			return usageError{words[0] + ": missing subcommand"}
		}
	}
	switch strings.Join(words[:min(2, len(words))], " ") {
	case "dispatcher list":
		return c.listCmd(ctx, words[2:], "/v1/dispatcher", nil, "destinations", dispatcherColumns)
	case "dispatcher set-state":
		return c.setState(ctx, words[2:])
	case "dispatcher reload":
		return c.reload(ctx, words[2:])
	case "contacts list":
		return c.contacts(ctx, words[2:])
	}
	return usageError{fmt.Sprintf("unknown subcommand %q", strings.Join(words[:min(2, len(words))], " "))}
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", args[0])}
	}
	return nil
}

// The fields named here come first, in this order, when the node sends
// them; any other field follows in sorted order.
const (
	dispatcherColumns = "setid uri state priority weight last_probe latency_ms failures inflight"
	contactColumns    = "aor contact expires q received path user_agent"
	statusRows        = "node roles version go_version pid started uptime"
)

func (c *ctl) status(ctx context.Context, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	body, err := c.call(ctx, http.MethodGet, "/v1/status", nil, nil)
	if err != nil || c.json {
		return c.printRaw(body, err)
	}
	obj, err := decodeObject(body)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if n, ok := obj["uptime_seconds"].(json.Number); ok {
		if f, err := n.Float64(); err == nil {
			delete(obj, "uptime_seconds")
			obj["uptime"] = (time.Duration(f) * time.Second).String()
		}
	}
	return c.printObject(obj, statusRows)
}

func (c *ctl) setState(ctx context.Context, args []string) error {
	if len(args) != 3 {
		return usageError{"dispatcher set-state: want SETID URI STATE"}
	}
	setID, err := strconv.Atoi(args[0])
	if err != nil || setID < 0 {
		return usageError{fmt.Sprintf("dispatcher set-state: bad set id %q", args[0])}
	}
	uri, state := args[1], args[2]
	if !slices.Contains([]string{"active", "inactive", "disabled", "probing"}, state) {
		return usageError{fmt.Sprintf("dispatcher set-state: bad state %q: want active, inactive, disabled or probing", state)}
	}
	req := struct {
		SetID int    `json:"setid"`
		URI   string `json:"uri"`
		State string `json:"state"`
	}{setID, uri, state}
	body, err := c.call(ctx, http.MethodPost, "/v1/dispatcher/state", nil, req)
	if err != nil || c.json {
		return c.printRaw(body, err)
	}
	fmt.Fprintf(c.out, "set %d %s: %s\n", setID, uri, state)
	return nil
}

func (c *ctl) reload(ctx context.Context, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	body, err := c.call(ctx, http.MethodPost, "/v1/dispatcher/reload", nil, nil)
	if err != nil || c.json {
		return c.printRaw(body, err)
	}
	fmt.Fprintln(c.out, "dispatcher reloaded")
	if obj, err := decodeObject(body); err == nil && len(obj) > 0 {
		return c.printObject(obj, "")
	}
	return nil
}

func (c *ctl) contacts(ctx context.Context, args []string) error {
	if len(args) > 1 {
		return usageError{fmt.Sprintf("contacts list: unexpected argument %q", args[1])}
	}
	var q url.Values
	if len(args) == 1 {
		q = url.Values{"aor": {args[0]}}
	}
	return c.listCmd(ctx, nil, "/v1/contacts", q, "contacts", contactColumns)
}

// listCmd fetches a JSON list and prints it as a table.
func (c *ctl) listCmd(ctx context.Context, args []string, path string, q url.Values, what, first string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	body, err := c.call(ctx, http.MethodGet, path, q, nil)
	if err != nil || c.json {
		return c.printRaw(body, err)
	}
	rows, err := decodeRows(body)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(rows) == 0 {
		fmt.Fprintf(c.out, "no %s\n", what)
		return nil
	}
	return c.printTable(rows, first)
}

// call sends one request with its own timeout and returns the body of a
// 2xx answer. Any other answer is an error carrying the node's message.
func (c *ctl) call(ctx context.Context, method, path string, q url.Values, in any) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := c.base.JoinPath(path)
	u.RawQuery = q.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, c.unreachable(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, u, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s (HTTP %d)", serverMessage(resp.StatusCode, b), resp.StatusCode)
	}
	return b, nil
}

// unreachable words a transport error for an operator: the usual cause is
// a node that is not running, or a wrong --admin.
func (c *ctl) unreachable(err error) error {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("cannot reach node at %s: is it running? (--admin)", c.base)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("node at %s did not answer within %v (--timeout)", c.base, c.timeout)
	}
	return fmt.Errorf("cannot reach node at %s: %w", c.base, err)
}

// serverMessage is the "error" of a JSON error body, else the first line
// of a text one, else the status text.
func serverMessage(code int, body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	if len(line) > 200 {
		line = line[:200] + "…"
	}
	return cmp.Or(line, http.StatusText(code))
}

// printRaw prints a body as the node sent it, for --json and scripts.
func (c *ctl) printRaw(body []byte, err error) error {
	if err != nil {
		return err
	}
	c.out.Write(body)
	if len(body) > 0 && body[len(body)-1] != '\n' {
		fmt.Fprintln(c.out)
	}
	return nil
}

func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // print 12345678901 as sent, not as 1.2345678901e+10
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("node sent an answer that is not JSON: %w", err)
	}
	return nil
}

func decodeObject(body []byte) (map[string]any, error) {
	var obj map[string]any
	return obj, decodeJSON(body, &obj)
}

// decodeRows accepts a list of objects, or an object holding one (such as
// {"destinations": [...]}), so that a wrapper added to the API later does
// not break ctl.
func decodeRows(body []byte) ([]map[string]any, error) {
	var v any
	if err := decodeJSON(body, &v); err != nil {
		return nil, err
	}
	if obj, ok := v.(map[string]any); ok {
		v = nil
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if list, ok := obj[k].([]any); ok {
				v = list
				break
			}
		}
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errors.New("node sent an answer that is not a list")
	}
	rows := make([]map[string]any, 0, len(list))
	for _, item := range list {
		row, ok := item.(map[string]any)
		if !ok {
			return nil, errors.New("node sent a list whose items are not objects")
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// columns orders the keys found in rows: those of first (space-separated),
// in its order, then the others sorted.
func columns(rows []map[string]any, first string) []string {
	seen := map[string]bool{}
	for _, r := range rows {
		for k := range r {
			seen[k] = true
		}
	}
	var cols []string
	for _, k := range strings.Fields(first) {
		if seen[k] {
			cols = append(cols, k)
			delete(seen, k)
		}
	}
	return append(cols, slices.Sorted(maps.Keys(seen))...)
}

func (c *ctl) printTable(rows []map[string]any, first string) error {
	cols := columns(rows, first)
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, r := range rows {
		cells := make([]string, len(cols))
		for i, k := range cols {
			cells[i] = cell(r[k])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// printObject prints one object as "key  value" lines.
func (c *ctl) printObject(obj map[string]any, first string) error {
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	for _, k := range columns([]map[string]any{obj}, first) {
		fmt.Fprintf(tw, "%s\t%s\n", k, cell(obj[k]))
	}
	return tw.Flush()
}

// cell renders one JSON value in a table cell: strings bare, lists of
// strings comma-separated, anything nested as compact JSON.
func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return "-"
	case string:
		// A tab or newline would break the table's columns.
		return cmp.Or(strings.NewReplacer("\t", " ", "\n", " ").Replace(v), "-")
	case json.Number:
		return v.String()
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			if _, ok := x.(string); !ok {
				b, _ := json.Marshal(v)
				return string(b)
			}
			parts[i] = cell(x)
		}
		return cmp.Or(strings.Join(parts, ","), "-")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// stats prints the sipfleet_* series of the node's /metrics page.
func (c *ctl) stats(ctx context.Context, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	body, err := c.call(ctx, http.MethodGet, "/metrics", nil, nil)
	if err != nil {
		return err
	}
	samples, err := parseMetrics(body)
	if err != nil {
		return err
	}
	if c.json {
		b, err := json.MarshalIndent(samples, "", "  ")
		if err != nil {
			return fmt.Errorf("encode stats: %w", err)
		}
		return c.printRaw(b, nil)
	}
	return c.printSamples(samples)
}

// sample is one series of a metrics page.
type sample struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	Value  float64           `json:"value"`
}

// parseMetrics reads a Prometheus text page with the Prometheus parser and
// keeps the sipfleet_* series, sorted; a histogram or summary becomes its
// _count and _sum.
func parseMetrics(body []byte) ([]sample, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	var out []sample
	for _, name := range slices.Sorted(maps.Keys(mfs)) {
		if !strings.HasPrefix(name, "sipfleet_") {
			continue
		}
		for _, m := range mfs[name].GetMetric() {
			out = append(out, samplesOf(name, m)...)
		}
	}
	slices.SortStableFunc(out, func(a, b sample) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(labelText(a.Labels), labelText(b.Labels)))
	})
	return out, nil
}

func samplesOf(name string, m *dto.Metric) []sample {
	labels := map[string]string{}
	for _, lp := range m.GetLabel() {
		labels[lp.GetName()] = lp.GetValue()
	}
	one := func(n string, v float64) sample { return sample{Name: n, Labels: labels, Value: v} }
	switch {
	case m.Counter != nil:
		return []sample{one(name, m.Counter.GetValue())}
	case m.Gauge != nil:
		return []sample{one(name, m.Gauge.GetValue())}
	case m.Untyped != nil:
		return []sample{one(name, m.Untyped.GetValue())}
	case m.Histogram != nil:
		h := m.Histogram
		return []sample{one(name+"_count", float64(h.GetSampleCount())), one(name+"_sum", h.GetSampleSum())}
	case m.Summary != nil:
		s := m.Summary
		return []sample{one(name+"_count", float64(s.GetSampleCount())), one(name+"_sum", s.GetSampleSum())}
	}
	return nil
}

func labelText(labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k+"="+labels[k])
	}
	return strings.Join(parts, ",")
}

func (c *ctl) printSamples(samples []sample) error {
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tLABELS\tVALUE")
	hidden := 0
	for _, s := range samples {
		if s.Value == 0 && !c.all {
			hidden++
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", strings.TrimPrefix(s.Name, "sipfleet_"),
			cmp.Or(labelText(s.Labels), "-"), strconv.FormatFloat(s.Value, 'f', -1, 64))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if hidden > 0 {
		fmt.Fprintf(c.out, "(%d zero-valued series not shown; --all shows them)\n", hidden)
	}
	return nil
}
