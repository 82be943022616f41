//go:build linux

package natpingbench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the bulk loader's MariaDB driver

	"github.com/sipfleet/sipfleet/internal/role/natping"
	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/store/sqlstore"
	"github.com/sipfleet/sipfleet/internal/testenv"
)

// TestNATPingBench prints, for each database, the time to read every
// binding, the rate of a cycle that is not paced (as fast as it goes),
// and whether a paced cycle of 5 s keeps its interval; and the raw send
// loop's rate without a database.
func TestNATPingBench(t *testing.T) {
	if os.Getenv("SIPFLEET_BENCH_NATPING") == "" {
		t.Skip("a benchmark: set SIPFLEET_BENCH_NATPING=1 to run it (as root)")
	}
	testenv.RequireRoot(t, "raw sockets need CAP_NET_RAW")
	n := 1_000_000
	if s := os.Getenv("SIPFLEET_BENCH_NATPING_N"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n <= 0 || n > 5_000_000 {
			t.Fatalf("SIPFLEET_BENCH_NATPING_N=%q: want 1 to 5000000", s)
		}
	}
	if s := os.Getenv("SIPFLEET_BENCH_NATPING_BATCH"); s != "" {
		var err error
		if cycleBatch, err = strconv.Atoi(s); err != nil || cycleBatch <= 0 || cycleBatch > 100_000 {
			t.Fatalf("SIPFLEET_BENCH_NATPING_BATCH=%q: want 1 to 100000", s)
		}
	}
	nic, lo := nicSink(t), loopbackSink(t)
	t.Logf("%d bindings, GOMAXPROCS %d", n, runtime.GOMAXPROCS(0))
	for _, sk := range []sink{nic, lo} {
		t.Run("raw send loop, no database, to "+sk.name, func(t *testing.T) { benchRawLoop(t, n, sk) })
	}
	t.Run("sqlite", func(t *testing.T) {
		benchStore(t, n, nic, "sqlite:"+filepath.Join(t.TempDir(), "location.db"))
	})
	if base := os.Getenv("SIPFLEET_TEST_MYSQL"); base != "" {
		t.Run("mariadb", func(t *testing.T) { benchStore(t, n, nic, mysqlDatabase(t, base)) })
	} else {
		t.Log("SIPFLEET_TEST_MYSQL unset: no MariaDB run")
	}
}

// benchRawLoop sends n keepalives through the raw sender in batches, as
// the pinger does, with nothing else: the ceiling of one process.
func benchRawLoop(t *testing.T, n int, sk sink) {
	s := sk.open(t)
	defer s.Close()
	batch := make([]natping.Datagram, natping.MaxBatch)
	for i := range batch {
		batch[i] = natping.Datagram{Dst: sk.dst, Payload: []byte("\r\n\r\n")}
	}
	before := sk.count(t)
	start := time.Now()
	failed := 0
	for sent := 0; sent < n; sent += len(batch) {
		f, _ := s.Send(batch[:min(len(batch), n-sent)])
		failed += f
	}
	d := time.Since(start)
	t.Logf("raw loop to %s: %d keepalives in %v: %.0f/s; %d failed; the sink took %d",
		sk.name, n, d.Round(time.Millisecond), float64(n)/d.Seconds(), failed, sk.count(t)-before)
}

// benchStore loads n bindings into the database at dsn and runs the
// pinger's three measures on it.
func benchStore(t *testing.T, n int, sk sink, dsn string) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn, store.Options{QueryTimeout: 30 * time.Second, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	load(t, dsn, n, sk.dst)
	t.Logf("loaded %d bindings in %v", n, time.Since(start).Round(time.Millisecond))

	for _, batch := range []int{1000, 5000} {
		readAll(t, db, n, batch, 0)
	}
	readAll(t, db, n, 1000, 2)

	// A 1 ms interval: the cycle is behind its schedule from the start,
	// so it reads and sends as fast as it can.
	cycle(t, db, sk, "unpaced", time.Millisecond, n)
	// The target: a million inside a 5 s interval (sent within
	// its first 4.5 s), with no lag; then 10 s and the default 20 s.
	for _, interval := range []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second} {
		cycle(t, db, sk, fmt.Sprintf("paced, %v interval", interval), interval, n)
	}
}

