package store

import (
	"context"
	"log/slog"
	"time"
)

// Location is the location table: the bindings of every AoR.
type Location interface {
	// Bindings gives the AoR's bindings in force at now, in one query,
	// ordered by id.
	Bindings(ctx context.Context, aor AOR, now time.Time) ([]Binding, error)
	// Update applies one REGISTER's outcome for aor atomically: each
	// binding in put is saved by its ruid, each ruid in del is removed.
	// A binding with ID 0 is upserted; one with the ID it was read with is
	// refreshed by an UPDATE of its ruid, and upserted if a sweep or
	// another node removed it meanwhile. An empty RUID is filled in with
	// RUID(aor, Contact, Instance, RegID). Put bindings must belong to aor.
	Update(ctx context.Context, aor AOR, put []Binding, del []string) error
	// BindingsOf is Bindings for several AoRs in one query: out[i] holds
	// the bindings of aors[i].
	BindingsOf(ctx context.Context, aors []AOR, now time.Time) ([][]Binding, error)
	// UpdateAll applies several REGISTERs' outcomes atomically, as Update
	// does one's: all or none. Each change is of a different AoR. It
	// sends one statement per kind of write (refreshes, new bindings,
	// removals) for all of them, so a registrar under load commits many
	// REGISTERs at once.
	//
	// A change that carries a Nonce is written only if its nonce-count
	// is accepted, and the count is recorded in the same transaction.
	// Changes whose count was used before are left out, the others are
	// written, and the error is a *NonceReplayError naming them.
	UpdateAll(ctx context.Context, changes []Change) error
	// Expire removes up to limit bindings that lapsed before now and
	// reports how many it removed. Every node may run it at once: a
	// binding refreshed while it runs is kept.
	Expire(ctx context.Context, now time.Time, limit int) (int, error)
	// NATed gives one page of the bindings in force that the NAT pinger
	// keeps open, ordered by id; see NATedQuery. Only what the pinger
	// needs is read: ID, RUID, Contact, Received, Socket and Partition
	// (Keepalive is true); the other fields are left zero.
	NATed(ctx context.Context, q NATedQuery) ([]Binding, error)
	// List gives up to limit bindings, of one AoR or, with a nil aor, of
	// all, expired or not, ordered by AoR and id. A limit of 0 or less
	// means 1000.
	List(ctx context.Context, aor *AOR, limit int) ([]Binding, error)
}

// Change is one REGISTER's outcome: see Location.Update.
type Change struct {
	AOR AOR
	Put []Binding
	Del []string // RUIDs
	// Nonce, when set, is the digest nonce use that authenticated the
	// REGISTER: the change stands or falls with its count (UpdateAll).
	// A change may carry a Nonce and nothing to write.
	Nonce *NonceUse
}

// NonceUse is one use of a digest nonce: its id, the nonce-count, and
// when the nonce expires (its record may go then). A count is accepted
// when it is higher than every count accepted for the nonce before, so
// that a replayed request is refused by every node of the fleet.
type NonceUse struct {
	ID      uint64
	NC      uint32
	Expires time.Time
}

// NATedQuery asks for one page of NATed bindings. Pages follow the id
// (keyset pagination): pass the last ID of a page as After to get the
// next one, until a page is shorter than Limit.
type NATedQuery struct {
	Now   time.Time
	After int64
	Limit int
	// Partitions, when set, keeps only the bindings of these partitions.
	Partitions []int
	// Shards, when above 0, keeps only the bindings whose partition
	// modulo Shards is Shard. Use Partitions or Shards, not both.
	Shard, Shards int
}

// Subscribers is the subscriber table.
type Subscribers interface {
	// Get gives the subscriber, or ErrNotFound.
	Get(ctx context.Context, user, domain string) (Subscriber, error)
	// Put adds the subscriber, or replaces it if it exists.
	Put(ctx context.Context, s Subscriber) error
	// Delete removes the subscriber, or says ErrNotFound.
	Delete(ctx context.Context, user, domain string) error
	// ListSubscribers gives the subscribers of domain, or of all domains
	// for "", ordered by domain and user. (Its name keeps it apart from
	// Location.List in Store.)
	ListSubscribers(ctx context.Context, domain string) ([]Subscriber, error)
}

// Store is a whole location and subscriber database.
type Store interface {
	Location
	Subscribers
	// Migrate creates the tables that are missing and upgrades older
	// ones, recording versions in the version table. It is idempotent and
	// safe to run from several nodes at once.
	Migrate(ctx context.Context) error
	// SchemaVersions gives the version table: table name to version.
	SchemaVersions(ctx context.Context) (map[string]int, error)
	Ping(ctx context.Context) error
	Stats() Stats
	Close() error
}

// Options tunes a store.
type Options struct {
	// ServerID is this node's server_id, written into the bindings it
	// saves; each node has its own.
	ServerID int
	// MaxConns bounds the connection pool; 0 means 8.
	MaxConns int
	// QueryTimeout bounds each operation, retries included; 0 means 3s.
	// An operation that runs out of it fails with ErrUnavailable.
	QueryTimeout time.Duration
	// Logger gets one line when the database becomes unavailable and one
	// when it is back; nil logs nothing.
	Logger *slog.Logger
}

// Stats describes a store's pool and its work since it was opened.
type Stats struct {
	OpenConns, InUse, Idle int
	// WaitCount and WaitDuration count the waits for a free connection.
	WaitCount    int64
	WaitDuration time.Duration
	// Ops counts operations, Statements the SQL statements they sent
	// (BEGIN and COMMIT included), Retries the statements sent again
	// after a lost connection or a deadlock.
	Ops, Statements, Retries uint64
	// Errors counts failed operations, Unavailable those of them that
	// failed with ErrUnavailable.
	Errors, Unavailable uint64
	// Available is false from an ErrUnavailable until the next success.
	Available bool
}

// DispatcherRow is one row of Kamailio's dispatcher table (version 4),
// which the LB may load its destination sets from.
type DispatcherRow struct {
	ID, SetID, Flags, Priority      int
	Destination, Attrs, Description string
}
