// Package sqlstore is the store.Store of sipfleet on a SQL database:
// SQLite, MariaDB/MySQL or PostgreSQL, named by a URL (sqlite:PATH,
// mysql://user:pass@host:port/db, postgres://user:pass@host:port/db). The
// tables are Kamailio 5.6's, created and upgraded by Migrate, plus one of
// sipfleet's own, sipfleet_nonce: the highest digest nonce-count accepted
// per nonce, shared so that every node refuses a replay (AdvanceNonce).
//
// # Why database/sql and these drivers
//
// database/sql gives, for every engine alike, the bounded connection pool,
// statements prepared once and prepared again by itself on each new
// connection (so they survive an outage), and contexts on every call; the
// engines differ only in a few statements (see dialect). The drivers are
// the maintained, widely used ones: modernc.org/sqlite is SQLite
// translated to Go, so the binary stays static and cross-compiles with
// CGO_ENABLED=0; github.com/go-sql-driver/mysql speaks to MariaDB and
// MySQL with server-side prepared statements; github.com/jackc/pgx/v5
// through its stdlib adapter speaks to PostgreSQL and what speaks its
// protocol. No ORM: the statements are few, fixed and worth reading.
//
// # Statements per operation
//
// Every statement below is one round trip on a prepared statement (the
// first use on a new connection adds one to prepare it).
//
//   - Bindings: 1 SELECT.
//   - Update with one change: 1 statement, in autocommit — an upsert for
//     a binding (naming its id when it was read from the table, see
//     below), a DELETE for a removal. On PostgreSQL a refresh is an
//     UPDATE by ruid, and one whose row was swept or removed meanwhile
//     takes a second statement, the upsert that writes it again.
//   - UpdateAll, many REGISTERs' changes at once: one statement per kind
//     of write (refreshes, new bindings, removals) per 64 rows, in one
//     transaction (BEGIN and COMMIT) when there is more than one.
//   - BindingsOf, many AoRs' bindings: 1 SELECT per 64 users.
//   - A REGISTER that adds, refreshes or removes one contact is therefore
//     2 statements: Bindings, then Update. The 200 OK's list of bindings is
//     what was read with the change applied, so there is no second read.
//     A registrar under load batches them: n REGISTERs of different AoRs
//     take 2 statements in all (BindingsOf, UpdateAll), and one commit.
//   - With digest authentication, a batch adds GetAll (1 SELECT of its
//     subscribers, which the registrar sends alongside BindingsOf), and
//     its changes carry their nonce uses: UpdateAll is then one
//     transaction of BEGIN, 1 INSERT of the new nonces, the bindings'
//     statements and COMMIT. When every use is a nonce's first (count
//     1, as phones answer each challenge with a fresh nonce) the counts
//     are not read first: the insert says which nonces were known.
//     Otherwise 1 SELECT ... FOR UPDATE reads them, and each nonce
//     raised is 1 UPDATE.
//   - Expire: 1 DELETE per batch. NATed: 1 SELECT per page. Subscriber
//     Get, Put, Delete, ListSubscribers: 1 each; `user add` is a Get and a
//     Put.
//
// A refresh names the row's id in its upsert because both InnoDB and
// PostgreSQL draw a new id for every upsert that leaves the id out,
// conflict or not: at 2,000 refreshes a second Kamailio's 32-bit id
// column would run out in weeks. With the id given, nothing is drawn, and
// a row removed meanwhile comes back under its old id. PostgreSQL's upsert arbitrates one unique index only, so
// there a refresh is an UPDATE ... FROM (VALUES ...) by ruid instead, and
// a transaction that refreshes or removes several rows first takes an
// advisory lock per ruid, in one order (one more statement; see
// Store.lockRows), as concurrent batches would otherwise deadlock in the
// join's or the scan's order.
//
// Naming the id relies on a row's id not being drawn again while the
// refresh is in flight. MySQL and MariaDB never draw an id twice;
// SQLite draws max(id)+1, so a new row may take the id of the highest
// row if that was removed meanwhile — the refresh then fails on the
// primary key and is written again as an upsert by ruid.
//
// Measured by BenchmarkRegister on the 2-core development machine, with
// the database on the same host at its Debian defaults (fsync at every
// commit), per REGISTER:
//
//	                      one at a time   8 at once    batches of 16   of 64
//	SQLite (WAL, FULL)    0.2 ms          0.46 ms/op   30 µs           18 µs
//	MariaDB 10.11         0.36–0.39 ms    0.16 ms/op   70 µs           27 µs
//	PostgreSQL 15         0.29–0.32 ms    0.19 ms/op   62 µs           54 µs
//
// The commit's fsync is most of a lone REGISTER; batches share it.
//
// # Concurrency
//
// Saves are race-free without locks because ruids are deterministic (see
// package store): two nodes saving one binding both hit the ruid's unique
// index. The sweep (Expire) checks expires in the DELETE itself, against
// each row's current version (InnoDB's locking read; PostgreSQL's
// re-check of an updated row; SQLite's single writer), so a binding
// refreshed while a sweep runs is never removed; and a refresh that finds
// its row swept writes it again. Deadlocks and serialization failures,
// which InnoDB may raise between concurrent upserts and sweeps, are sent
// again after a pause of a few milliseconds.
//
// SQLite runs in WAL mode with one writer connection, readers in
// parallel, IMMEDIATE transactions and a busy timeout, so that two
// processes on one file queue rather than fail.
//
// # Outages
//
// Every operation runs within Options.QueryTimeout, retries included.
// Failing to reach the database, losing the connection, and running out of
// time all give an error wrapping store.ErrUnavailable. An operation whose
// connection broke is sent again once on a new one (every operation is
// idempotent), so a database restart or failover often goes unseen. The
// store logs the first ErrUnavailable of an outage and the first success
// after it, once each, and needs no reopening: database/sql dials anew
// and prepares the statements again on the new connections.
package sqlstore
