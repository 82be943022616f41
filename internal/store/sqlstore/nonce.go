package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
)

// AdvanceNonce records nc as the highest nonce-count accepted for the
// nonce id, and reports whether it is higher than every count recorded
// before. A known nonce is raised by an UPDATE whose WHERE holds only for
// a higher count; a new one is inserted by a statement that changes no row
// when another node inserted it first. Either way one row decides, so two
// nodes racing on a count cannot both accept it. It backs the fleet-wide
// internal/auth NonceCounter: one statement per use — an insert for a
// count of 1, which is a replay if the nonce is known, else the UPDATE —
// and two when a count above 1 finds its nonce unknown.
func (s *Store) AdvanceNonce(ctx context.Context, id uint64, nc uint32, expires time.Time) (bool, error) {
	var ok bool
	key := strconv.FormatUint(id, 16)
	err := s.run(ctx, "advance nonce", func(ctx context.Context) error {
		if nc <= 1 {
			res, err := s.w.exec(ctx, nil, s.q.nonceInsert, key, int64(nc), s.d.timeArg(expires))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			ok = n > 0
			return err
		}
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

// NonceUse is one use of a digest nonce: its id, the nonce-count, and
// when the nonce expires (its row may go then).
type NonceUse struct {
	ID      uint64
	NC      uint32
	Expires time.Time
}

// errNonceRace says that a nonce was inserted by another node between
// this node's read and its insert, on an engine that cannot say which
// (MySQL), or swept meanwhile: the whole advance is run again.
var errNonceRace = errors.New("a nonce was inserted meanwhile")

// AdvanceNonces is AdvanceNonce for many uses at once, in order (a nonce
// used twice in uses is raised twice): in one transaction, one SELECT
// (FOR UPDATE where the engine has it) of their counts, one insert of the
// nonces not yet known, and an UPDATE per known nonce raised — which
// phones do when they reuse a nonce, and SIPp and most phones do not. So
// concurrent REGISTERs share one commit, as their bindings do. ok[i] says
// whether uses[i] was accepted. A nonce that another node inserted since
// it was read is read again, locked, and decided on its count.
func (s *Store) AdvanceNonces(ctx context.Context, uses []NonceUse) ([]bool, error) {
	ok := make([]bool, len(uses))
	if len(uses) == 1 {
		var err error
		ok[0], err = s.AdvanceNonce(ctx, uses[0].ID, uses[0].NC, uses[0].Expires)
		return ok, err
	}
	at := make(map[string][]int, len(uses)) // a nonce's uses, in order
	var distinct []string
	for i, u := range uses {
		k := strconv.FormatUint(u.ID, 16)
		if at[k] == nil {
			distinct = append(distinct, k)
		}
		at[k] = append(at[k], i)
	}
	err := s.run(ctx, "advance nonces", func(ctx context.Context) error {
		tx, err := s.w.beginTx(ctx, s.d.nonceTx)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		counts, err := s.nonceCounts(ctx, tx, distinct)
		if err != nil {
			return err
		}
		var inserts, updates []nonceWrite
		for _, k := range distinct {
			cur, known := counts[k]
			if w, raised := decideNonce(uses, at[k], ok, cur, known); raised && known {
				updates = append(updates, w)
			} else if raised {
				inserts = append(inserts, w)
			}
		}
		missed, err := s.insertNonces(ctx, tx, inserts)
		if err != nil {
			return err
		}
		if len(missed) > 0 {
			// Inserted by another node since they were read: they
			// exist now, and reading them again locks them.
			again, err := s.nonceCounts(ctx, tx, missed)
			if err != nil {
				return err
			}
			for _, k := range missed {
				cur, known := again[k]
				if !known {
					return errNonceRace // and swept already: start over
				}
				if w, raised := decideNonce(uses, at[k], ok, cur, true); raised {
					updates = append(updates, w)
				}
			}
		}
		for _, w := range updates {
			if _, err := s.w.exec(ctx, tx, s.q.nonceSet, int64(w.nc), w.key); err != nil {
				return err
			}
		}
		return s.w.commit(tx)
	})
	return ok, err
}

// nonceWrite is a nonce's count after a batch.
type nonceWrite struct {
	key     string
	nc      uint32
	expires time.Time
}

// decideNonce decides the uses idx (in order) of one nonce whose count
// is cur (or which is unknown), setting ok for each, and gives its count
// afterwards and whether any use raised it.
func decideNonce(uses []NonceUse, idx []int, ok []bool, cur uint32, known bool) (nonceWrite, bool) {
	var w nonceWrite
	raised := false
	for _, i := range idx {
		ok[i] = !known || uses[i].NC > cur
		if ok[i] {
			cur, known, raised = uses[i].NC, true, true
			w = nonceWrite{key: strconv.FormatUint(uses[i].ID, 16), nc: cur, expires: uses[i].Expires}
		}
	}
	return w, raised
}

// nonceCounts reads the counts of the nonces keys that are known.
func (s *Store) nonceCounts(ctx context.Context, tx *sql.Tx, keys []string) (map[string]uint32, error) {
	counts := make(map[string]uint32, len(keys))
	err := eachPadded(keys, func(n int, args []any) error {
		rows, err := s.w.queryTx(ctx, tx, s.q.nonceSelect(n), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id string
				nc int64
			)
			if err := rows.Scan(&id, &nc); err != nil {
				return err
			}
			counts[strings.TrimRight(id, " ")] = uint32(nc) // CHAR(16) pads
		}
		return rows.Err()
	})
	return counts, err
}

// insertNonces inserts ws, skipping the nonces another node inserted
// since they were read, and gives those. An engine that cannot say which
// rows it skipped (MySQL) runs the whole advance again instead; that
// takes two nodes inserting the same nonce at once, which is rare.
func (s *Store) insertNonces(ctx context.Context, tx *sql.Tx, ws []nonceWrite) ([]string, error) {
	var missed []string
	var err error
	each(len(ws), func(i, j int) {
		if err == nil {
			var m []string
			m, err = s.insertNonceRows(ctx, tx, ws[i:j])
			missed = append(missed, m...)
		}
	})
	return missed, err
}

// insertNonceRows is one statement of insertNonces.
func (s *Store) insertNonceRows(ctx context.Context, tx *sql.Tx, chunk []nonceWrite) ([]string, error) {
	args := make([]any, 0, 3*len(chunk))
	for _, w := range chunk {
		args = append(args, w.key, int64(w.nc), s.d.timeArg(w.expires))
	}
	q := s.q.nonceInsertRows(len(chunk))
	if !s.d.returning {
		res, err := s.w.exec(ctx, tx, q, args...)
		if err != nil {
			return nil, err
		}
		if got, err := res.RowsAffected(); err != nil || got != int64(len(chunk)) {
			return nil, errors.Join(errNonceRace, err)
		}
		return nil, nil
	}
	inserted, err := s.keySet(ctx, tx, q+" RETURNING id", args...)
	if err != nil {
		return nil, err
	}
	var missed []string
	for _, w := range chunk {
		if !inserted[w.key] {
			missed = append(missed, w.key)
		}
	}
	return missed, nil
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
