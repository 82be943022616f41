package sqlstore

import (
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
	refresh, upsert, remove, expire                  string
	subGet, subPut, subDelete, subAll, subDomain     string
	nonceRaise, nonceInsert, nonceExpire             string
	dispatcherAll                                    string

	d *dialect
}

func newQueries(d *dialect) queries {
	sel := `SELECT ` + bindingColumns + ` FROM location `
	natedSel := `SELECT ` + natedColumns + ` FROM location `
	setList := make([]string, len(refreshColumns))
	for i, c := range refreshColumns {
		setList[i] = c + " = ?"
	}
	q := queries{
		bindings:   sel + `WHERE ` + sameAOR + ` AND ` + live + ` ORDER BY id`,
		listAOR:    sel + `WHERE ` + sameAOR + ` ORDER BY id LIMIT ?`,
		listAll:    sel + `ORDER BY username, domain, id LIMIT ?`,
		natedAll:   natedSel + `WHERE id > ? AND keepalive = 1 AND ` + live + ` ORDER BY id LIMIT ?`,
		natedShard: natedSel + `WHERE id > ? AND keepalive = 1 AND ` + live + ` AND "partition" % ? = ? ORDER BY id LIMIT ?`,
		refresh:    `UPDATE location SET ` + strings.Join(setList, ", ") + ` WHERE ruid = ?`,
		upsert: `INSERT INTO location (` + strings.Join(insertColumns, ", ") + `) VALUES (` +
			questionMarks(len(insertColumns)) + `)` + d.upsert([]string{"ruid"}, refreshColumns),
		remove: `DELETE FROM location WHERE ruid = ? AND ` + sameAOR,
		expire: d.expire,

		subGet: `SELECT username, domain, password, ha1, ha1b FROM subscriber WHERE username = ? AND domain = ?`,
		subPut: `INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?)` +
			d.upsert([]string{"username", "domain"}, []string{"password", "ha1", "ha1b"}),
		subDelete:   `DELETE FROM subscriber WHERE username = ? AND domain = ?`,
		subAll:      `SELECT username, domain, password, ha1, ha1b FROM subscriber ORDER BY domain, username`,
		subDomain:   `SELECT username, domain, password, ha1, ha1b FROM subscriber WHERE domain = ? ORDER BY username`,
		nonceRaise:  `UPDATE sipfleet_nonce SET nc = ? WHERE id = ? AND nc < ?`,
		nonceInsert: d.nonceInsert,
		nonceExpire: `DELETE FROM sipfleet_nonce WHERE expires < ?`,
		dispatcherAll: `SELECT id, setid, destination, flags, priority, COALESCE(attrs, ''), COALESCE(description, '')
    FROM dispatcher ORDER BY id`,
		d: d,
	}
	for _, p := range []*string{&q.bindings, &q.listAOR, &q.listAll, &q.natedAll, &q.natedShard, &q.refresh,
		&q.upsert, &q.remove, &q.expire, &q.subGet, &q.subPut, &q.subDelete, &q.subAll, &q.subDomain,
		&q.nonceRaise, &q.nonceInsert, &q.nonceExpire, &q.dispatcherAll} {
		*p = d.rebind(*p)
	}
	return q
}

// natedIn is the NATed page of the listed partitions. There is one
// statement per list length, prepared when first used.
func (q queries) natedIn(n int) string {
	return q.d.rebind(`SELECT ` + natedColumns + ` FROM location WHERE id > ? AND keepalive = 1 AND ` + live +
		` AND "partition" IN (` + questionMarks(n) + `) ORDER BY id LIMIT ?`)
}
