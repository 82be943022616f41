package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sipfleet/sipfleet/internal/store"
)

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		name                  string
		err                   error
		lost, transient, down bool
	}{
		{"bad conn", driver.ErrBadConn, true, false, true},
		{"mysql invalid conn", fmt.Errorf("exec: %w", mysql.ErrInvalidConn), true, false, true},
		{"eof", io.ErrUnexpectedEOF, true, false, true},
		{"reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, true, false, true},
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, false, false, true},
		{"mariadb connection killed", &mysql.MySQLError{Number: 1927}, true, false, true},
		{"mysql too many connections", &mysql.MySQLError{Number: 1040}, false, false, true},
		{"mysql deadlock", &mysql.MySQLError{Number: 1213}, false, true, false},
		{"mysql duplicate", &mysql.MySQLError{Number: 1062}, false, false, false},
		{"pg terminated", &pgconn.PgError{Code: "57P01"}, true, false, true},
		{"pg connection failure", &pgconn.PgError{Code: "08006"}, true, false, true},
		{"pg starting up", &pgconn.PgError{Code: "57P03"}, false, false, true},
		{"pg serialization", &pgconn.PgError{Code: "40001"}, false, true, false},
		{"pg deadlock", &pgconn.PgError{Code: "40P01"}, false, true, false},
		{"pg value too long", &pgconn.PgError{Code: "22001"}, false, false, false},
		{"plain", errors.New("syntax error"), false, false, false},
		{"commit lost", ambiguousCommit{driver.ErrBadConn}, true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lostConn(tt.err); got != tt.lost {
				t.Errorf("lostConn = %v; want %v", got, tt.lost)
			}
			// A commit that may have taken effect is never run again.
			var ac ambiguousCommit
			if got, want := retryable(tt.err), (tt.lost || tt.transient) && !errors.As(tt.err, &ac); got != want {
				t.Errorf("retryable = %v; want %v", got, want)
			}
			if got := transient(tt.err); got != tt.transient {
				t.Errorf("transient = %v; want %v", got, tt.transient)
			}
			if got := unavailable(tt.err); got != tt.down {
				t.Errorf("unavailable = %v; want %v", got, tt.down)
			}
		})
	}
}

// TestSettle checks what callers see: ErrUnavailable for an outage or a
// timeout, ErrNotFound as is, the caller's own cancellation as such.
func TestSettle(t *testing.T) {
	s := openStore(t, freshDSN(t, "sqlite"), store.Options{})
	expired, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	cancelled, stop := context.WithCancel(context.Background())
	stop()
	tests := []struct {
		name        string
		ctx         context.Context
		err         error
		unavailable bool
		target      error
	}{
		{"deadline", expired, errors.New("interrupted"), true, context.DeadlineExceeded},
		{"cancelled", cancelled, driver.ErrBadConn, false, context.Canceled},
		{"down", context.Background(), driver.ErrBadConn, true, driver.ErrBadConn},
		{"not found", context.Background(), store.ErrNotFound, false, store.ErrNotFound},
		{"other", context.Background(), errors.New("syntax error"), false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.settle(tt.ctx, "op", tt.err)
			if got := errors.Is(err, store.ErrUnavailable); got != tt.unavailable {
				t.Errorf("%v: ErrUnavailable %v; want %v", err, got, tt.unavailable)
			}
			if tt.target != nil && !errors.Is(err, tt.target) {
				t.Errorf("%v does not wrap %v", err, tt.target)
			}
		})
	}
}
