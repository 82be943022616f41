package sqlstore

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// MySQL and MariaDB server errors the store tells apart.
const (
	mysqlTooManyConns     = 1040
	mysqlServerShutdown   = 1053
	mysqlLockWaitTimeout  = 1205
	mysqlDeadlock         = 1213
	mysqlConnectionKilled = 1927 // MariaDB's ER_CONNECTION_KILLED
	mysqlGoneAway         = 2006
	mysqlLostConnection   = 2013
)

// SQLite primary result codes.
const (
	sqliteBusy   = 5
	sqliteLocked = 6
)

// lostConn reports whether err says the connection broke: the server went
// away, closed it or was told to, or the network failed. database/sql
// drops such a connection, so a new try gets a fresh one.
func lostConn(err error) bool {
	for _, target := range []error{driver.ErrBadConn, mysql.ErrInvalidConn, io.EOF, io.ErrUnexpectedEOF,
		net.ErrClosed, syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED} {
		if errors.Is(err, target) {
			return true
		}
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		switch my.Number {
		case mysqlServerShutdown, mysqlConnectionKilled, mysqlGoneAway, mysqlLostConnection:
			return true
		}
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// Class 08 is connection exception; 57P01 and 57P02 are the
		// server (or pg_terminate_backend) closing the session.
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02"
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op != "dial"
}

// transient reports a deadlock or serialization failure: the statement
// lost a race and can be sent again at once.
func transient(err error) bool {
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return my.Number == mysqlDeadlock
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	return false
}

// sqliteConstraintPK is SQLITE_CONSTRAINT_PRIMARYKEY.
const sqliteConstraintPK = 1555

// idTaken reports a primary key conflict: an id named by a refresh that
// SQLite gave to a new row (see the package doc).
func idTaken(err error) bool {
	var lite *sqlite.Error
	return errors.As(err, &lite) && lite.Code() == sqliteConstraintPK
}

func retryable(err error) bool {
	var ac ambiguousCommit
	if errors.As(err, &ac) {
		return false
	}
	return lostConn(err) || transient(err) || errors.Is(err, errNonceRace)
}

// ambiguousCommit is a COMMIT that failed without saying whether it took
// effect, in a transaction that must not run twice (one that counts
// nonces). It is not retried; it still reads as the driver's error.
type ambiguousCommit struct{ err error }

func (e ambiguousCommit) Error() string { return "commit: " + e.err.Error() }
func (e ambiguousCommit) Unwrap() error { return e.err }

// unavailable reports whether err means the database cannot serve now:
// unreachable, lost, out of connections, shutting down, or held by a lock
// for longer than the wait allows.
func unavailable(err error) bool {
	if lostConn(err) || errors.Is(err, syscall.ECONNREFUSED) || pgconn.Timeout(err) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return true
	}
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return true
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return my.Number == mysqlTooManyConns || my.Number == mysqlLockWaitTimeout
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// 57P03 cannot connect now (starting up), 53300 too many
		// connections, 53xxx insufficient resources in general.
		return pg.Code == "57P03" || strings.HasPrefix(pg.Code, "53")
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		code := lite.Code() & 0xff
		return code == sqliteBusy || code == sqliteLocked
	}
	return false
}
