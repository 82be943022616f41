package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

// Bindings gives the AoR's bindings in force at now: one SELECT.
func (s *Store) Bindings(ctx context.Context, aor store.AOR, now time.Time) ([]store.Binding, error) {
	var out []store.Binding
	err := s.run(ctx, "bindings", func(ctx context.Context) error {
		rows, err := s.r.query(ctx, s.q.bindings, aor.User, aor.Domain, s.d.timeArg(now), s.d.timeArg(permanent))
		if err != nil {
			return err
		}
		out, err = scanBindings(rows)
		return err
	})
	return out, err
}

// BindingsOf gives the bindings in force of each of aors: one SELECT for
// up to maxRows AoRs. The list of users is padded to a power of two by
// repeating the last one, so there are few statements to prepare.
func (s *Store) BindingsOf(ctx context.Context, aors []store.AOR, now time.Time) ([][]store.Binding, error) {
	out := make([][]store.Binding, len(aors))
	at, distinct := indexAORs(aors)
	err := s.run(ctx, "bindings", func(ctx context.Context) error {
		clear(out)
		return eachAORs(distinct, func(n int, args []any) error {
			rows, err := s.r.query(ctx, s.q.bindingsOf(n), append(args, s.d.timeArg(now), s.d.timeArg(permanent))...)
			if err != nil {
				return err
			}
			bs, err := scanBindings(rows)
			if err != nil {
				return err
			}
			for _, b := range bs {
				for _, i := range s.aorIndexes(at, aors, b.AOR) {
					out[i] = append(out[i], b)
				}
			}
			return nil
		})
	})
	return out, err
}

// aorIndexes gives the positions in aors of the AoR a row belongs to. The
// query matched users only; the domain, and on MySQL the collation's
// case-insensitive match, are checked here, so that BindingsOf returns
// what Bindings would.
func (s *Store) aorIndexes(at map[store.AOR][]int, aors []store.AOR, row store.AOR) []int {
	if !s.d.foldCase {
		return at[row]
	}
	var out []int
	for i, a := range aors {
		if strings.EqualFold(a.User, row.User) && strings.EqualFold(a.Domain, row.Domain) {
			out = append(out, i)
		}
	}
	return out
}

// indexAORs gives each AoR's positions in aors, and the AoRs once each.
func indexAORs(aors []store.AOR) (map[store.AOR][]int, []store.AOR) {
	at := make(map[store.AOR][]int, len(aors))
	var distinct []store.AOR
	for i, a := range aors {
		if at[a] == nil {
			distinct = append(distinct, a)
		}
		at[a] = append(at[a], i)
	}
	return at, distinct
}

// eachAORs calls f for each run of up to maxRows AoRs with the arguments
// of a "username IN (n) AND domain IN (n)" query: the run's users, then
// its domains, each padded to n (see eachPadded). The pairs the lists
// cross are more than asked for; the caller keeps its AoRs' rows.
// Matching the domain too keeps a user name that many domains share (a
// multi-tenant "100") from reading every domain's rows.
func eachAORs(aors []store.AOR, f func(n int, args []any) error) error {
	for rest := aors; len(rest) > 0; {
		chunk := rest[:min(len(rest), maxRows)]
		rest = rest[len(chunk):]
		var users, domains []string
		seenU, seenD := map[string]bool{}, map[string]bool{}
		for _, a := range chunk {
			if !seenU[a.User] {
				seenU[a.User] = true
				users = append(users, a.User)
			}
			if !seenD[a.Domain] {
				seenD[a.Domain] = true
				domains = append(domains, a.Domain)
			}
		}
		n := paddedRows(max(len(users), len(domains)))
		args := make([]any, 0, 2*n+2)
		for _, list := range [][]string{users, domains} {
			for i := range n {
				args = append(args, list[min(i, len(list)-1)])
			}
		}
		if err := f(n, args); err != nil {
			return err
		}
	}
	return nil
}

// eachPadded calls f for each run of up to maxRows keys, with the keys
// as a statement's arguments, padded to paddedRows by repeating the last
// (harmless in an IN list), so there are few statements to prepare.
func eachPadded(keys []string, f func(n int, args []any) error) error {
	for rest := keys; len(rest) > 0; {
		chunk := rest[:min(len(rest), maxRows)]
		rest = rest[len(chunk):]
		n := paddedRows(len(chunk))
		args := make([]any, n, n+2)
		for i := range n {
			args[i] = chunk[min(i, len(chunk)-1)]
		}
		if err := f(n, args); err != nil {
			return err
		}
	}
	return nil
}

