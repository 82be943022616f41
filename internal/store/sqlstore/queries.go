package sqlstore

import (
	"strconv"
	"strings"
)

// The location columns in the order the store reads and writes them.
// partition is quoted: rebind turns the quotes into each engine's.
const (
	bindingColumns = `id, ruid, username, domain, contact, received, path, expires, q, callid, cseq,
    last_modified, flags, cflags, user_agent, socket, methods, instance, reg_id, server_id,
    connection_id, keepalive, "partition"`
	// natedColumns are what the NAT pinger needs of a binding: reading
	// and converting all of them made reading the table the pinger's
	// bottleneck (a million bindings took 7 s).
	natedColumns = `id, ruid, contact, received, socket, "partition"`
	// live keeps the bindings in force: not lapsed, or permanent.
	live = `(expires > ? OR expires = ?)`
	// sameAOR matches the AoR; a NULL domain is the empty domain.
	sameAOR = `username = ? AND COALESCE(domain, '') = ?`
)

// insertColumns are written when a binding is created; refreshColumns
// when it is saved again: the AoR, ruid and partition stay as they are.
var (
	insertColumns = []string{"ruid", "username", "domain", "contact", "received", "path", "expires",
		"q", "callid", "cseq", "last_modified", "flags", "cflags", "user_agent", "socket", "methods",
		"instance", "reg_id", "server_id", "connection_id", "keepalive", `"partition"`}
	refreshColumns = insertColumns[3:21]
)

// queries are the statements of a store, in its engine's dialect.
type queries struct {
	bindings, listAOR, listAll, natedAll, natedShard string
	expire                                           string
	// The statements for n rows are at index n-1 (n up to maxRows).
	bindingsIn, refresh, insert, remove          []string
	nonceIn, nonceRows                           []string
	nonceSet                                     string
	subIn, lockIn                                []string
	subGet, subPut, subDelete, subAll, subDomain string
	nonceRaise, nonceInsert, nonceExpire         string
	dispatcherAll                                string

	d *dialect
}

