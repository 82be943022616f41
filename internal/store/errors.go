package store

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound says that the record asked for does not exist.
	ErrNotFound = errors.New("not found")

	// ErrUnavailable says that the database could not be reached or did
	// not answer in time. It wraps the driver's error; test for it with
	// errors.Is. A registrar answers 503 with Retry-After. The store
	// recovers by itself once the database is back, without reopening.
	ErrUnavailable = errors.New("database unavailable")
)

// NonceReplayError is UpdateAll's answer when some changes' nonce-counts
// were used before: those changes, by index, were not written; every
// other change was. The REGISTERs left out get a challenge with
// stale=true.
type NonceReplayError struct {
	Changes []int
}

func (e *NonceReplayError) Error() string {
	return fmt.Sprintf("nonce-count replayed in %d of the changes", len(e.Changes))
}
