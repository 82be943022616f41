package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

// Store is a store.Store on a SQL database.
type Store struct {
	d       *dialect
	w, r    *pool // the write and read pools: one and the same except on SQLite
	q       queries
	opts    store.Options
	timeout time.Duration
	log     *slog.Logger

	sent                                 atomic.Uint64
	ops, retries, failures, unavailables atomic.Uint64
	down                                 atomic.Bool
	downSince                            atomic.Int64 // unix nanoseconds
}

var _ store.Store = (*Store)(nil)

// Defaults of store.Options.
const (
	defaultMaxConns     = 8
	defaultQueryTimeout = 3 * time.Second
)

// Open opens the database named by dsn — sqlite:PATH, sqlite:///abs/path,
// mysql://user:pass@host:port/db?params or
// postgres://user:pass@host:port/db?params — and checks that it answers.
// It does not create the tables: that is Migrate.
func Open(ctx context.Context, dsn string, opts store.Options) (*Store, error) {
	opts.MaxConns = cmp.Or(opts.MaxConns, defaultMaxConns)
	opts.QueryTimeout = cmp.Or(opts.QueryTimeout, defaultQueryTimeout)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d, p, err := openPools(dsn, opts.QueryTimeout, log)
	if err != nil {
		return nil, err
	}
	s := &Store{d: d, q: newQueries(d), opts: opts, timeout: opts.QueryTimeout, log: log}
	s.w = &pool{db: p.write, sent: &s.sent}
	s.r = s.w
	if p.read != p.write {
		s.r = &pool{db: p.read, sent: &s.sent}
	}
	s.r.db.SetMaxOpenConns(opts.MaxConns)
	s.r.db.SetMaxIdleConns(opts.MaxConns)
	for _, db := range []*pool{s.w, s.r} {
		// Connections are renewed now and then, so that a database
		// behind a load balancer or failover address gets rebalanced.
		db.db.SetConnMaxLifetime(30 * time.Minute)
		db.db.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s database: %w", d.name, err)
	}
	return s, nil
}

// Engine names the database engine: sqlite, mysql or postgres.
func (s *Store) Engine() string { return s.d.name }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.run(ctx, "ping", func(ctx context.Context) error {
		s.sent.Add(1)
		return s.w.db.PingContext(ctx)
	})
}

// Close closes the pools; operations in flight fail.
func (s *Store) Close() error {
	err := s.w.close()
	if s.r != s.w {
		err = errors.Join(err, s.r.close())
	}
	return err
}

// Stats reports the pools and the counters.
func (s *Store) Stats() store.Stats {
	st := store.Stats{
		Ops: s.ops.Load(), Statements: s.sent.Load(), Retries: s.retries.Load(),
		Errors: s.failures.Load(), Unavailable: s.unavailables.Load(), Available: !s.down.Load(),
	}
	for _, p := range []*pool{s.w, s.r} {
		ds := p.db.Stats()
		st.OpenConns += ds.OpenConnections
		st.InUse += ds.InUse
		st.Idle += ds.Idle
		st.WaitCount += ds.WaitCount
		st.WaitDuration += ds.WaitDuration
		if s.r == s.w {
			break
		}
	}
	return st
}

// maxAttempts bounds the tries of one operation.
const maxAttempts = 3

// run runs one operation within the query timeout. It runs f again after
// a lost connection (database/sql then takes a fresh one) or a deadlock:
// every operation of the store is idempotent, so sending it twice is
// safe. Its error is the store's: see settle.
func (s *Store) run(ctx context.Context, op string, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	s.ops.Add(1)
	var err error
	for attempt := 1; ; attempt++ {
		err = f(ctx)
		if err == nil || attempt == maxAttempts || ctx.Err() != nil || !retryable(err) {
			break
		}
		s.retries.Add(1)
		if !pause(ctx, attempt) {
			break
		}
	}
	return s.settle(ctx, op, err)
}

// pause waits a few random milliseconds before another try, so that
// deadlocked peers do not meet again at once.
func pause(ctx context.Context, attempt int) bool {
	t := time.NewTimer(time.Duration(rand.N(2*attempt)+1) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// settle turns a driver's error into the store's: ErrUnavailable (wrapping
// the driver's error) when the database is down or did not answer within
// ctx's deadline, ErrNotFound as is, anything else with the operation
// named. It logs the first ErrUnavailable of an outage and its end.
func (s *Store) settle(ctx context.Context, op string, err error) error {
	switch {
	case err == nil, errors.Is(err, store.ErrNotFound):
		s.markUp()
		return err
	case errors.Is(ctx.Err(), context.Canceled):
		// The caller gave up; that says nothing of the database.
		s.failures.Add(1)
		return fmt.Errorf("%s: %w", op, ctx.Err())
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || unavailable(err):
		s.failures.Add(1)
		s.unavailables.Add(1)
		s.markDown(err)
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			// The driver said it its own way ("interrupted").
			return fmt.Errorf("%s: %w: %w (%w)", op, store.ErrUnavailable, ctx.Err(), err)
		}
		return fmt.Errorf("%s: %w: %w", op, store.ErrUnavailable, err)
	}
	s.failures.Add(1)
	return fmt.Errorf("%s: %w", op, err)
}

func (s *Store) markDown(err error) {
	if s.down.CompareAndSwap(false, true) {
		s.downSince.Store(time.Now().UnixNano())
		s.log.Warn("database unavailable", "engine", s.d.name, "err", err)
	}
}

func (s *Store) markUp() {
	if s.down.CompareAndSwap(true, false) {
		since := time.Since(time.Unix(0, s.downSince.Load()))
		s.log.Info("database available again", "engine", s.d.name, "after", since.Round(time.Millisecond))
	}
}
