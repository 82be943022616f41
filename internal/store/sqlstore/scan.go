package sqlstore

import (
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

// timeValue reads a DATETIME or TIMESTAMP column from any of the drivers:
// a time.Time (MySQL with parseTime, PostgreSQL), or text (SQLite).
type timeValue struct{ t time.Time }

func (v *timeValue) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		v.t = time.Time{}
	case time.Time:
		v.t = x.UTC()
	case string:
		return v.parse(x)
	case []byte:
		return v.parse(string(x))
	default:
		return fmt.Errorf("time column holds a %T", src)
	}
	return nil
}

// textTimeLayouts are the forms a text time may take: Kamailio's and this
// package's first, then those other SQLite writers use.
var textTimeLayouts = []string{sqlTimeLayout, "2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02"}

func (v *timeValue) parse(s string) error {
	for _, layout := range textTimeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			v.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("time column holds %q", s)
}

// rowScanner is *sql.Rows or *sql.Row.
type rowScanner interface{ Scan(dest ...any) error }

// scanBinding reads a row of bindingColumns.
func scanBinding(r rowScanner) (store.Binding, error) {
	var (
		b                                        store.Binding
		domain, received, path, socket, instance sql.NullString
		methods                                  sql.NullInt64
		expires, modified                        timeValue
		keepalive                                int
	)
	err := r.Scan(&b.ID, &b.RUID, &b.AOR.User, &domain, &b.Contact, &received, &path, &expires, &b.Q,
		&b.CallID, &b.CSeq, &modified, &b.Flags, &b.CFlags, &b.UserAgent, &socket, &methods, &instance,
		&b.RegID, &b.ServerID, &b.ConnectionID, &keepalive, &b.Partition)
	if err != nil {
		return b, err
	}
	b.AOR.Domain, b.Received, b.Path, b.Socket, b.Instance = domain.String, received.String, path.String, socket.String, instance.String
	b.Methods = int(methods.Int64)
	b.Expires, b.LastModified = expires.t, modified.t
	if b.Expires.Equal(permanent) {
		b.Expires = time.Time{}
	}
	// MySQL keeps q in a FLOAT(10,2): 0.1 comes back as 0.10000000149.
	b.Q = math.Round(b.Q*1000) / 1000
	b.Keepalive = keepalive != 0
	return b, nil
}

func scanBindings(rows *sql.Rows) ([]store.Binding, error) {
	defer rows.Close()
	var out []store.Binding
	for rows.Next() {
		b, err := scanBinding(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// null writes "" as NULL, as Kamailio does for its nullable columns.
func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// expiresArg writes a binding's expires; permanent bindings get
// Kamailio's expires 0.
func (s *Store) expiresArg(t time.Time) any {
	if t.IsZero() {
		return s.d.timeArg(permanent)
	}
	return s.d.timeArg(t)
}

// refreshArgs are the values of refreshColumns.
func (s *Store) refreshArgs(b store.Binding) []any {
	var methods any
	if b.Methods != 0 {
		methods = b.Methods
	}
	keepalive := 0
	if b.Keepalive {
		keepalive = 1
	}
	return []any{b.Contact, null(b.Received), null(b.Path), s.expiresArg(b.Expires), b.Q, b.CallID, b.CSeq,
		s.d.timeArg(b.LastModified), b.Flags, b.CFlags, b.UserAgent, null(b.Socket), methods, null(b.Instance),
		b.RegID, b.ServerID, b.ConnectionID, keepalive}
}

// insertArgs are the values of insertColumns.
func (s *Store) insertArgs(b store.Binding) []any {
	args := append([]any{b.RUID, b.AOR.User, null(b.AOR.Domain)}, s.refreshArgs(b)...)
	return append(args, b.Partition)
}
