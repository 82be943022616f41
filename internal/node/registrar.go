package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"strings"
	"time"

	"github.com/sipfleet/sipfleet/internal/auth"
	"github.com/sipfleet/sipfleet/internal/config"
	"github.com/sipfleet/sipfleet/internal/mgmt"
	"github.com/sipfleet/sipfleet/internal/role/registrar"
	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/store/sqlstore"
	"github.com/sipfleet/sipfleet/internal/transaction"
)

// registrarRole runs a registrar node on the shared location database.
type registrarRole struct {
	n       *Node
	db      *sqlstore.Store
	reg     *registrar.Registrar
	latency prometheus.Histogram
	cancel  context.CancelFunc
	done    chan struct{}
}

func newRegistrarRole(ctx context.Context, cfg *config.Config, n *Node) (*registrarRole, error) {
	c := cfg.Registrar
	db, err := sqlstore.Open(ctx, string(c.DB), store.Options{ServerID: c.ServerID, QueryTimeout: c.QueryTimeout, Logger: n.log})
	if err != nil {
		return nil, err
	}
	r := &registrarRole{n: n, db: db}
	opt, err := r.options(cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	if r.reg, err = registrar.New(opt); err != nil {
		db.Close()
		return nil, err
	}
	if err := r.register(); err != nil {
		db.Close()
		return nil, err
	}
	return r, nil
}

func (r *registrarRole) options(cfg *config.Config) (registrar.Options, error) {
	c := cfg.Registrar
	tc, err := transportConfig(cfg)
	if err != nil {
		return registrar.Options{}, err
	}
	rules := registrar.Rules{
		Domains:        append([]string{strings.ToLower(c.Domain)}, lower(c.Domains)...),
		DefaultExpires: c.DefaultExpires, MinExpires: c.MinExpires, MaxExpires: c.MaxExpires,
		MaxContacts: c.MaxContacts, UseDomain: c.UseDomain, UsePath: c.UsePath, PathMode: registrar.PathMode(c.PathMode),
		PathUseReceived: c.PathUseReceived, ServerID: c.ServerID, Partitions: store.DefaultPartitions,
	}
	if c.MaxContactsReject {
		rules.OnMaxContacts = registrar.Reject503
	}
	opt := registrar.Options{
		Transport: tc, Timers: transaction.Config{T1: cfg.SIP.T1, T2: cfg.SIP.T2, T4: cfg.SIP.T4},
		Store: r.db, Rules: rules, Workers: c.Workers, Batch: c.Batch, QueryTimeout: c.QueryTimeout, Logger: r.n.log,
	}
	r.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "sipfleet_registrar_register_duration_seconds",
		Help:    "Time from a REGISTER's arrival to its answer.",
		Buckets: []float64{.001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5},
	})
	opt.Latency = func(d time.Duration) { r.latency.Observe(d.Seconds()) }
	if c.Auth {
		a, err := newAuthenticator(c.Secret, c.AuthAlgorithms, newNonceCounter(r.db, c.QueryTimeout))
		if err != nil {
			return opt, err
		}
		opt.Auth, opt.HA1All, opt.CountNonces = a, ha1All(r.db), true
	}
	return opt, nil
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// newAuthenticator builds the digest checker shared by registrars and
// proxies: the same secret on every node makes any node's nonce good on
// every other.
func newAuthenticator(secret string, algs []string, counter auth.NonceCounter) (*auth.Authenticator, error) {
	key := []byte(secret)
	if secret == "" {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	} else if len(key) < 16 {
		return nil, errors.New("secret: at least 16 characters")
	}
	cfg := auth.Config{Secret: key, Algorithms: []auth.Algorithm{auth.MD5, auth.SHA256}, Counter: counter}
	if len(algs) > 0 {
		cfg.Algorithms = nil
		for _, s := range algs {
			a, err := auth.ParseAlgorithm(s)
			if err != nil {
				return nil, fmt.Errorf("auth_algorithms: %w", err)
			}
			cfg.Algorithms = append(cfg.Algorithms, a)
		}
	}
	return auth.New(cfg)
}

// groupMax bounds the calls one database round trip of a store.Group
// serves: one statement's rows (sqlstore reads and writes 64 at most).
const groupMax = 64

