package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// dialect is what differs between the engines: the schema, the upsert
// and sweep statements, placeholders, identifier quoting, how a time is
// passed, and how Migrate takes its lock.
type dialect struct {
	name string
	// rebind turns the package's statements, written with ? placeholders
	// and "double-quoted" identifiers, into the engine's.
	rebind func(q string) string
	// upsert is the clause that turns an INSERT into an upsert on the
	// conflict columns, setting the set columns from the new row.
	upsert func(conflict, set []string) string
	// expire is the sweep statement; its arguments are now, the permanent
	// sentinel and the limit, then now and the sentinel again when
	// expireRecheck is set.
	expire        string
	expireRecheck bool
	// nonceInsert records a nonce's first count, and changes no row when
	// the nonce is known (INSERT IGNORE on MySQL, whose found-rows mode
	// would count an unchanged duplicate).
	nonceInsert string
	// nonceExpire deletes at most n nonces past their expiry (arguments:
	// now, n), along the expires index: the sweep deletes in short
	// statements, each holding few locks, instead of one that scans and
	// locks a table of hundreds of thousands of rows while REGISTERs wait.
	nonceExpire string
	// refreshRows, when set, is the statement that refreshes n bindings
	// read from the table by their ruids and returns the ruids it found;
	// unset, refreshes are upserts that name the rows' ids. PostgreSQL
	// needs it: its upsert arbitrates one unique index only, and an id
	// given for a row that a concurrent upsert is updating can fail on
	// the primary key.
	refreshRows func(n int) string
	// forUpdate ends a SELECT that locks the rows it reads, where the
	// engine has row locks (SQLite's write transactions lock the file).
	forUpdate string
	// lockRows says that a transaction writing several bindings first
	// takes an advisory lock per ruid, in one order (Store.lockRows).
	// PostgreSQL needs it: its UPDATE ... FROM (VALUES ...) and upserts
	// lock rows in whatever order they meet them, so concurrent batches
	// over the same bindings deadlock, and its deadlock detector takes a
	// second to notice.
	lockRows bool
	// nonceTx is how a transaction that reads nonce-counts with a
	// locking read opens (advance without guessing). MySQL's REPEATABLE
	// READ would take gap locks in the locking read of nonces not yet
	// known, and two nodes holding the same gap deadlock on their
	// inserts; READ COMMITTED takes none. A guessing advance makes no
	// locking read, and opens with the default isolation.
	nonceTx *sql.TxOptions
	// returning says that an INSERT can end in RETURNING.
	returning bool
	// foldCase says that the engine compares the AoR's columns without
	// regard to case (MySQL's default collations).
	foldCase bool
	// timeArg is how a time goes to the engine.
	timeArg func(t time.Time) any
	// schema lists the tables in creation order, version first.
	schema []table
	// createIndex creates an index unless it exists.
	createIndex func(ctx context.Context, ex execer, ix index) error
	// lock serialises Migrate across nodes; the unlock it returns must
	// run on the same connection.
	lock func(ctx context.Context, ex execer) (unlock func(), err error)
}

// table is one table of the schema: its current version, the statement
// that creates it at that version, its indexes, and the steps that bring
// an older version up to the next one.
type table struct {
	name     string
	version  int
	create   string
	indexes  []index
	upgrades map[int][]string
}

type index struct{ table, name, create string }

// sqlTimeLayout is how DATETIME values are written in text, by Kamailio
// and by this package for SQLite.
const sqlTimeLayout = "2006-01-02 15:04:05"

// dbTime is a time as this package writes it: UTC, whole seconds.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// permanent is the expires of a binding that never lapses: Kamailio's
// expires 0, written as a DATETIME in UTC.
var permanent = time.Unix(0, 0).UTC()

func questionMarks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// dollarPlaceholders numbers the ? placeholders as PostgreSQL wants them.
// The package's statements hold no ? in literals.
func dollarPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// onConflict is the upsert clause of SQLite and PostgreSQL.
func onConflict(conflict, set []string) string {
	sets := make([]string, len(set))
	for i, c := range set {
		sets[i] = c + " = excluded." + c
	}
	return " ON CONFLICT (" + strings.Join(conflict, ", ") + ") DO UPDATE SET " + strings.Join(sets, ", ")
}

// onDuplicateKey is the upsert clause of MySQL and MariaDB. VALUES() is
// deprecated in MySQL 8.0.20 but MariaDB has no row alias, and both take
// VALUES().
func onDuplicateKey(_, set []string) string {
	sets := make([]string, len(set))
	for i, c := range set {
		sets[i] = c + " = VALUES(" + c + ")"
	}
	return " ON DUPLICATE KEY UPDATE " + strings.Join(sets, ", ")
}

// createIndexIfNotExists serves the engines that have CREATE INDEX IF NOT
// EXISTS.
func createIndexIfNotExists(ctx context.Context, ex execer, ix index) error {
	_, err := ex.ExecContext(ctx, strings.Replace(ix.create, "CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
	return err
}
