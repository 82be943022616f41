package natping

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sipfleet/sipfleet/internal/store"
)

// TestMain fails the package if a test leaves a goroutine behind: a
// pinger must stop its loop and its reader on Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// epoch is when fake time starts.
var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeClock is a clock whose time moves only when the code under test
// waits: After advances it by the wait and fires at once, so a whole
// cycle runs in no real time and always the same way.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: epoch} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- c.advance(d)
	return ch
}

func (c *fakeClock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// memStore is a location table in memory that answers NATed as the SQL
// stores do: live keepalive bindings after the given id, in id order,
// filtered by partition or shard.
type memStore struct {
	mu      sync.Mutex
	rows    []store.Binding
	failAt  int                // the query number (from 1) that fails; 0 never
	onQuery func()             // called on each query, e.g. to move a fake clock
	queries []store.NATedQuery // every query asked
}

var errDown = errors.New("database down")

func (m *memStore) NATed(ctx context.Context, q store.NATedQuery) ([]store.Binding, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.queries = append(m.queries, q)
	if m.onQuery != nil {
		m.onQuery()
	}
	if len(m.queries) == m.failAt {
		return nil, errDown
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []store.Binding
	for _, b := range m.rows {
		if b.ID <= q.After || !b.Keepalive || !b.Live(q.Now) || !inShare(b.Partition, q) {
			continue
		}
		if out = append(out, b); len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

func inShare(part int, q store.NATedQuery) bool {
	if q.Shards > 0 {
		return part%q.Shards == q.Shard
	}
	if len(q.Partitions) > 0 {
		for _, p := range q.Partitions {
			if p == part {
				return true
			}
		}
		return false
	}
	return true
}

// binding makes a NATed row with the given received (or none) and
// contact.
func binding(id int, received, contact string) store.Binding {
	aor := store.AOR{User: fmt.Sprintf("u%d", id), Domain: "example.com"}
	ruid := store.RUID(aor, contact, "", 0)
	return store.Binding{
		ID: int64(id), RUID: ruid, AOR: aor, Contact: contact, Received: received,
		Keepalive: true, Socket: "udp:10.0.0.2:5060", // never expires, on any clock
		Partition: store.PartitionOf(ruid, store.DefaultPartitions),
	}
}

// natedRows makes n NATed UDP bindings behind NATs at 198.51.100.x.
func natedRows(n int) []store.Binding {
	rows := make([]store.Binding, n)
	for i := range rows {
		port := 10000 + i%50000
		rows[i] = binding(i+1, fmt.Sprintf("sip:198.51.100.%d:%d", 1+i/50000%250, port),
			fmt.Sprintf("sip:u%d@192.168.1.10:5060", i+1))
	}
	return rows
}

// sent is one datagram a recorder was given.
type sent struct {
	dst     string
	payload string
	at      time.Time
}

// recorder is a Sender that keeps what it is given, and fails the
// datagrams fail says to.
type recorder struct {
	mu      sync.Mutex
	clock   clock
	sent    []sent
	batches []int
	fail    func(d Datagram) bool
}

func (r *recorder) Send(ds []Datagram) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(ds) > MaxBatch {
		panic(fmt.Sprintf("batch of %d, above MaxBatch", len(ds)))
	}
	r.batches = append(r.batches, len(ds))
	var failed int
	var err error
	for _, d := range ds {
		if r.fail != nil && r.fail(d) {
			failed++
			err = cmp.Or(err, errors.New("no route"))
			continue
		}
		at := time.Time{}
		if r.clock != nil {
			at = r.clock.Now()
		}
		r.sent = append(r.sent, sent{dst: d.Dst.String(), payload: string(d.Payload), at: at})
	}
	return failed, err
}

func (r *recorder) Close() error { return nil }

// byDst counts the datagrams sent to each destination.
func (r *recorder) byDst() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, s := range r.sent {
		out[s.dst]++
	}
	return out
}

func (r *recorder) all() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sent(nil), r.sent...)
}