// ha1Lookup answers the digest check from the subscriber table: Kamailio's
// ha1 column for MD5, the password for SHA-256. Concurrent lookups share
// one SELECT (store.Group).
func ha1Lookup(db *sqlstore.Store, timeout time.Duration) auth.HA1Func {
	type found struct {
		s  store.Subscriber
		ok bool
	}
	g := store.NewGroup(func(ctx context.Context, aors []store.AOR) ([]found, error) {
		subs, ok, err := db.GetAll(ctx, aors)
		if err != nil {
			return nil, err
		}
		out := make([]found, len(aors))
		for i := range out {
			out[i] = found{subs[i], ok[i]}
		}
		return out, nil
	}, groupMax, timeout)
	return func(ctx context.Context, user, realm string, alg auth.Algorithm) (string, error) {
		f, err := g.Do(ctx, store.AOR{User: user, Domain: realm})
		if err != nil {
			return "", err
		}
		if !f.ok {
			return "", auth.ErrUnknownUser
		}
		return ha1Of(f.s, user, realm, alg)
	}
}

// ha1Of gives a subscriber's HA1 for alg: Kamailio's ha1 column for MD5,
// else one computed from the password.
func ha1Of(s store.Subscriber, user, realm string, alg auth.Algorithm) (string, error) {
	if alg == auth.MD5 && s.HA1 != "" && s.Password == "" {
		return s.HA1, nil
	}
	if s.Password == "" {
		return "", auth.ErrUnknownUser
	}
	return auth.HA1(user, realm, s.Password, alg), nil
}

// ha1All reads many subscribers with one SELECT, for a registrar's batch
// (registrar.Options.HA1All), and answers from what it read.
func ha1All(db *sqlstore.Store) func(ctx context.Context, users []store.AOR) (auth.HA1Func, error) {
	return func(ctx context.Context, users []store.AOR) (auth.HA1Func, error) {
		subs, ok, err := db.GetAll(ctx, users)
		if err != nil {
			return nil, err
		}
		found := make(map[store.AOR]store.Subscriber, len(users))
		for i, u := range users {
			if ok[i] {
				found[u] = subs[i]
			}
		}
		return func(_ context.Context, user, realm string, alg auth.Algorithm) (string, error) {
			s, ok := found[store.AOR{User: user, Domain: realm}]
			if !ok {
				return "", auth.ErrUnknownUser
			}
			return ha1Of(s, user, realm, alg)
		}, nil
	}
}

func (r *registrarRole) name() string { return "registrar" }

// nonceCounter keeps digest nonce-counts in the shared database, so a
// replayed nonce-count is refused by every node, not only by the one that
// saw it first. Concurrent uses share one transaction (store.Group), so
// authenticated REGISTERs under load share a commit.
type nonceCounter struct {
	g *store.Group[store.NonceUse, bool]
}

func newNonceCounter(db *sqlstore.Store, timeout time.Duration) nonceCounter {
	return nonceCounter{store.NewGroup(db.AdvanceNonces, groupMax, timeout)}
}

func (c nonceCounter) Advance(ctx context.Context, u auth.NonceUse, _ time.Time) (bool, error) {
	return c.g.Do(ctx, store.NonceUse{ID: u.ID, NC: u.NC, Expires: time.Unix(u.Expires, 0)})
}

func (r *registrarRole) start(ctx context.Context) error {
	if err := r.reg.Start(ctx); err != nil {
		return err
	}
	bg, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go r.sweepNonces(bg)
	return nil
}

// sweepNonces forgets expired nonce-counts now and then.
func (r *registrarRole) sweepNonces(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			// A minute late: a nonce checked just before its expiry is
			// counted when its batch writes, a moment later, and a row
			// swept in between would let a replay count as a first use.
			_, _ = r.db.ExpireNonces(ctx, now.Add(-time.Minute))
		}
	}
}

func (r *registrarRole) stop(ctx context.Context) error {
	if r.cancel != nil {
		r.cancel()
		<-r.done
	}
	return errors.Join(r.reg.Close(ctx), r.db.Close())
}

func (r *registrarRole) reload(context.Context, *config.Config) error { return nil }

func (r *registrarRole) register() error {
	addDBReadiness(r.n, "registrar-db", r.db)
	if err := mgmt.RegisterTransport(roleRegisterer(r.n, "registrar"), r.reg.Transport().Stats); err != nil {
		return err
	}
	if err := r.n.reg.Register(r.latency); err != nil {
		return err
	}
	return registerCounters(r.n.reg, "registrar", r.reg.Stats)
}