// readAll pages through every NATed binding, as a cycle's reader does.
func readAll(t *testing.T, db store.Location, n, batch, shards int) {
	ctx := context.Background()
	q := store.NATedQuery{Now: time.Now(), Limit: batch, Shards: shards}
	got, pages := 0, 0
	start := time.Now()
	for {
		page, err := db.NATed(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got, pages = got+len(page), pages+1
		if len(page) < batch {
			break
		}
		q.After = page[len(page)-1].ID
	}
	d := time.Since(start)
	what := "all"
	if shards > 0 {
		what = fmt.Sprintf("shard 0 of %d", shards)
	}
	t.Logf("read %s, pages of %d: %d bindings in %d pages, %v: %.0f rows/s, %.2f ms a page",
		what, batch, got, pages, d.Round(time.Millisecond), float64(got)/d.Seconds(), d.Seconds()*1000/float64(pages))
	if shards == 0 && got != n {
		t.Errorf("read %d, want %d", got, n)
	}
}

// cycleBatch is the pinger's page size in the cycles (natping.batch):
// SIPFLEET_BENCH_NATPING_BATCH, or the default.
var cycleBatch = natping.DefaultBatch

func cycle(t *testing.T, db natping.Store, sk sink, name string, interval time.Duration, n int) {
	s := sk.open(t)
	defer s.Close()
	p, err := natping.New(natping.Options{Store: db, Sender: s, Source4: netip.MustParseAddrPort("203.0.113.10:5060"),
		Settings: natping.Settings{Interval: interval, Batch: cycleBatch, QueryTimeout: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	before := sk.count(t)
	c := p.RunCycle(context.Background(), time.Now())
	if c.Err != nil || c.Pinged != n {
		t.Fatalf("%s: pinged %d of %d: %v", name, c.Pinged, n, c.Err)
	}
	t.Logf("cycle %s: %d pinged in %v: %.0f/s; database %v; lag %v; the sink took %d",
		name, c.Pinged, c.Duration.Round(time.Millisecond), float64(c.Pinged)/c.Duration.Seconds(),
		c.Read.Round(time.Millisecond), c.Lag.Round(time.Millisecond), sk.count(t)-before)
}

// load writes n NATed bindings straight into the location table, in
// multi-row INSERTs inside transactions: going through the store's
// Update would be a transaction per binding, an hour for a million.
// Their received addresses all name the sink.
func load(t *testing.T, dsn string, n int, sink netip.AddrPort) {
	driver, conn := rawDSN(t, dsn)
	db, err := sql.Open(driver, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const cols = "ruid, username, domain, contact, received, path, expires, callid, user_agent, socket, keepalive, `partition`"
	const rows = 500
	q := "INSERT INTO location (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,1,?),", rows), ",")
	if driver == "sqlite" {
		q = strings.ReplaceAll(q, "`", `"`)
	}
	received := "sip:" + sink.String()
	path := "<sip:10.0.0.10:5060;lr;received=" + received + ">"
	args := make([]any, 0, rows*11)
	for start := 0; start < n; start += rows * 100 {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for i := start; i < min(n, start+rows*100); i += rows {
			args = args[:0]
			for j := i; j < i+rows; j++ {
				aor := store.AOR{User: fmt.Sprintf("u%07d", j), Domain: "example.com"}
				contact := fmt.Sprintf("sip:%s@192.168.%d.%d:5060", aor.User, j/250%250, 1+j%250)
				ruid := store.RUID(aor, contact, "", 0)
				args = append(args, ruid, aor.User, aor.Domain, contact, received, path, "2099-01-01 00:00:00",
					"bench-"+aor.User, "bench", "udp:10.0.0.2:5060", store.PartitionOf(ruid, store.DefaultPartitions))
			}
			if j := i + rows; j > n {
				t.Fatalf("n=%d is not a multiple of %d", n, rows)
			}
			if _, err := tx.Exec(q, args...); err != nil {
				t.Fatalf("insert: %v", err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

// rawDSN turns a store DSN into database/sql's driver name and DSN.
func rawDSN(t *testing.T, dsn string) (driver, conn string) {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		return "sqlite", path + "?_journal_mode=WAL&_synchronous=OFF&_busy_timeout=10000"
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := u.User.Password()
	auth := u.User.Username()
	if pass != "" {
		auth += ":" + pass
	}
	return "mysql", fmt.Sprintf("%s@tcp(%s)%s", auth, u.Host, u.Path)
}

// mysqlDatabase creates a database of the test's own on the server base
// names, dropped when the test ends.
func mysqlDatabase(t *testing.T, base string) string {
	driver, conn := rawDSN(t, base)
	admin, err := sql.Open(driver, conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var r [4]byte
	_, _ = rand.Read(r[:])
	name := "sf_natping_bench_" + hex.EncodeToString(r[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE " + name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
