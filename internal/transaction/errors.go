package transaction

import (
	"errors"
	"fmt"
)

var (
	// ErrTimeout is reported when Timer B or F (client) or H (server)
	// fires: the peer never answered, or never acknowledged.
	ErrTimeout = errors.New("transaction timed out")
	// ErrTerminated is returned by calls on a transaction that has ended.
	ErrTerminated = errors.New("transaction terminated")
	// ErrFinalSent is returned when the TU responds after the final
	// response (other than 2xx retransmissions to an INVITE, RFC 6026, Figure 7).
	ErrFinalSent = errors.New("final response already sent")
	// ErrClosed is returned once the Layer is closed.
	ErrClosed = errors.New("transaction layer closed")
	// ErrExists is returned for a client request whose branch and method
	// name a live transaction (§17.1.3 could not tell them apart).
	ErrExists = errors.New("transaction exists")
	// ErrNotCancellable is returned by ClientTx.Cancel for a request that
	// is not an INVITE or that already has a final response (§9.1).
	ErrNotCancellable = errors.New("transaction not cancellable")
)

// TimeoutError says which RFC 3261 timer expired. It matches ErrTimeout
// with errors.Is.
type TimeoutError struct {
	Timer     byte // 'B', 'F' or 'H'
	cancelled bool // a CANCELled INVITE that got no final response (§9.1)
}

func (e *TimeoutError) Error() string {
	if e.cancelled {
		return "no final response 64*T1 after CANCEL: transaction timed out"
	}
	return fmt.Sprintf("timer %c fired: transaction timed out", e.Timer)
}

// Is makes errors.Is(err, ErrTimeout) true.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// TransportError is a send failure (RFC 3261 §17.1.4, §17.2.4).
type TransportError struct {
	Err error
}

func (e *TransportError) Error() string { return "send: " + e.Err.Error() }

func (e *TransportError) Unwrap() error { return e.Err }

// timeoutErrs are allocated once: a timeout is common under load and the
// error carries no per-transaction data.
var (
	errTimerB error = &TimeoutError{Timer: 'B'}
	errTimerF error = &TimeoutError{Timer: 'F'}
	errTimerH error = &TimeoutError{Timer: 'H'}
	// errCancelTimeout ends an INVITE that has had no final response
	// 64*T1 after its CANCEL (§9.1).
	errCancelTimeout error = &TimeoutError{Timer: 'B', cancelled: true}
)
