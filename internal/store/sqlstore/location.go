package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

// Bindings gives the AoR's bindings in force at now: one SELECT.
func (s *Store) Bindings(ctx context.Context, aor store.AOR, now time.Time) ([]store.Binding, error) {
	var out []store.Binding
	err := s.run(ctx, "bindings", func(ctx context.Context) error {
		rows, err := s.r.query(ctx, s.q.bindings, aor.User, aor.Domain, s.d.timeArg(now), s.d.timeArg(permanent))
		if err != nil {
			return err
		}
		out, err = scanBindings(rows)
		return err
	})
	return out, err
}

// Update saves put and removes del in one statement when there is one
// change, else in one transaction: one statement per binding, plus BEGIN
// and COMMIT. See store.Location.
func (s *Store) Update(ctx context.Context, aor store.AOR, put []store.Binding, del []string) error {
	put, err := s.prepare(aor, put)
	if err != nil {
		return err
	}
	if len(put)+len(del) == 0 {
		return nil
	}
	return s.run(ctx, "update", func(ctx context.Context) error {
		if len(put)+len(del) == 1 {
			return s.apply(ctx, nil, aor, put, del)
		}
		// Prepare first: on SQLite the transaction holds the one
		// writer connection that preparing would need.
		if err := s.w.prepare(ctx, s.q.refresh, s.q.upsert, s.q.remove); err != nil {
			return err
		}
		tx, err := s.w.begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := s.apply(ctx, tx, aor, put, del); err != nil {
			return err
		}
		return s.w.commit(tx)
	})
}

// prepare checks put and fills in what the caller may leave out: the
// ruid, the last change (now) and the server.
func (s *Store) prepare(aor store.AOR, put []store.Binding) ([]store.Binding, error) {
	out := make([]store.Binding, len(put))
	now := time.Now()
	for i, b := range put {
		if b.AOR != aor {
			return nil, fmt.Errorf("update %s: binding %d is of %s", aor, i, b.AOR)
		}
		if b.RUID == "" {
			b.RUID = store.RUID(aor, b.Contact, b.Instance, b.RegID)
		}
		if b.LastModified.IsZero() {
			b.LastModified = now
		}
		if b.ServerID == 0 {
			b.ServerID = s.opts.ServerID
		}
		out[i] = b
	}
	return out, nil
}

func (s *Store) apply(ctx context.Context, tx *sql.Tx, aor store.AOR, put []store.Binding, del []string) error {
	for _, b := range put {
		if err := s.save(ctx, tx, b); err != nil {
			return err
		}
	}
	for _, ruid := range del {
		if _, err := s.w.exec(ctx, tx, s.q.remove, ruid, aor.User, aor.Domain); err != nil {
			return err
		}
	}
	return nil
}

// save writes one binding. A binding read from the table (ID set) is
// refreshed with an UPDATE by ruid: an upsert would spend a value of the
// id counter on every refresh (both InnoDB and PostgreSQL draw it before
// they find the conflict), and Kamailio's id is a 32-bit column. If the
// row is gone, swept or removed by another node meanwhile, or for a new
// binding, the upsert writes it; two nodes upserting the same ruid at
// once end with one row.
func (s *Store) save(ctx context.Context, tx *sql.Tx, b store.Binding) error {
	if b.ID != 0 {
		res, err := s.w.exec(ctx, tx, s.q.refresh, append(s.refreshArgs(b), b.RUID)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n > 0 {
			return nil
		}
	}
	_, err := s.w.exec(ctx, tx, s.q.upsert, s.insertArgs(b)...)
	return err
}

// Expire removes up to limit lapsed bindings in one statement, which
// checks expires again on each row it deletes (see the dialects), so a
// binding refreshed meanwhile stays.
func (s *Store) Expire(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, errors.New("expire: limit must be above 0")
	}
	args := []any{s.d.timeArg(now), s.d.timeArg(permanent), limit}
	if s.d.expireRecheck {
		args = append(args, s.d.timeArg(now), s.d.timeArg(permanent))
	}
	var n int64
	err := s.run(ctx, "expire", func(ctx context.Context) error {
		res, err := s.w.exec(ctx, nil, s.q.expire, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// maxPartitionList bounds NATedQuery.Partitions: there is one prepared
// statement per list length.
const maxPartitionList = 64

// NATed gives one page of NATed bindings in force: one SELECT.
func (s *Store) NATed(ctx context.Context, q store.NATedQuery) ([]store.Binding, error) {
	query, args, err := s.natedQuery(q)
	if err != nil {
		return nil, err
	}
	var out []store.Binding
	err = s.run(ctx, "nated", func(ctx context.Context) error {
		rows, err := s.r.query(ctx, query, args...)
		if err != nil {
			return err
		}
		out, err = scanNATed(rows)
		return err
	})
	return out, err
}

// scanNATed reads the rows of natedColumns.
func scanNATed(rows *sql.Rows) ([]store.Binding, error) {
	defer rows.Close()
	var out []store.Binding
	for rows.Next() {
		var (
			b                store.Binding
			received, socket sql.NullString
		)
		if err := rows.Scan(&b.ID, &b.RUID, &b.Contact, &received, &socket, &b.Partition); err != nil {
			return nil, err
		}
		b.Received, b.Socket, b.Keepalive = received.String, socket.String, true
		out = append(out, b)
	}
	return out, rows.Err()
}

func (s *Store) natedQuery(q store.NATedQuery) (string, []any, error) {
	switch {
	case q.Limit <= 0:
		return "", nil, errors.New("nated: limit must be above 0")
	case len(q.Partitions) > 0 && q.Shards > 0:
		return "", nil, errors.New("nated: give partitions or shards, not both")
	case len(q.Partitions) > maxPartitionList:
		return "", nil, fmt.Errorf("nated: at most %d partitions", maxPartitionList)
	case q.Shards > 0 && (q.Shard < 0 || q.Shard >= q.Shards):
		return "", nil, fmt.Errorf("nated: shard %d is not in 0..%d", q.Shard, q.Shards-1)
	}
	args := []any{q.After, s.d.timeArg(q.Now), s.d.timeArg(permanent)}
	switch {
	case q.Shards > 0:
		return s.q.natedShard, append(args, q.Shards, q.Shard, q.Limit), nil
	case len(q.Partitions) > 0:
		for _, p := range q.Partitions {
			args = append(args, p)
		}
		return s.q.natedIn(len(q.Partitions)), append(args, q.Limit), nil
	}
	return s.q.natedAll, append(args, q.Limit), nil
}

// defaultListLimit is List's limit when none is given.
const defaultListLimit = 1000

// List gives bindings, expired or not, for `sipfleet contacts list`.
func (s *Store) List(ctx context.Context, aor *store.AOR, limit int) ([]store.Binding, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	query, args := s.q.listAll, []any{limit}
	if aor != nil {
		query, args = s.q.listAOR, []any{aor.User, aor.Domain, limit}
	}
	var out []store.Binding
	err := s.run(ctx, "list", func(ctx context.Context) error {
		rows, err := s.r.query(ctx, query, args...)
		if err != nil {
			return err
		}
		out, err = scanBindings(rows)
		return err
	})
	return out, err
}