func newQueries(d *dialect) queries {
	sel := `SELECT ` + bindingColumns + ` FROM location `
	natedSel := `SELECT ` + natedColumns + ` FROM location `
	q := queries{
		bindings:   sel + `WHERE ` + sameAOR + ` AND ` + live + ` ORDER BY id`,
		listAOR:    sel + `WHERE ` + sameAOR + ` ORDER BY id LIMIT ?`,
		listAll:    sel + `ORDER BY username, domain, id LIMIT ?`,
		natedAll:   natedSel + `WHERE id > ? AND keepalive = 1 AND ` + live + ` ORDER BY id LIMIT ?`,
		natedShard: natedSel + `WHERE id > ? AND keepalive = 1 AND ` + live + ` AND "partition" % ? = ? ORDER BY id LIMIT ?`,
		expire:     d.expire,

		subGet: `SELECT username, domain, password, ha1, ha1b FROM subscriber WHERE username = ? AND domain = ?`,
		subPut: `INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?)` +
			d.upsert([]string{"username", "domain"}, []string{"password", "ha1", "ha1b"}),
		subDelete:   `DELETE FROM subscriber WHERE username = ? AND domain = ?`,
		subAll:      `SELECT username, domain, password, ha1, ha1b FROM subscriber ORDER BY domain, username`,
		subDomain:   `SELECT username, domain, password, ha1, ha1b FROM subscriber WHERE domain = ? ORDER BY username`,
		nonceRaise:  `UPDATE sipfleet_nonce SET nc = ? WHERE id = ? AND nc < ?`,
		nonceInsert: d.nonceInsert,
		nonceExpire: d.nonceExpire,
		dispatcherAll: `SELECT id, setid, destination, flags, priority, COALESCE(attrs, ''), COALESCE(description, '')
    FROM dispatcher ORDER BY id`,
		d: d,
	}
	for _, p := range []*string{&q.bindings, &q.listAOR, &q.listAll, &q.natedAll, &q.natedShard,
		&q.expire, &q.subGet, &q.subPut, &q.subDelete, &q.subAll, &q.subDomain,
		&q.nonceRaise, &q.nonceInsert, &q.nonceExpire, &q.dispatcherAll} {
		*p = d.rebind(*p)
	}
	q.nonceSet = d.rebind(`UPDATE sipfleet_nonce SET nc = ? WHERE id = ?`)
	upsert := d.upsert([]string{"ruid"}, refreshColumns)
	row := "(" + questionMarks(len(insertColumns)) + ")"
	for n := 1; n <= maxRows; n++ {
		// Ruid and AoR both: a REGISTER removes only its AoR's bindings.
		q.remove = append(q.remove, d.rebind(`DELETE FROM location WHERE `+
			repeatJoin("(ruid = ? AND "+sameAOR+")", " OR ", n)))
		q.insert = append(q.insert, d.rebind(`INSERT INTO location (`+strings.Join(insertColumns, ", ")+
			`) VALUES `+repeatJoin(row, ", ", n)+upsert))
		if d.refreshRows != nil {
			q.refresh = append(q.refresh, d.refreshRows(n))
		} else {
			q.refresh = append(q.refresh, d.rebind(`INSERT INTO location (id, `+strings.Join(insertColumns, ", ")+
				`) VALUES `+repeatJoin("(?, "+row[1:], ", ", n)+upsert))
		}
		if d.lockRows {
			// The keys are sorted in the subquery, so that the locks are
			// taken in that order (PostgreSQL's own advice for advisory
			// locks taken by a query).
			q.lockIn = append(q.lockIn, d.rebind(`SELECT pg_advisory_xact_lock(`+strconv.Itoa(rowLockClass)+
				`, k) FROM (SELECT DISTINCT k FROM (VALUES `+repeatJoin("(?::integer)", ", ", n)+`) AS v (k) ORDER BY k) AS s`))
		}
		inAORs := `username IN (` + questionMarks(n) + `) AND COALESCE(domain, '') IN (` + questionMarks(n) + `)`
		q.subIn = append(q.subIn, d.rebind(`SELECT username, domain, password, ha1, ha1b FROM subscriber WHERE `+inAORs))
		q.nonceIn = append(q.nonceIn, d.rebind(`SELECT id, nc FROM sipfleet_nonce WHERE id IN (`+questionMarks(n)+`)`+d.forUpdate))
		q.nonceRows = append(q.nonceRows, d.rebind(strings.Replace(d.nonceInsert, "(?, ?, ?)", repeatJoin("(?, ?, ?)", ", ", n), 1)))
		q.bindingsIn = append(q.bindingsIn, d.rebind(sel+`WHERE `+inAORs+` AND `+live+` ORDER BY id`))
	}
	return q
}

func repeatJoin(s, sep string, n int) string {
	return strings.TrimSuffix(strings.Repeat(s+sep, n), sep)
}

// bindingsOf reads the bindings in force of n users in n domains.
func (q queries) bindingsOf(n int) string { return q.bindingsIn[n-1] }

// refreshRows upserts n bindings read from the table, naming their ids,
// or on PostgreSQL updates them by ruid (see dialect.refreshRows).
func (q queries) refreshRows(n int) string { return q.refresh[n-1] }

// insertRows upserts n new bindings by ruid.
func (q queries) insertRows(n int) string { return q.insert[n-1] }

// subscribersOf reads the subscribers of n users in n domains.
func (q queries) subscribersOf(n int) string { return q.subIn[n-1] }

// lockRuids takes the row locks of n keys (see Store.lockRows), in order.
func (q queries) lockRuids(n int) string { return q.lockIn[n-1] }

// nonceSelect reads the counts of n nonces, locking their rows.
func (q queries) nonceSelect(n int) string { return q.nonceIn[n-1] }

// nonceInsertRows inserts n nonces, skipping those that exist.
func (q queries) nonceInsertRows(n int) string { return q.nonceRows[n-1] }

// removeRows deletes n bindings by ruid and AoR.
func (q queries) removeRows(n int) string { return q.remove[n-1] }

// natedIn is the NATed page of the listed partitions. There is one
// statement per list length, prepared when first used.
func (q queries) natedIn(n int) string {
	return q.d.rebind(`SELECT ` + natedColumns + ` FROM location WHERE id > ? AND keepalive = 1 AND ` + live +
		` AND "partition" IN (` + questionMarks(n) + `) ORDER BY id LIMIT ?`)
}