// paddedRows rounds n up to a power of two.
func paddedRows(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return p
}

// maxRows bounds the rows one statement reads or writes.
const maxRows = 64

// Update applies one REGISTER's outcome; see UpdateAll.
func (s *Store) Update(ctx context.Context, aor store.AOR, put []store.Binding, del []string) error {
	return s.UpdateAll(ctx, []store.Change{{AOR: aor, Put: put, Del: del}})
}

// UpdateAll writes every change with at most three statements per
// maxRows rows — the refreshes, the new bindings, the removals — in one
// transaction when there is more than one statement, else in autocommit.
//
// A binding read from the table (ID set) is written by an upsert that
// names its id. Without the id, both InnoDB and PostgreSQL draw a new id
// for every upsert, conflict or not, and at 2,000 refreshes a second
// Kamailio's 32-bit id column would run out in weeks; with it, a refresh
// updates its row, and if a sweep or another node removed the row
// meanwhile, it is written again under the same id (unless SQLite gave
// that id to a new row: see the package doc). A new binding is upserted by ruid: two nodes saving it at once
// end with one row.
func (s *Store) UpdateAll(ctx context.Context, changes []store.Change) error {
	for _, c := range changes {
		if c.Nonce != nil {
			return s.updateCounted(ctx, changes)
		}
	}
	w, err := s.writes(changes)
	if err != nil || w.statements() == 0 {
		return err
	}
	lock := s.mustLock(&w)
	return s.run(ctx, "update", func(ctx context.Context) error {
		err := w.write(ctx, s, lock)
		if err != nil && len(w.refresh) > 0 && idTaken(err) {
			w.upsertRefreshes()
			err = w.write(ctx, s, lock)
		}
		return err
	})
}

// upsertRefreshes makes the refreshes upserts by ruid, for when a
// refreshed row's id went to a new row (see the package doc).
func (w *writeSet) upsertRefreshes() {
	w.fresh = append(slices.Clip(w.fresh), w.refresh...) // w may share fresh's array
	w.refresh = nil
	for i := range w.fresh {
		w.fresh[i].ID = 0
	}
	slices.SortFunc(w.fresh, func(a, b store.Binding) int { return strings.Compare(a.RUID, b.RUID) })
}

// updateCounted is UpdateAll for changes that carry nonce uses: one
// transaction advances the counts (see advance) and writes the changes
// whose counts were accepted, so an authenticated REGISTER costs its
// batch no commit of its own. Nearly always every count is accepted,
// and the statements are those of the nonces' insert and of the
// bindings, between BEGIN and COMMIT.
func (s *Store) updateCounted(ctx context.Context, changes []store.Change) error {
	u := counted{changes: changes, useOf: make([]int, len(changes))}
	var uses []store.NonceUse
	for i, c := range changes {
		u.useOf[i] = -1
		if c.Nonce != nil {
			u.useOf[i] = len(uses)
			uses = append(uses, *c.Nonce)
		}
	}
	var err error
	if u.all, err = s.writes(changes); err != nil {
		return err
	}
	u.nonces = newNonceBatch(uses)
	err = s.run(ctx, "update", func(ctx context.Context) error {
		return u.nonces.retry(func(guess bool) error {
			err := s.writeCounted(ctx, &u, guess)
			if !u.byRUID && idTaken(err) {
				u.byRUID = true
				err = s.writeCounted(ctx, &u, guess)
			}
			return err
		})
	})
	if err == nil && len(u.refused) > 0 {
		return &store.NonceReplayError{Changes: u.refused}
	}
	return err
}

// counted is updateCounted's work.
type counted struct {
	changes []store.Change
	useOf   []int    // changes[i]'s use in nonces, or -1
	all     writeSet // the writes of every change
	nonces  *nonceBatch
	byRUID  bool  // a refreshed row's id was taken: see upsertRefreshes
	refused []int // the changes left out, by index
}

// writeCounted is one try of updateCounted.
func (s *Store) writeCounted(ctx context.Context, u *counted, guess bool) error {
	tx, err := s.beginNonceTx(ctx, guess)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.advance(ctx, tx, u.nonces, guess); err != nil {
		return err
	}
	w := u.all
	u.refused = u.refused[:0]
	var kept []store.Change
	for i, c := range u.changes {
		if j := u.useOf[i]; j >= 0 && !u.nonces.ok[j] {
			u.refused = append(u.refused, i)
		} else {
			kept = append(kept, c)
		}
	}
	if len(u.refused) > 0 {
		if w, err = s.writes(kept); err != nil {
			return err
		}
	}
	if u.byRUID {
		w.upsertRefreshes()
	}
	if s.mustLock(&w) {
		if err := s.lockRows(ctx, tx, w.ruids()); err != nil {
			return err
		}
	}
	if err := w.exec(ctx, s, tx); err != nil {
		return err
	}
	if err := s.w.commit(tx); err != nil {
		// Whether it committed is not known: run again, it would find
		// its own counts and refuse every REGISTER as a replay.
		return ambiguousCommit{err}
	}
	return nil
}

