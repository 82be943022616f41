package sqlstore

import (
	"context"
	"strings"
	"time"
)

// The PostgreSQL schema is Kamailio 5.6's utils/kamctl/postgres/*-create.sql
// with IF NOT EXISTS added.
var postgresSchema = []table{
	{name: "version", version: 1, create: `CREATE TABLE IF NOT EXISTS version (
    id SERIAL PRIMARY KEY NOT NULL,
    table_name VARCHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT version_table_name_idx UNIQUE (table_name)
)`},
	{name: "location", version: 9, create: `CREATE TABLE IF NOT EXISTS location (
    id SERIAL PRIMARY KEY NOT NULL,
    ruid VARCHAR(64) DEFAULT '' NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT NULL,
    contact VARCHAR(512) DEFAULT '' NOT NULL,
    received VARCHAR(128) DEFAULT NULL,
    path VARCHAR(512) DEFAULT NULL,
    expires TIMESTAMP WITHOUT TIME ZONE DEFAULT '2030-05-28 21:32:15' NOT NULL,
    q REAL DEFAULT 1.0 NOT NULL,
    callid VARCHAR(255) DEFAULT 'Default-Call-ID' NOT NULL,
    cseq INTEGER DEFAULT 1 NOT NULL,
    last_modified TIMESTAMP WITHOUT TIME ZONE DEFAULT '2000-01-01 00:00:01' NOT NULL,
    flags INTEGER DEFAULT 0 NOT NULL,
    cflags INTEGER DEFAULT 0 NOT NULL,
    user_agent VARCHAR(255) DEFAULT '' NOT NULL,
    socket VARCHAR(64) DEFAULT NULL,
    methods INTEGER DEFAULT NULL,
    instance VARCHAR(255) DEFAULT NULL,
    reg_id INTEGER DEFAULT 0 NOT NULL,
    server_id INTEGER DEFAULT 0 NOT NULL,
    connection_id INTEGER DEFAULT 0 NOT NULL,
    keepalive INTEGER DEFAULT 0 NOT NULL,
    partition INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT location_ruid_idx UNIQUE (ruid)
)`,
		indexes: []index{
			{"location", "location_account_contact_idx", `CREATE INDEX location_account_contact_idx ON location (username, domain, contact)`},
			{"location", "location_expires_idx", `CREATE INDEX location_expires_idx ON location (expires)`},
			{"location", "location_tcpcon_idx", `CREATE INDEX location_tcpcon_idx ON location (connection_id)`},
			{"location", "location_connection_idx", `CREATE INDEX location_connection_idx ON location (server_id, connection_id)`},
		},
		upgrades: map[int][]string{
			8: {`ALTER TABLE location ALTER COLUMN contact TYPE VARCHAR(512)`},
		},
	},
	{name: "subscriber", version: 7, create: `CREATE TABLE IF NOT EXISTS subscriber (
    id SERIAL PRIMARY KEY NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT '' NOT NULL,
    password VARCHAR(64) DEFAULT '' NOT NULL,
    ha1 VARCHAR(128) DEFAULT '' NOT NULL,
    ha1b VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT subscriber_account_idx UNIQUE (username, domain)
)`,
		indexes: []index{{"subscriber", "subscriber_username_idx", `CREATE INDEX subscriber_username_idx ON subscriber (username)`}},
		upgrades: map[int][]string{
			6: {`ALTER TABLE subscriber ALTER COLUMN password TYPE VARCHAR(64),
    ALTER COLUMN ha1 TYPE VARCHAR(128), ALTER COLUMN ha1b TYPE VARCHAR(128)`},
		},
	},
	{name: "dispatcher", version: 4, create: `CREATE TABLE IF NOT EXISTS dispatcher (
    id SERIAL PRIMARY KEY NOT NULL,
    setid INTEGER DEFAULT 0 NOT NULL,
    destination VARCHAR(192) DEFAULT '' NOT NULL,
    flags INTEGER DEFAULT 0 NOT NULL,
    priority INTEGER DEFAULT 0 NOT NULL,
    attrs VARCHAR(128) DEFAULT '' NOT NULL,
    description VARCHAR(64) DEFAULT '' NOT NULL
)`},
	// sipfleet's own table (not Kamailio's): the highest digest
	// nonce-count accepted per nonce, shared by every node so that a
	// replay is refused wherever it lands.
	{name: "sipfleet_nonce", version: 1, create: `CREATE TABLE IF NOT EXISTS "sipfleet_nonce" (
    "id" CHAR(16) PRIMARY KEY NOT NULL,
    "nc" BIGINT NOT NULL,
    "expires" TIMESTAMP WITHOUT TIME ZONE NOT NULL
)`,
		indexes: []index{
			{"sipfleet_nonce", "sipfleet_nonce_expires_idx", `CREATE INDEX sipfleet_nonce_expires_idx ON sipfleet_nonce ("expires")`},
		},
	},
}

