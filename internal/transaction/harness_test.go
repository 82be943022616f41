package transaction

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// harness drives a Layer on a ManualClock and records everything that
// crosses its edges (sends, TU callbacks) as a trace of
// "<elapsed> <event>" lines, so a test states a whole RFC figure's run as
// the trace it expects.
type harness struct {
	t     testing.TB
	clk   *ManualClock
	start time.Time
	l     *Layer

	mu       sync.Mutex
	trace    []string
	sent     [][]byte
	srv      *ServerTx   // last server transaction served
	srvs     []*ServerTx // every one, in order
	cli      *ClientTx   // last client transaction started
	failSend bool
	reliable bool
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, clk: NewManualClock(epoch), start: epoch}
	cfg.Clock = h.clk
	l, err := New(cfg, HandlerFuncs{
		Serve: func(tx *ServerTx, req *sip.Msg) {
			h.mu.Lock()
			h.srv = tx
			h.srvs = append(h.srvs, tx)
			h.mu.Unlock()
			h.logf("serve %s", req.MethodBytes())
		},
		Error: func(tx *ServerTx, err error) { h.logf("txerror %v", err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	h.l = l
	return h
}

func readMsg(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseMsg(t testing.TB, b []byte) *sip.Msg {
	t.Helper()
	var m sip.Msg
	if err := m.Parse(b); err != nil {
		t.Fatalf("parse: %v\n%s", err, b)
	}
	return &m
}

func (h *harness) elapsed() time.Duration { return h.clk.Now().Sub(h.start) }

func (h *harness) logf(format string, args ...any) {
	line := fmt.Sprintf("%v ", h.elapsed()) + fmt.Sprintf(format, args...)
	h.mu.Lock()
	h.trace = append(h.trace, line)
	h.mu.Unlock()
}

// send is the SendFunc of every transaction: it records "send INVITE" or
// "send 486" and fails when the script said so.
func (h *harness) send(b []byte) error {
	h.mu.Lock()
	h.sent = append(h.sent, b)
	fail := h.failSend
	h.mu.Unlock()
	word, _, _ := bytes.Cut(b, []byte(" "))
	if bytes.HasPrefix(word, []byte("SIP/")) {
		word = b[8:11]
	}
	if fail {
		h.logf("send %s failed", word)
		return errors.New("connection refused")
	}
	h.logf("send %s", word)
	return nil
}

func (h *harness) lastSent() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sent[len(h.sent)-1]
}

// tu returns a ClientTU that traces with the transaction's method.
func (h *harness) tu() ClientTU {
	return ClientFuncs{
		Response: func(tx *ClientTx, m *sip.Msg) { h.logf("tu %v %d", tx.Method(), m.StatusCode()) },
		Error:    func(tx *ClientTx, err error) { h.logf("tu %v error %v", tx.Method(), err) },
		Terminated: func(tx *ClientTx) {
			h.logf("tu %v terminated", tx.Method())
		},
	}
}

// advanceTo moves the clock tick by tick, so each event is traced at the
// tick it happens.
func (h *harness) advanceTo(d time.Duration) {
	for h.elapsed() < d {
		h.clk.Advance(h.l.cfg.Tick)
	}
}

var reasons = map[int]string{100: "Trying", 180: "Ringing", 200: "OK", 486: "Busy Here", 487: "Request Terminated"}

// do runs one script command:
//
//	recv FILE      a request (HandleRequest) or response (HandleResponse)
//	start FILE     NewClientTx
//	respond CODE   the TU answers the last server transaction
//	respondto I C  the TU answers the I-th server transaction with C
//	respondfile F  the TU answers with a complete response (RespondBytes)
//	cancel         the TU cancels the last client transaction
//	fail / ok      make sends fail / succeed
//	state          trace the last transaction's state
func (h *harness) do(cmd string) {
	h.t.Helper()
	verb, arg, _ := strings.Cut(cmd, " ")
	switch verb {
	case "recv":
		h.recv(readMsg(h.t, arg))
	case "start":
		tx, err := h.l.NewClientTx(readMsg(h.t, arg), h.send, h.reliable, h.tu())
		if err != nil {
			h.logf("start error %v", err)
			return
		}
		h.cli = tx
	case "respond":
		code, _ := strconv.Atoi(arg)
		if err := h.srv.Respond(code, reasons[code]); err != nil {
			h.logf("respond error %v", err)
		}
	case "respondto": // respondto INDEX CODE
		i, c, _ := strings.Cut(arg, " ")
		idx, _ := strconv.Atoi(i)
		code, _ := strconv.Atoi(c)
		if err := h.srvs[idx].Respond(code, reasons[code]); err != nil {
			h.logf("respond error %v", err)
		}
	case "respondfile":
		if err := h.srv.RespondBytes(readMsg(h.t, arg)); err != nil {
			h.logf("respond error %v", err)
		}
	case "cancel":
		if err := h.cli.Cancel(h.tu()); err != nil {
			h.logf("cancel error %v", err)
		}
	case "fail", "ok":
		h.mu.Lock()
		h.failSend = verb == "fail"
		h.mu.Unlock()
	case "state":
		if arg == "client" {
			h.logf("state %v", h.cli.State())
		} else {
			h.logf("state %v", h.srv.State())
		}
	default:
		h.t.Fatalf("bad script command %q", cmd)
	}
}

func (h *harness) recv(b []byte) {
	m := parseMsg(h.t, b)
	if m.IsRequest() {
		if !h.l.HandleRequest(m, h.send, h.reliable) {
			h.logf("unhandled %s", m.MethodBytes())
		}
		return
	}
	if !h.l.HandleResponse(m) {
		h.logf("unmatched %d", m.StatusCode())
	}
}

// step is a script command run when the clock reaches at.
type step struct {
	at time.Duration
	do string
}

type scriptCase struct {
	name     string
	reliable bool
	steps    []step
	end      time.Duration // run the clock to here before comparing
	want     []string
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }
func sec(n float64) time.Duration {
	return time.Duration(n * float64(time.Second))
}

func runScripts(t *testing.T, cases []scriptCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			h.reliable = tc.reliable
			for _, s := range tc.steps {
				h.advanceTo(s.at)
				h.do(s.do)
			}
			h.advanceTo(tc.end)
			if got := strings.Join(h.trace, "\n"); got != strings.Join(tc.want, "\n") {
				t.Errorf("trace:\n%s\n\nwant:\n%s", got, strings.Join(tc.want, "\n"))
			}
			if s := h.l.Stats(); s != (Stats{}) {
				t.Errorf("transactions left at %v: %+v", tc.end, s)
			}
		})
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