// write sends the writes, in a transaction unless they are one statement.
func (w *writeSet) write(ctx context.Context, s *Store, lock bool) error {
	if w.statements() == 1 && !lock {
		return w.exec(ctx, s, nil)
	}
	// Prepare first: on SQLite the transaction holds the one
	// writer connection that preparing would need.
	if err := s.w.prepare(ctx, w.queries(s)...); err != nil {
		return err
	}
	tx, err := s.w.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if lock {
		if err := s.lockRows(ctx, tx, w.ruids()); err != nil {
			return err
		}
	}
	if err := w.exec(ctx, s, tx); err != nil {
		return err
	}
	return s.w.commit(tx)
}

// mustLock says whether w's rows are to be locked before they are written.
// New bindings alone are not: one upsert inserts them in ruid order, as
// every other such upsert does, so the same work in one statement and
// one commit. (Such a statement can still meet a locking batch out of
// turn, when two nodes save the same new contacts at the same moment;
// the deadlock is retried.)
func (s *Store) mustLock(w *writeSet) bool {
	return s.d.lockRows && len(w.refresh)+len(w.del) > 0 && w.rows() > 1
}

// rowLockClass is the first key of the advisory locks lockRows takes: it
// keeps them apart from any other advisory lock on the database.
const rowLockClass = 0x73667263 // "sfrc"

