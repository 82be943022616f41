// Command dbprobe measures how long a database takes to answer the
// simplest statements, one at a time, from an otherwise idle client: the
// floor under any registrar's REGISTER latency on that database and
// machine. A registrar's p99 cannot be shorter than the round trips it
// must wait for, so bench/RESULTS.md reads the registrar benchmarks'
// tails against this probe run on the same machine.
//
//	go run ./bench/dbprobe                          # MariaDB on 127.0.0.1, database test
//	go run ./bench/dbprobe -dsn 'root@tcp(127.0.0.1:3306)/test' -for 20s
//
// It sends, paced one per -every, a SELECT 1 and then a single-row
// autocommitted UPDATE of its own table (dbprobe, created in the database
// if missing: a commit, so a redo-log write and fsync each), and prints
// the percentiles of each and when the slow ones (over -slow) came. Only
// loopback addresses: it is a benchmark tool.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

func main() {
	dsn := flag.String("dsn", "root@tcp(127.0.0.1:3306)/test", "MariaDB/MySQL DSN (go-sql-driver form)")
	dur := flag.Duration("for", 10*time.Second, "how long each statement is probed")
	every := flag.Duration("every", time.Millisecond, "pause between two probes")
	slow := flag.Duration("slow", 5*time.Millisecond, "a probe that takes longer is listed")
	flag.Parse()
	cfg, err := mysql.ParseDSN(*dsn)
	if err != nil {
		log.Fatalf("dbprobe: -dsn: %v", err)
	}
	if host, _, err := net.SplitHostPort(cfg.Addr); err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("dbprobe: only loopback addresses: %s", cfg.Addr)
	}
	db, err := sql.Open("mysql", *dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	setup, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, q := range []string{
		"CREATE TABLE IF NOT EXISTS dbprobe (id INT PRIMARY KEY, v BIGINT) ENGINE=InnoDB",
		"INSERT IGNORE INTO dbprobe VALUES (1, 0)",
	} {
		if _, err := db.ExecContext(setup, q); err != nil {
			log.Fatalf("dbprobe: %v", err)
		}
	}
	var n int64
	probes := []struct {
		name string
		run  func(context.Context) error
	}{
		{"SELECT 1", func(ctx context.Context) error {
			var one int
			return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
		}},
		{"UPDATE (autocommit)", func(ctx context.Context) error {
			n++
			_, err := db.ExecContext(ctx, "UPDATE dbprobe SET v = ? WHERE id = 1", n)
			return err
		}},
	}
	for _, p := range probes {
		if err := probe(ctx, p.name, p.run, *dur, *every, *slow); err != nil {
			fmt.Fprintln(os.Stderr, "dbprobe:", err)
			os.Exit(1)
		}
	}
}

// probe runs f once per every for dur (and at most dur/every times) and
// prints its latency distribution.
func probe(ctx context.Context, name string, f func(context.Context) error, dur, every, slow time.Duration) error {
	var took []time.Duration
	var late []string
	start := time.Now()
	for i := int64(0); i < int64(dur/every)+1 && time.Since(start) < dur; i++ {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		t := time.Now()
		err := f(qctx)
		d := time.Since(t)
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		took = append(took, d)
		if d > slow {
			late = append(late, fmt.Sprintf("%.2fs:%.1fms", t.Sub(start).Seconds(), ms(d)))
		}
		time.Sleep(every)
	}
	slices.Sort(took)
	q := func(p float64) float64 { return ms(took[min(len(took)-1, int(float64(len(took))*p))]) }
	fmt.Printf("%-20s n=%d p50=%.2fms p99=%.2fms p99.9=%.2fms max=%.2fms over %v: %d\n",
		name, len(took), q(0.50), q(0.99), q(0.999), ms(took[len(took)-1]), slow, len(late))
	if len(late) > 0 {
		fmt.Printf("%-20s slow ones (time since start:latency): %s\n", "", strings.Join(late[:min(len(late), 30)], " "))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
