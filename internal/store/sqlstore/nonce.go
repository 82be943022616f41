package sqlstore

import (
	"context"
	"strconv"
	"time"
)

// AdvanceNonce records nc as the highest nonce-count accepted for the
// nonce id, and reports whether it is higher than every count recorded
// before. A known nonce is raised by an UPDATE whose WHERE holds only for
// a higher count; a new one is inserted by a statement that changes no row
// when another node inserted it first. Either way one row decides, so two
// nodes racing on a count cannot both accept it. It backs the fleet-wide
// internal/auth NonceCounter: one statement per use of a known nonce, two
// for its first use.
func (s *Store) AdvanceNonce(ctx context.Context, id uint64, nc uint32, expires time.Time) (bool, error) {
	var ok bool
	key := strconv.FormatUint(id, 16)
	err := s.run(ctx, "advance nonce", func(ctx context.Context) error {
		res, err := s.w.exec(ctx, nil, s.q.nonceRaise, int64(nc), key, int64(nc))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			ok = n > 0
			return err
		}
		res, err = s.w.exec(ctx, nil, s.q.nonceInsert, key, int64(nc), s.d.timeArg(expires))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n > 0
		return err
	})
	return ok, err
}

// ExpireNonces forgets nonces past their expiry.
func (s *Store) ExpireNonces(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.run(ctx, "expire nonces", func(ctx context.Context) error {
		res, err := s.w.exec(ctx, nil, s.q.nonceExpire, s.d.timeArg(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