// lockRows takes, for each ruid, a transaction-scoped advisory lock keyed
// by a hash of the ruid, every writer in the same (key) order, before it
// touches a row. Row locks alone do not give such an order: a row that
// another node inserts after this transaction locked the others is locked
// out of turn by the write that conflicts with it, and on PostgreSQL
// (whose UPDATE ... FROM and upsert lock rows in no set order either)
// batches through two nodes deadlocked that way, each time costing a
// second of deadlock_timeout. An advisory lock exists whether the row
// does or not. Two ruids of one hash share a lock, which only serializes
// them. Writes of one row need none: holding no other binding, they
// cannot close a cycle (a counted write also holds its nonces' rows, but
// every transaction takes those before any binding's).
func (s *Store) lockRows(ctx context.Context, tx *sql.Tx, ruids []string) error {
	keys := make([]int32, len(ruids))
	for i, r := range ruids {
		h := fnv.New32a()
		h.Write([]byte(r))
		keys[i] = int32(h.Sum32())
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	for rest := keys; len(rest) > 0; {
		chunk := rest[:min(len(rest), maxRows)]
		rest = rest[len(chunk):]
		n := paddedRows(len(chunk))
		args := make([]any, n)
		for i := range n {
			args[i] = chunk[min(i, len(chunk)-1)]
		}
		rows, err := s.w.queryTx(ctx, tx, s.q.lockRuids(n), args...)
		if err != nil {
			return err
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// removal is one binding to remove: its ruid, and the AoR it must belong to.
type removal struct {
	aor  store.AOR
	ruid string
}

// writeSet is UpdateAll's rows, sorted so that concurrent writers take
// their row locks in the same order (fewer deadlocks on InnoDB).
type writeSet struct {
	refresh, fresh []store.Binding
	del            []removal
}

func (s *Store) writes(changes []store.Change) (writeSet, error) {
	var w writeSet
	last := make(map[string]int) // ruid -> index in puts: the last save of a ruid wins
	var puts []store.Binding
	for _, c := range changes {
		put, err := s.prepare(c.AOR, c.Put)
		if err != nil {
			return w, err
		}
		for _, b := range put {
			if i, ok := last[b.RUID]; ok {
				puts[i] = b
				continue
			}
			last[b.RUID] = len(puts)
			puts = append(puts, b)
		}
		for _, ruid := range c.Del {
			w.del = append(w.del, removal{c.AOR, ruid})
		}
	}
	for _, b := range puts {
		if b.ID != 0 {
			w.refresh = append(w.refresh, b)
		} else {
			w.fresh = append(w.fresh, b)
		}
	}
	slices.SortFunc(w.refresh, func(a, b store.Binding) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(w.fresh, func(a, b store.Binding) int { return strings.Compare(a.RUID, b.RUID) })
	slices.SortFunc(w.del, func(a, b removal) int { return strings.Compare(a.ruid, b.ruid) })
	return w, nil
}

func (w *writeSet) rows() int { return len(w.refresh) + len(w.fresh) + len(w.del) }

// ruids gives the ruids of every row written, sorted.
func (w *writeSet) ruids() []string {
	var out []string
	for _, b := range w.refresh {
		out = append(out, b.RUID)
	}
	for _, b := range w.fresh {
		out = append(out, b.RUID)
	}
	for _, d := range w.del {
		out = append(out, d.ruid)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func chunks(n int) int {
	c := 0
	each(n, func(_, _ int) { c++ })
	return c
}

func (w *writeSet) statements() int {
	return chunks(len(w.refresh)) + chunks(len(w.fresh)) + chunks(len(w.del))
}

// queries lists the statements exec will send.
func (w *writeSet) queries(s *Store) []string {
	var qs []string
	each(len(w.refresh), func(i, j int) { qs = append(qs, s.q.refreshRows(j-i)) })
	each(len(w.fresh), func(i, j int) { qs = append(qs, s.q.insertRows(j-i)) })
	each(len(w.del), func(i, j int) { qs = append(qs, s.q.removeRows(j-i)) })
	return qs
}

// rowStep is the grain of the row counts of multi-row writes.
const rowStep = 8

// each calls f with the bounds of the chunks n rows are written in: up
// to maxRows rows, of a count that is either below rowStep or a multiple
// of it (13 rows go as 8 and 5). Each row count is its own prepared
// statement on every connection, and MySQL bounds the prepared
// statements of the whole server (max_prepared_stmt_count, 16,382 by
// default): with every count from 1 to 64, about 300 statements per
// connection, 8 connections per node, six nodes would reach it; with
// these, 15 counts per kind of write, about 100 per connection, twenty.
func each(n int, f func(i, j int)) {
	for i := 0; i < n; {
		k := min(n-i, maxRows)
		if k > rowStep {
			k -= k % rowStep
		}
		f(i, i+k)
		i += k
	}
}

func (w *writeSet) exec(ctx context.Context, s *Store, tx *sql.Tx) error {
	var err error
	run := func(q string, args []any) {
		if err == nil {
			_, err = s.w.exec(ctx, tx, q, args...)
		}
	}
	fresh := w.fresh
	each(len(w.refresh), func(i, j int) {
		if s.d.refreshRows == nil {
			var args []any
			for _, b := range w.refresh[i:j] {
				args = append(append(args, b.ID), s.insertArgs(b)...)
			}
			run(s.q.refreshRows(j-i), args)
			return
		}
		if err == nil {
			var gone []store.Binding
			gone, err = s.refreshByRUID(ctx, tx, w.refresh[i:j])
			fresh = append(fresh, gone...)
		}
	})
	each(len(fresh), func(i, j int) {
		var args []any
		for _, b := range fresh[i:j] {
			args = append(args, s.insertArgs(b)...)
		}
		run(s.q.insertRows(j-i), args)
	})
	each(len(w.del), func(i, j int) {
		var args []any
		for _, d := range w.del[i:j] {
			args = append(args, d.ruid, d.aor.User, d.aor.Domain)
		}
		run(s.q.removeRows(j-i), args)
	})
	return err
}

// keySet runs a query that returns one text column (ruids, nonce ids)
// and gives its values, trailing blanks cut (a CHAR column pads them).
func (s *Store) keySet(ctx context.Context, tx *sql.Tx, q string, args ...any) (map[string]bool, error) {
	rows, err := s.w.queryTx(ctx, tx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	set := make(map[string]bool)
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		set[strings.TrimRight(k, " ")] = true
	}
	return set, rows.Err()
}

// refreshByRUID updates bs by ruid and gives those it did not find:
// removed meanwhile, they are to be written again by the upsert. A
// refresh is then two statements, outside a transaction when it was
// one change; the single Update did the same.
func (s *Store) refreshByRUID(ctx context.Context, tx *sql.Tx, bs []store.Binding) ([]store.Binding, error) {
	args := make([]any, 0, len(bs)*(len(refreshColumns)+1))
	for _, b := range bs {
		args = append(append(args, b.RUID), s.refreshArgs(b)...)
	}
	found, err := s.keySet(ctx, tx, s.q.refreshRows(len(bs)), args...)
	if err != nil {
		return nil, err
	}
	var gone []store.Binding
	for _, b := range bs {
		if !found[b.RUID] {
			gone = append(gone, b)
		}
	}
	return gone, nil
}

// prepare checks put and fills in what the caller may leave out: the
// ruid, the last change (now) and the server.
func (s *Store) prepare(aor store.AOR, put []store.Binding) ([]store.Binding, error) {
	out := make([]store.Binding, len(put))
	now := time.Now()
	for i, b := range put {
		if b.AOR != aor {
			return nil, fmt.Errorf("update %s: binding %d is of %s", aor, i, b.AOR)
		}
		if b.RUID == "" {
			b.RUID = store.RUID(aor, b.Contact, b.Instance, b.RegID)
		}
		if b.LastModified.IsZero() {
			b.LastModified = now
		}
		if b.ServerID == 0 {
			b.ServerID = s.opts.ServerID
		}
		out[i] = b
	}
	return out, nil
}

// Expire removes up to limit lapsed bindings in one statement, which
// checks expires again on each row it deletes (see the dialects), so a
// binding refreshed meanwhile stays.
func (s *Store) Expire(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, errors.New("expire: limit must be above 0")
	}
	args := []any{s.d.timeArg(now), s.d.timeArg(permanent), limit}
	if s.d.expireRecheck {
		args = append(args, s.d.timeArg(now), s.d.timeArg(permanent))
	}
	var n int64
	err := s.run(ctx, "expire", func(ctx context.Context) error {
		res, err := s.w.exec(ctx, nil, s.q.expire, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// maxPartitionList bounds NATedQuery.Partitions: there is one prepared
// statement per list length.
const maxPartitionList = 64

// NATed gives one page of NATed bindings in force: one SELECT.
func (s *Store) NATed(ctx context.Context, q store.NATedQuery) ([]store.Binding, error) {
	query, args, err := s.natedQuery(q)
	if err != nil {
		return nil, err
	}
	var out []store.Binding
	err = s.run(ctx, "nated", func(ctx context.Context) error {
		rows, err := s.r.query(ctx, query, args...)
		if err != nil {
			return err
		}
		out, err = scanNATed(rows)
		return err
	})
	return out, err
}

// scanNATed reads the rows of natedColumns.
func scanNATed(rows *sql.Rows) ([]store.Binding, error) {
	defer rows.Close()
	var out []store.Binding
	for rows.Next() {
		var (
			b                store.Binding
			received, socket sql.NullString
		)
		if err := rows.Scan(&b.ID, &b.RUID, &b.Contact, &received, &socket, &b.Partition); err != nil {
			return nil, err
		}
		b.Received, b.Socket, b.Keepalive = received.String, socket.String, true
		out = append(out, b)
	}
	return out, rows.Err()
}

func (s *Store) natedQuery(q store.NATedQuery) (string, []any, error) {
	switch {
	case q.Limit <= 0:
		return "", nil, errors.New("nated: limit must be above 0")
	case len(q.Partitions) > 0 && q.Shards > 0:
		return "", nil, errors.New("nated: give partitions or shards, not both")
	case len(q.Partitions) > maxPartitionList:
		return "", nil, fmt.Errorf("nated: at most %d partitions", maxPartitionList)
	case q.Shards > 0 && (q.Shard < 0 || q.Shard >= q.Shards):
		return "", nil, fmt.Errorf("nated: shard %d is not in 0..%d", q.Shard, q.Shards-1)
	}
	args := []any{q.After, s.d.timeArg(q.Now), s.d.timeArg(permanent)}
	switch {
	case q.Shards > 0:
		return s.q.natedShard, append(args, q.Shards, q.Shard, q.Limit), nil
	case len(q.Partitions) > 0:
		for _, p := range q.Partitions {
			args = append(args, p)
		}
		return s.q.natedIn(len(q.Partitions)), append(args, q.Limit), nil
	}
	return s.q.natedAll, append(args, q.Limit), nil
}

// defaultListLimit is List's limit when none is given.
const defaultListLimit = 1000

// List gives bindings, expired or not, for `sipfleet contacts list`.
func (s *Store) List(ctx context.Context, aor *store.AOR, limit int) ([]store.Binding, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	query, args := s.q.listAll, []any{limit}
	if aor != nil {
		query, args = s.q.listAOR, []any{aor.User, aor.Domain, limit}
	}
	var out []store.Binding
	err := s.run(ctx, "list", func(ctx context.Context) error {
		rows, err := s.r.query(ctx, query, args...)
		if err != nil {
			return err
		}
		out, err = scanBindings(rows)
		return err
	})
	return out, err
}
