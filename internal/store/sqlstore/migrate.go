package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// execer is what Migrate runs its statements on: a *sql.Conn, or a
// *sql.Tx on SQLite.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// migrateTimeout bounds Migrate: widening a column of a large Kamailio
// table takes a while.
const migrateTimeout = 10 * time.Minute

// Migrate brings every table to the version this package knows: it
// creates missing tables with their version rows, runs the upgrade steps
// of older ones, and adds missing indexes. A lock (a named lock on MySQL,
// an advisory lock on PostgreSQL, an IMMEDIATE transaction on SQLite)
// keeps two nodes from migrating at once.
func (s *Store) Migrate(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	err := s.migrate(ctx)
	return s.settle(ctx, "migrate", err)
}

func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.w.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if s.d != sqliteDialect {
		unlock, err := s.d.lock(ctx, conn)
		if err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		defer unlock()
		return s.migrateOn(ctx, conn)
	}
	tx, err := conn.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the DSN sets _txlock
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.migrateOn(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) migrateOn(ctx context.Context, ex execer) error {
	if _, err := ex.ExecContext(ctx, s.d.rebind(s.d.schema[0].create)); err != nil {
		return fmt.Errorf("create version table: %w", err)
	}
	have, err := versions(ctx, ex)
	if err != nil {
		return err
	}
	for _, t := range s.d.schema {
		if err := s.migrateTable(ctx, ex, t, have); err != nil {
			return fmt.Errorf("table %s: %w", t.name, err)
		}
	}
	return nil
}

func (s *Store) migrateTable(ctx context.Context, ex execer, t table, have map[string]int) error {
	v, ok := have[t.name]
	switch {
	case !ok:
		if _, err := ex.ExecContext(ctx, s.d.rebind(t.create)); err != nil {
			return err
		}
		if _, err := ex.ExecContext(ctx, s.d.rebind(`INSERT INTO version (table_name, table_version) VALUES (?, ?)`), t.name, t.version); err != nil {
			return err
		}
	case v > t.version:
		return fmt.Errorf("version %d is newer than this sipfleet knows (%d)", v, t.version)
	case v < t.version:
		if err := s.upgrade(ctx, ex, t, v); err != nil {
			return err
		}
	}
	for _, ix := range t.indexes {
		ix.create = s.d.rebind(ix.create)
		if err := s.d.createIndex(ctx, ex, ix); err != nil {
			return fmt.Errorf("index %s: %w", ix.name, err)
		}
	}
	return nil
}

// upgrade runs the steps from version v to t.version, then records it.
func (s *Store) upgrade(ctx context.Context, ex execer, t table, v int) error {
	for ; v < t.version; v++ {
		steps, ok := t.upgrades[v]
		if !ok {
			return fmt.Errorf("cannot upgrade from version %d; run Kamailio's upgrade scripts up to version %d first", v, t.version)
		}
		for _, q := range steps {
			if _, err := ex.ExecContext(ctx, s.d.rebind(q)); err != nil {
				return fmt.Errorf("upgrade from version %d: %w", v, err)
			}
		}
	}
	_, err := ex.ExecContext(ctx, s.d.rebind(`UPDATE version SET table_version = ? WHERE table_name = ?`), t.version, t.name)
	return err
}

// SchemaVersions gives the version table.
func (s *Store) SchemaVersions(ctx context.Context) (map[string]int, error) {
	var have map[string]int
	err := s.run(ctx, "schema versions", func(ctx context.Context) error {
		var err error
		have, err = versions(ctx, s.r.db)
		return err
	})
	return have, err
}

func versions(ctx context.Context, ex execer) (map[string]int, error) {
	rows, err := ex.QueryContext(ctx, `SELECT table_name, table_version FROM version`)
	if err != nil {
		return nil, fmt.Errorf("read versions: %w", err)
	}
	defer rows.Close()
	have := make(map[string]int)
	for rows.Next() {
		var name string
		var v int
		if err := rows.Scan(&name, &v); err != nil {
			return nil, err
		}
		have[name] = v
	}
	return have, rows.Err()
}
