package store

import "errors"

var (
	// ErrNotFound says that the record asked for does not exist.
	ErrNotFound = errors.New("not found")

	// ErrUnavailable says that the database could not be reached or did
	// not answer in time. It wraps the driver's error; test for it with
	// errors.Is. A registrar answers 503 with Retry-After. The store
	// recovers by itself once the database is back, without reopening.
	ErrUnavailable = errors.New("database unavailable")
)
