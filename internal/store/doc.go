// Package store holds the location and subscriber records that the
// registrar, proxy, NAT pinger and command line share, and the small
// interfaces through which they read and write them. The records follow
// Kamailio's usrloc and auth_db tables (location version 9, subscriber
// version 7), so that a sipfleet fleet and a Kamailio registrar with usrloc
// db_mode=3 can share one database.
//
// The store is cacheless ("DB-only"): every save and lookup goes to the
// shared database, so any node answers for any user and nodes come and go
// freely. The SQL implementation, for SQLite, MariaDB/MySQL and PostgreSQL,
// is in the sqlstore subpackage; storetest is the conformance suite every
// implementation passes.
//
// # RUIDs: race-free saves without locks
//
// Each binding has a ruid, unique in the table. RUID derives it from the
// AoR and the binding's identity — the RFC 5626 instance and reg-id when
// the UA gives both, else the Contact URI — so every registrar node computes
// the same ruid for the same binding. Two nodes saving one binding at the
// same moment then both upsert the same row (INSERT ... ON CONFLICT (ruid)
// DO UPDATE, or ON DUPLICATE KEY UPDATE): the database's unique index
// serialises them and no duplicate row can appear, with no lock held
// between the read of a REGISTER's bindings and its write. Rows that
// Kamailio wrote keep their own ruids; the registrar updates those by the
// ruid it read.
//
// # Times
//
// Times are UTC and whole seconds, as in Kamailio's DATETIME columns. A
// zero Binding.Expires is a permanent binding, stored as Kamailio stores
// its expires 0: 1970-01-01 00:00:00. Kamailio writes times in its local
// time zone, so a Kamailio sharing the database must run with TZ=UTC.
package store
