package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// The MySQL/MariaDB schema is Kamailio 5.6's utils/kamctl/mysql/*-create.sql
// with IF NOT EXISTS added. Identifiers are written in double quotes here;
// rebind turns them into Kamailio's backticks (partition is a reserved
// word in MySQL).
var mysqlSchema = []table{
	{name: "version", version: 1, create: `CREATE TABLE IF NOT EXISTS "version" (
    "id" INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    "table_name" VARCHAR(32) NOT NULL,
    "table_version" INT UNSIGNED DEFAULT 0 NOT NULL,
    CONSTRAINT table_name_idx UNIQUE ("table_name")
)`},
	{name: "location", version: 9, create: `CREATE TABLE IF NOT EXISTS "location" (
    "id" INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    "ruid" VARCHAR(64) DEFAULT '' NOT NULL,
    "username" VARCHAR(64) DEFAULT '' NOT NULL,
    "domain" VARCHAR(64) DEFAULT NULL,
    "contact" VARCHAR(512) DEFAULT '' NOT NULL,
    "received" VARCHAR(128) DEFAULT NULL,
    "path" VARCHAR(512) DEFAULT NULL,
    "expires" DATETIME DEFAULT '2030-05-28 21:32:15' NOT NULL,
    "q" FLOAT(10,2) DEFAULT 1.0 NOT NULL,
    "callid" VARCHAR(255) DEFAULT 'Default-Call-ID' NOT NULL,
    "cseq" INT(11) DEFAULT 1 NOT NULL,
    "last_modified" DATETIME DEFAULT '2000-01-01 00:00:01' NOT NULL,
    "flags" INT(11) DEFAULT 0 NOT NULL,
    "cflags" INT(11) DEFAULT 0 NOT NULL,
    "user_agent" VARCHAR(255) DEFAULT '' NOT NULL,
    "socket" VARCHAR(64) DEFAULT NULL,
    "methods" INT(11) DEFAULT NULL,
    "instance" VARCHAR(255) DEFAULT NULL,
    "reg_id" INT(11) DEFAULT 0 NOT NULL,
    "server_id" INT(11) DEFAULT 0 NOT NULL,
    "connection_id" INT(11) DEFAULT 0 NOT NULL,
    "keepalive" INT(11) DEFAULT 0 NOT NULL,
    "partition" INT(11) DEFAULT 0 NOT NULL,
    CONSTRAINT ruid_idx UNIQUE ("ruid")
)`,
		indexes: []index{
			{"location", "account_contact_idx", `CREATE INDEX account_contact_idx ON location ("username", "domain", "contact")`},
			{"location", "expires_idx", `CREATE INDEX expires_idx ON location ("expires")`},
			{"location", "tcpcon_idx", `CREATE INDEX tcpcon_idx ON location ("connection_id")`},
			{"location", "connection_idx", `CREATE INDEX connection_idx ON location ("server_id", "connection_id")`},
		},
		upgrades: map[int][]string{
			// Kamailio 5.1 widened contact from 255 to 512 characters.
			8: {`ALTER TABLE location MODIFY "contact" VARCHAR(512) DEFAULT '' NOT NULL`},
		},
	},
	{name: "subscriber", version: 7, create: `CREATE TABLE IF NOT EXISTS "subscriber" (
    "id" INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    "username" VARCHAR(64) DEFAULT '' NOT NULL,
    "domain" VARCHAR(64) DEFAULT '' NOT NULL,
    "password" VARCHAR(64) DEFAULT '' NOT NULL,
    "ha1" VARCHAR(128) DEFAULT '' NOT NULL,
    "ha1b" VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT account_idx UNIQUE ("username", "domain")
)`,
		indexes: []index{{"subscriber", "username_idx", `CREATE INDEX username_idx ON subscriber ("username")`}},
		upgrades: map[int][]string{
			// Kamailio 5.0 widened password, ha1 and ha1b; the columns it
			// dropped (email_address, rpid) stay, and their defaults fill
			// them.
			6: {`ALTER TABLE subscriber MODIFY "password" VARCHAR(64) DEFAULT '' NOT NULL,
    MODIFY "ha1" VARCHAR(128) DEFAULT '' NOT NULL, MODIFY "ha1b" VARCHAR(128) DEFAULT '' NOT NULL`},
		},
	},
	{name: "dispatcher", version: 4, create: `CREATE TABLE IF NOT EXISTS "dispatcher" (
    "id" INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    "setid" INT DEFAULT 0 NOT NULL,
    "destination" VARCHAR(192) DEFAULT '' NOT NULL,
    "flags" INT DEFAULT 0 NOT NULL,
    "priority" INT DEFAULT 0 NOT NULL,
    "attrs" VARCHAR(128) DEFAULT '' NOT NULL,
    "description" VARCHAR(64) DEFAULT '' NOT NULL
)`},
	// sipfleet's own table (not Kamailio's): the highest digest
	// nonce-count accepted per nonce, shared by every node so that a
	// replay is refused wherever it lands.
	{name: "sipfleet_nonce", version: 1, create: `CREATE TABLE IF NOT EXISTS "sipfleet_nonce" (
    "id" CHAR(16) PRIMARY KEY NOT NULL,
    "nc" BIGINT NOT NULL,
    "expires" DATETIME NOT NULL
)`,
		indexes: []index{
			{"sipfleet_nonce", "sipfleet_nonce_expires_idx", `CREATE INDEX sipfleet_nonce_expires_idx ON sipfleet_nonce ("expires")`},
		},
	},
}

var mysqlDialect = &dialect{
	name:        "mysql",
	foldCase:    true,
	forUpdate:   " FOR UPDATE",
	nonceTx:     &sql.TxOptions{Isolation: sql.LevelReadCommitted},
	nonceInsert: `INSERT IGNORE INTO sipfleet_nonce (id, nc, expires) VALUES (?, ?, ?)`,
	nonceExpire: `DELETE FROM sipfleet_nonce WHERE expires < ? ORDER BY expires LIMIT ?`,
	rebind:      func(q string) string { return strings.ReplaceAll(q, `"`, "`") },
	upsert:      onDuplicateKey,
	// DELETE reads rows with locks, so InnoDB checks expires on each
	// row's current version: a binding refreshed meanwhile no longer
	// matches.
	expire:      `DELETE FROM location WHERE expires < ? AND expires <> ? ORDER BY expires LIMIT ?`,
	timeArg:     func(t time.Time) any { return dbTime(t) },
	schema:      mysqlSchema,
	createIndex: mysqlCreateIndex,
	lock:        mysqlLock,
}

// mysqlCreateIndex checks the catalog first: MySQL, unlike MariaDB, has
// no CREATE INDEX IF NOT EXISTS.
func mysqlCreateIndex(ctx context.Context, ex execer, ix index) error {
	var n int
	err := ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.statistics
		WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?`, ix.table, ix.name).Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	_, err = ex.ExecContext(ctx, ix.create)
	return err
}

// mysqlLock takes a named lock of the server, one per database.
func mysqlLock(ctx context.Context, ex execer) (func(), error) {
	const name = "CONCAT('sipfleet_migrate:', DATABASE())"
	var got *int
	if err := ex.QueryRowContext(ctx, "SELECT GET_LOCK("+name+", 60)").Scan(&got); err != nil {
		return nil, err
	}
	if got == nil || *got != 1 {
		return nil, errors.New("another node kept the migration lock for 60s")
	}
	return func() { ex.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK("+name+")") }, nil
}
