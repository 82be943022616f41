package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// pool is one database/sql pool and the statements prepared on it. A
// statement is prepared once, on first use, and database/sql prepares it
// again on each new connection, including those that replace connections
// lost in an outage. A statement that fails to prepare (the database is
// down, or the tables are not migrated yet) is not kept, and the next use
// tries again.
type pool struct {
	db    *sql.DB
	stmts sync.Map // query text -> *sql.Stmt
	// later holds statements a transaction had to prepare for itself;
	// the next begin prepares them on the pool, so that they are
	// prepared once per connection, not once per transaction.
	later sync.Map // query text -> struct{}
	// sent counts the statements sent, for Stats.
	sent *atomic.Uint64
}

func (p *pool) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := p.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := p.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := p.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// prepare makes sure the statements qs are prepared.
func (p *pool) prepare(ctx context.Context, qs ...string) error {
	for _, q := range qs {
		if _, err := p.stmt(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// exec runs the statement q, in tx when tx is not nil.
func (p *pool) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	st, err := p.txStmt(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	p.sent.Add(1)
	return st.ExecContext(ctx, args...)
}

// txStmt gives the prepared statement q, bound to tx when tx is not nil.
// A statement not prepared yet is prepared on tx's connection: preparing
// it on the pool would wait for a free connection, and SQLite's writer
// pool has one, held by tx.
func (p *pool) txStmt(ctx context.Context, tx *sql.Tx, q string) (*sql.Stmt, error) {
	if tx == nil {
		return p.stmt(ctx, q)
	}
	if st, ok := p.stmts.Load(q); ok {
		return tx.StmtContext(ctx, st.(*sql.Stmt)), nil
	}
	p.later.Store(q, struct{}{})
	return tx.PrepareContext(ctx, q)
}

func (p *pool) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return p.queryTx(ctx, nil, q, args...)
}

// queryTx runs the query q, in tx when tx is not nil.
func (p *pool) queryTx(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	st, err := p.txStmt(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	p.sent.Add(1)
	return st.QueryContext(ctx, args...)
}

// begin starts a transaction; BEGIN and COMMIT count as statements.
func (p *pool) begin(ctx context.Context) (*sql.Tx, error) {
	return p.beginTx(ctx, nil)
}

// beginTx starts a transaction with opts, first preparing on the pool
// what earlier transactions prepared for themselves.
func (p *pool) beginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	p.later.Range(func(q, _ any) bool {
		if _, err := p.stmt(ctx, q.(string)); err != nil {
			return false // the transaction will meet the error itself
		}
		p.later.Delete(q)
		return true
	})
	p.sent.Add(1)
	return p.db.BeginTx(ctx, opts)
}

func (p *pool) commit(tx *sql.Tx) error {
	p.sent.Add(1)
	return tx.Commit()
}

func (p *pool) close() error {
	p.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return p.db.Close()
}
