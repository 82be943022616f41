package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// pools are the database/sql pools of a store: one for writes and one
// for reads, the same one except on SQLite, which takes one writer at a
// time but any number of readers (WAL).
type pools struct {
	write, read *sql.DB
}

// openPools reads a DSN URL and opens the engine's pools. Its errors never
// quote the DSN, which may hold a password.
func openPools(dsn string, timeout time.Duration, log *slog.Logger) (*dialect, pools, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, pools{}, errors.New("bad database URL: not a URL")
	}
	switch u.Scheme {
	case "sqlite":
		return openSQLite(u, timeout)
	case "mysql":
		return openMySQL(u, timeout, log)
	case "postgres", "postgresql":
		return openPostgres(dsn, timeout)
	}
	return nil, pools{}, errors.New("bad database URL: the scheme must be sqlite, mysql or postgres")
}

// sqlitePath takes the file of "sqlite:PATH", "sqlite:/abs/path" and
// "sqlite:///abs/path".
func sqlitePath(u *url.URL) (string, error) {
	path := u.Opaque
	if path == "" {
		path = u.Path
	}
	switch {
	case u.Host != "":
		return "", errors.New("bad database URL: sqlite takes a file path, not a host: sqlite:PATH or sqlite:///abs/path")
	case path == "":
		return "", errors.New("bad database URL: sqlite needs a file path, as in sqlite:./sipfleet.db")
	case u.RawQuery != "" || u.ForceQuery:
		return "", errors.New("bad database URL: sqlite takes no parameters")
	}
	return path, nil
}

// openSQLite opens the file in WAL mode with a busy timeout as long as an
// operation may take, full fsync at each commit (a binding is durable
// before the 200 OK), IMMEDIATE transactions so that two writers queue
// instead of failing, one writer connection and read-only readers.
func openSQLite(u *url.URL, timeout time.Duration) (*dialect, pools, error) {
	path, err := sqlitePath(u)
	if err != nil {
		return nil, pools{}, err
	}
	busy := strconv.FormatInt(timeout.Milliseconds(), 10)
	write, err := sql.Open("sqlite", path+"?_busy_timeout="+busy+"&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate")
	if err != nil {
		return nil, pools{}, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", path+"?_busy_timeout="+busy+"&_query_only=true")
	if err != nil {
		write.Close()
		return nil, pools{}, fmt.Errorf("open sqlite: %w", err)
	}
	return sqliteDialect, pools{write, read}, nil
}

// openMySQL sets what the store relies on whatever the URL says: times
// as UTC time.Time, server-side prepared statements (no client-side
// interpolation), and affected rows that count matched rows, which
// Update's refresh reads.
func openMySQL(u *url.URL, timeout time.Duration, log *slog.Logger) (*dialect, pools, error) {
	cfg := mysql.NewConfig()
	if u.RawQuery != "" {
		parsed, err := mysql.ParseDSN("/?" + u.RawQuery)
		if err != nil {
			return nil, pools{}, errors.New("bad database URL: bad mysql parameters")
		}
		cfg = parsed
	}
	if u.Host == "" || len(u.Path) < 2 {
		return nil, pools{}, errors.New("bad database URL: mysql needs a host and a database, as in mysql://user@host/db")
	}
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", net.JoinHostPort(u.Hostname(), port), u.Path[1:]
	cfg.ParseTime, cfg.Loc, cfg.InterpolateParams, cfg.ClientFoundRows = true, time.UTC, false, true
	if cfg.Timeout == 0 {
		cfg.Timeout = timeout
	}
	cfg.Logger = mysqlLogger{log}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, pools{}, errors.New("bad database URL: bad mysql settings")
	}
	db := sql.OpenDB(conn)
	return mysqlDialect, pools{db, db}, nil
}

// mysqlLogger sends the driver's own messages (such as a connection it
// found closed) to the store's logger at debug level, instead of the
// driver's default of stderr.
type mysqlLogger struct{ log *slog.Logger }

func (l mysqlLogger) Print(v ...any) { l.log.Debug("mysql driver", "msg", fmt.Sprint(v...)) }

func openPostgres(dsn string, timeout time.Duration) (*dialect, pools, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, pools{}, errors.New("bad database URL: bad postgres URL or parameters")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = timeout
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	db := stdlib.OpenDB(*cfg)
	return postgresDialect, pools{db, db}, nil
}
