package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
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

// errNonceRace says that a nonce was inserted by another node between
// this node's read and its insert, on an engine that cannot say which
// (MySQL), or swept meanwhile: the whole advance is run again.
var errNonceRace = errors.New("a nonce was inserted meanwhile")

// AdvanceNonces is AdvanceNonce for many uses at once, in order (a nonce
// used twice in uses is raised twice), in one transaction: see advance.
// So concurrent REGISTERs share one commit, as their bindings do. ok[i]
// says whether uses[i] was accepted.
func (s *Store) AdvanceNonces(ctx context.Context, uses []store.NonceUse) ([]bool, error) {
	if len(uses) == 1 {
		ok, err := s.AdvanceNonce(ctx, uses[0].ID, uses[0].NC, uses[0].Expires)
		return []bool{ok}, err
	}
	b := newNonceBatch(uses)
	err := s.run(ctx, "advance nonces", func(ctx context.Context) error {
		return b.retry(func(guess bool) error {
			tx, err := s.beginNonceTx(ctx, guess)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if err := s.advance(ctx, tx, b, guess); err != nil {
				return err
			}
			return s.w.commit(tx)
		})
	})
	return b.ok, err
}

// beginNonceTx opens a transaction for advance: the dialect's nonceTx
// for the locking read, which a guess does without. Setting the isolation
// level costs MySQL a statement of its own.
func (s *Store) beginNonceTx(ctx context.Context, guess bool) (*sql.Tx, error) {
	if guess {
		return s.w.begin(ctx)
	}
	return s.w.beginTx(ctx, s.d.nonceTx)
}

// nonceBatch is a set of nonce uses on their way through advance.
type nonceBatch struct {
	uses     []store.NonceUse
	at       map[string][]int // a nonce's uses, in order
	distinct []string
	ok       []bool // ok[i]: uses[i] was accepted
	first    bool   // every use has count 1: see advance
}

func newNonceBatch(uses []store.NonceUse) *nonceBatch {
	b := &nonceBatch{uses: uses, at: make(map[string][]int, len(uses)), ok: make([]bool, len(uses)), first: true}
	for i, u := range uses {
		k := strconv.FormatUint(u.ID, 16)
		if b.at[k] == nil {
			b.distinct = append(b.distinct, k)
		}
		b.at[k] = append(b.at[k], i)
		b.first = b.first && u.NC <= 1
	}
	return b
}

// retry runs f, which advances b in a transaction of its own, guessing
// first when every use is a first one; if the guess cannot be checked
// (errNonceRace), at once again without guessing.
func (b *nonceBatch) retry(f func(guess bool) error) error {
	err := f(b.first)
	if b.first && errors.Is(err, errNonceRace) {
		err = f(false)
	}
	return err
}

// advance decides every use of b and writes the counts in tx: one SELECT
// (FOR UPDATE where the engine has it) of their counts, one insert of the
// nonces not yet known, and an UPDATE per known nonce raised — which
// phones do when they reuse a nonce, and SIPp and most phones do not. A
// nonce that another node inserted since it was read is read again,
// locked, and decided on its count.
//
// With guess, advance skips the read and takes every nonce for new, as it
// is when each use has count 1: a phone answers each challenge with a
// fresh nonce. The insert then tells which were not new (RETURNING), and
// those are read; an engine that cannot tell (MySQL) fails with
// errNonceRace, and the caller starts over without guessing.
func (s *Store) advance(ctx context.Context, tx *sql.Tx, b *nonceBatch, guess bool) error {
	clear(b.ok)
	counts := map[string]uint32{}
	if !guess {
		var err error
		if counts, err = s.nonceCounts(ctx, tx, b.distinct); err != nil {
			return err
		}
	}
	var inserts, updates []nonceWrite
	for _, k := range b.distinct {
		cur, known := counts[k]
		if w, raised := decideNonce(b.uses, b.at[k], b.ok, cur, known); raised && known {
			updates = append(updates, w)
		} else if raised {
			inserts = append(inserts, w)
		}
	}
	// In key order, as every other advance: two inserting the same new
	// nonces in different orders would deadlock.
	byKey := func(a, b nonceWrite) int { return strings.Compare(a.key, b.key) }
	slices.SortFunc(inserts, byKey)
	missed, err := s.insertNonces(ctx, tx, inserts)
	if err != nil {
		return err
	}
	if len(missed) > 0 {
		// Inserted by another node since they were read (or known
		// already, when guessing): they exist now, and reading them
		// locks them.
		again, err := s.nonceCounts(ctx, tx, missed)
		if err != nil {
			return err
		}
		for _, k := range missed {
			cur, known := again[k]
			if !known {
				return errNonceRace // and swept already: start over
			}
			if w, raised := decideNonce(b.uses, b.at[k], b.ok, cur, true); raised {
				updates = append(updates, w)
			}
		}
	}
	slices.SortFunc(updates, byKey)
	for _, w := range updates {
		if _, err := s.w.exec(ctx, tx, s.q.nonceSet, int64(w.nc), w.key); err != nil {
			return err
		}
	}
	return nil
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
func decideNonce(uses []store.NonceUse, idx []int, ok []bool, cur uint32, known bool) (nonceWrite, bool) {
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

// nonceSweepChunk is how many nonces one statement of ExpireNonces
// deletes at most.
const nonceSweepChunk = 1000

// ExpireNonces forgets nonces past their expiry, a chunk per statement,
// and reports how many it forgot.
func (s *Store) ExpireNonces(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		var n int64
		err := s.run(ctx, "expire nonces", func(ctx context.Context) error {
			res, err := s.w.exec(ctx, nil, s.q.nonceExpire, s.d.timeArg(now), nonceSweepChunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		total += int(n)
		if err != nil || n < nonceSweepChunk {
			return total, err
		}
	}
}