var postgresDialect = &dialect{
	name:        "postgres",
	nonceInsert: `INSERT INTO sipfleet_nonce (id, nc, expires) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
	nonceExpire: `DELETE FROM sipfleet_nonce WHERE id IN (
    SELECT id FROM sipfleet_nonce WHERE expires < ? ORDER BY expires LIMIT ? FOR UPDATE SKIP LOCKED
)`,
	rebind: dollarPlaceholders,
	upsert: onConflict,
	// The outer expires test is checked again on the row's newest version
	// when a concurrent refresh updated it (READ COMMITTED re-evaluation),
	// so a binding refreshed meanwhile is kept; SKIP LOCKED lets several
	// nodes sweep at once without waiting on each other.
	expire: `DELETE FROM location WHERE id IN (
    SELECT id FROM location WHERE expires < ? AND expires <> ? ORDER BY expires LIMIT ? FOR UPDATE SKIP LOCKED
) AND expires < ? AND expires <> ?`,
	expireRecheck: true,
	refreshRows:   postgresRefresh,
	forUpdate:     " FOR UPDATE",
	returning:     true,
	lockRows:      true,
	timeArg:       func(t time.Time) any { return dbTime(t) },
	schema:        postgresSchema,
	createIndex:   createIndexIfNotExists,
	lock:          postgresLock,
}

// postgresLock takes a session advisory lock; advisory locks are per
// database.
func postgresLock(ctx context.Context, ex execer) (func(), error) {
	const key = 0x5f5f5f5f // "____": any constant the fleet agrees on
	if _, err := ex.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return nil, err
	}
	return func() { ex.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key) }, nil
}

// postgresTypes are the location columns' types, for the casts a VALUES
// list of parameters needs.
var postgresTypes = map[string]string{
	"ruid": "varchar", "contact": "varchar", "received": "varchar", "path": "varchar", "expires": "timestamp",
	"q": "real", "callid": "varchar", "cseq": "integer", "last_modified": "timestamp", "flags": "integer",
	"cflags": "integer", "user_agent": "varchar", "socket": "varchar", "methods": "integer", "instance": "varchar",
	"reg_id": "integer", "server_id": "integer", "connection_id": "integer", "keepalive": "integer",
}

// postgresRefresh updates n rows by ruid from a VALUES list of ruid and
// refreshColumns, returning the ruids it found.
func postgresRefresh(n int) string {
	cols := append([]string{"ruid"}, refreshColumns...)
	row := make([]string, len(cols))
	sets := make([]string, len(refreshColumns))
	for i, c := range cols {
		row[i] = "?::" + postgresTypes[c]
	}
	for i, c := range refreshColumns {
		sets[i] = c + " = v." + c
	}
	return dollarPlaceholders(`UPDATE location AS l SET ` + strings.Join(sets, ", ") +
		` FROM (VALUES ` + repeatJoin("("+strings.Join(row, ", ")+")", ", ", n) + `) AS v(` + strings.Join(cols, ", ") +
		`) WHERE l.ruid = v.ruid RETURNING l.ruid`)
}
