package registrar

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/store/sqlstore"
	"github.com/sipfleet/sipfleet/internal/testenv"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// gatedStore is a SQLite store whose first read waits for the test, so
// that the REGISTERs sent meanwhile queue up and form the next batch, and
// whose writes fail whenever they hold one user's binding (as a database
// refuses a row).
type gatedStore struct {
	*sqlstore.Store
	entered  chan struct{} // closed when the first read starts
	gate     chan struct{} // the first read waits for it
	once     sync.Once
	failUser string

	mu     sync.Mutex
	writes [][]store.AOR // the AoRs of each UpdateAll
}

func (s *gatedStore) BindingsOf(ctx context.Context, aors []store.AOR, now time.Time) ([][]store.Binding, error) {
	s.once.Do(func() { close(s.entered); <-s.gate })
	return s.Store.BindingsOf(ctx, aors, now)
}

func (s *gatedStore) UpdateAll(ctx context.Context, cs []store.Change) error {
	var aors []store.AOR
	refused := false
	for _, c := range cs {
		aors = append(aors, c.AOR)
		refused = refused || c.AOR.User == s.failUser
	}
	s.mu.Lock()
	s.writes = append(s.writes, aors)
	s.mu.Unlock()
	if refused {
		return errors.New("refused row")
	}
	return s.Store.UpdateAll(ctx, cs)
}

func startBatchRegistrar(t *testing.T, st Store, with ...func(*Options)) (*Registrar, netip.AddrPort) {
	t.Helper()
	lo := netip.MustParseAddr("127.0.0.1")
	addr := netip.AddrPortFrom(lo, uint16(testenv.FreeUDPPort(t, lo)))
	rules := DefaultRules()
	rules.Domains = []string{"example.com"}
	opt := Options{
		Transport: transport.Config{Listeners: []transport.ListenerConfig{{Name: "udp", Proto: transport.UDP, Addr: addr}}},
		Store:     st, Rules: rules, Workers: 1, Batch: 16, QueryTimeout: 5 * time.Second,
	}
	for _, f := range with {
		f(&opt)
	}
	r, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Close(ctx)
	})
	return r, addr
}

func registerText(user, contact, callID string, cseq int) string {
	return fmt.Sprintf("REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-%s-%d\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:%s@example.com>;tag=t%s\r\nTo: <sip:%s@example.com>\r\n"+
		"Call-ID: %s\r\nCSeq: %d REGISTER\r\nContact: <%s>;expires=600\r\nContent-Length: 0\r\n\r\n",
		callID, cseq, user, callID, user, callID, cseq, contact)
}

// TestBatch has one worker held in the database while REGISTERs queue:
// they are then read and written as one batch. Two REGISTERs of one AoR
// in the batch are applied one after the other (the second 200 lists
// both contacts), and a set the database refuses because of one row is
// written again one change at a time, so only that REGISTER fails.
func TestBatch(t *testing.T) {
	st := newGatedStore(t, "mallory")
	r, addr := startBatchRegistrar(t, st)
	c := newUAC(t, addr)
	send := c.send
	// The first REGISTER holds the worker at the gate.
	send(registerText("zoe", "sip:zoe@192.0.2.9", "z1", 1))
	<-st.entered
	queued := []string{
		registerText("alice", "sip:alice@192.0.2.1", "a1", 1),
		registerText("bob", "sip:bob@192.0.2.2", "b1", 1),
		registerText("alice", "sip:alice@192.0.2.3", "a2", 1),
		registerText("mallory", "sip:mallory@192.0.2.4", "m1", 1),
		registerText("carol", "sip:carol@192.0.2.5", "c1", 1),
	}
	for _, m := range queued {
		send(m)
	}
	waitFor(t, func() bool { return len(r.jobs) == len(queued) })
	close(st.gate)

	answers := c.answers(len(queued) + 1)
	for id, want := range map[string]int{"z1": 200, "a1": 200, "b1": 200, "a2": 200, "c1": 200, "m1": 503} {
		if got := answers[id].StatusCode(); got != want {
			t.Errorf("REGISTER %s: %d; want %d", id, got, want)
		}
	}
	if n := strings.Count(string(answers["a2"].Bytes()), "Contact:"); n != 2 {
		t.Errorf("the second REGISTER of alice lists %d contacts; want 2 (its own and the first's)", n)
	}
	st.mu.Lock()
	writes := fmt.Sprint(st.writes)
	st.mu.Unlock()
	// zoe alone; then alice, bob, mallory, carol together (refused), each
	// alone again; then alice's second REGISTER.
	want := "[[zoe@example.com] [alice@example.com bob@example.com mallory@example.com carol@example.com] " +
		"[alice@example.com] [bob@example.com] [mallory@example.com] [carol@example.com] [alice@example.com]]"
	if writes != want {
		t.Errorf("writes:\n got %s\nwant %s", writes, want)
	}
	if got := r.Stats()["batches"]; got != 3 {
		t.Errorf("%d batches read; want 3 (zoe, the first round, alice's second)", got)
	}
}

// newGatedStore opens a gatedStore on a new SQLite database.
func newGatedStore(t *testing.T, failUser string) *gatedStore {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "reg.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return &gatedStore{Store: s, entered: make(chan struct{}), gate: make(chan struct{}), failUser: failUser}
}

// uac is a UDP socket that sends REGISTERs to a registrar.
type uac struct {
	t    *testing.T
	c    *net.UDPConn
	addr netip.AddrPort
}

func newUAC(t *testing.T, addr netip.AddrPort) *uac {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &uac{t, c, addr}
}

func (u *uac) send(msg string) {
	if _, err := u.c.WriteToUDPAddrPort([]byte(msg), u.addr); err != nil {
		u.t.Fatal(err)
	}
}

// answers reads n responses, by Call-ID.
func (u *uac) answers(n int) map[string]*sip.Msg {
	out := map[string]*sip.Msg{}
	buf := make([]byte, 65535)
	u.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(out) < n {
		k, _, err := u.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			u.t.Fatalf("after %d answers: %v", len(out), err)
		}
		m := new(sip.Msg)
		if err := m.Parse(append([]byte(nil), buf[:k]...)); err != nil {
			u.t.Fatal(err)
		}
		out[string(m.CallID())] = m
	}
	return out
}

// waitFor polls cond every millisecond for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatal("condition not met within 5 s")
		case <-tick.C:
		}
	}
}
