package sqlstore

import (
	"context"
	"time"
)

// The SQLite schema is Kamailio 5.6's utils/kamctl/db_sqlite/*-create.sql
// with IF NOT EXISTS added. SQLite does not enforce VARCHAR lengths, and
// its TIMESTAMP columns hold text in sqlTimeLayout, as Kamailio's db_sqlite
// writes them; text in one layout compares as time.
var sqliteSchema = []table{
	{name: "version", version: 1, create: `CREATE TABLE IF NOT EXISTS version (
    id INTEGER PRIMARY KEY NOT NULL,
    table_name VARCHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT version_table_name_idx UNIQUE (table_name)
)`},
	{name: "location", version: 9, create: `CREATE TABLE IF NOT EXISTS location (
    id INTEGER PRIMARY KEY NOT NULL,
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
		// Widening a VARCHAR changes nothing in SQLite.
		upgrades: map[int][]string{8: nil},
	},
	{name: "subscriber", version: 7, create: `CREATE TABLE IF NOT EXISTS subscriber (
    id INTEGER PRIMARY KEY NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT '' NOT NULL,
    password VARCHAR(64) DEFAULT '' NOT NULL,
    ha1 VARCHAR(128) DEFAULT '' NOT NULL,
    ha1b VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT subscriber_account_idx UNIQUE (username, domain)
)`,
		indexes:  []index{{"subscriber", "subscriber_username_idx", `CREATE INDEX subscriber_username_idx ON subscriber (username)`}},
		upgrades: map[int][]string{6: nil},
	},
	{name: "dispatcher", version: 4, create: `CREATE TABLE IF NOT EXISTS dispatcher (
    id INTEGER PRIMARY KEY NOT NULL,
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
    "id" TEXT PRIMARY KEY NOT NULL,
    "nc" BIGINT NOT NULL,
    "expires" TEXT NOT NULL
)`,
		indexes: []index{
			{"sipfleet_nonce", "sipfleet_nonce_expires_idx", `CREATE INDEX sipfleet_nonce_expires_idx ON sipfleet_nonce ("expires")`},
		},
	},
}

var sqliteDialect = &dialect{
	name:        "sqlite",
	returning:   true,
	nonceInsert: `INSERT INTO sipfleet_nonce (id, nc, expires) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
	nonceExpire: `DELETE FROM sipfleet_nonce WHERE id IN (
    SELECT id FROM sipfleet_nonce WHERE expires < ? ORDER BY expires LIMIT ?
)`,
	rebind: func(q string) string { return q },
	upsert: onConflict,
	// One writer at a time: nothing can refresh a row between the
	// subquery and the delete, and the outer test keeps it so anyway.
	expire: `DELETE FROM location WHERE id IN (
    SELECT id FROM location WHERE expires < ? AND expires <> ? ORDER BY expires LIMIT ?
) AND expires < ? AND expires <> ?`,
	expireRecheck: true,
	timeArg:       func(t time.Time) any { return dbTime(t).Format(sqlTimeLayout) },
	schema:        sqliteSchema,
	createIndex:   createIndexIfNotExists,
	// The migration runs in one IMMEDIATE transaction, which is the lock.
	lock: func(context.Context, execer) (func(), error) { return func() {}, nil },
}
