package sqlstore

import (
	"context"
	"database/sql"

	"github.com/sipfleet/sipfleet/internal/store"
)

// Get reads one subscriber: one SELECT.
func (s *Store) Get(ctx context.Context, user, domain string) (store.Subscriber, error) {
	var sub store.Subscriber
	err := s.run(ctx, "get subscriber", func(ctx context.Context) error {
		rows, err := s.r.query(ctx, s.q.subGet, user, domain)
		if err != nil {
			return err
		}
		subs, err := scanSubscribers(rows)
		if err == nil && len(subs) == 0 {
			err = store.ErrNotFound
		}
		if err == nil {
			sub = subs[0]
		}
		return err
	})
	return sub, err
}

// GetAll reads the subscribers of several AoRs (user and domain): one
// SELECT per 64 AoRs. found[i] says whether aors[i] has one.
func (s *Store) GetAll(ctx context.Context, aors []store.AOR) (subs []store.Subscriber, found []bool, err error) {
	at, distinct := indexAORs(aors)
	err = s.run(ctx, "get subscribers", func(ctx context.Context) error {
		subs, found = make([]store.Subscriber, len(aors)), make([]bool, len(aors))
		return eachAORs(distinct, func(n int, args []any) error {
			rows, err := s.r.query(ctx, s.q.subscribersOf(n), args...)
			if err != nil {
				return err
			}
			got, err := scanSubscribers(rows)
			if err != nil {
				return err
			}
			for _, sub := range got {
				for _, i := range s.aorIndexes(at, aors, store.AOR{User: sub.User, Domain: sub.Domain}) {
					subs[i], found[i] = sub, true
				}
			}
			return nil
		})
	})
	return subs, found, err
}

// Put adds or replaces a subscriber: one upsert.
func (s *Store) Put(ctx context.Context, sub store.Subscriber) error {
	return s.run(ctx, "put subscriber", func(ctx context.Context) error {
		_, err := s.w.exec(ctx, nil, s.q.subPut, sub.User, sub.Domain, sub.Password, sub.HA1, sub.HA1B)
		return err
	})
}

// Delete removes a subscriber: one DELETE.
func (s *Store) Delete(ctx context.Context, user, domain string) error {
	return s.run(ctx, "delete subscriber", func(ctx context.Context) error {
		res, err := s.w.exec(ctx, nil, s.q.subDelete, user, domain)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return store.ErrNotFound
		}
		return err
	})
}

// List reads the subscribers of a domain, or all: one SELECT.
func (s *Store) ListSubscribers(ctx context.Context, domain string) ([]store.Subscriber, error) {
	query, args := s.q.subAll, []any(nil)
	if domain != "" {
		query, args = s.q.subDomain, []any{domain}
	}
	var out []store.Subscriber
	err := s.run(ctx, "list subscribers", func(ctx context.Context) error {
		rows, err := s.r.query(ctx, query, args...)
		if err != nil {
			return err
		}
		out, err = scanSubscribers(rows)
		return err
	})
	return out, err
}

func scanSubscribers(rows *sql.Rows) ([]store.Subscriber, error) {
	defer rows.Close()
	var out []store.Subscriber
	for rows.Next() {
		var s store.Subscriber
		if err := rows.Scan(&s.User, &s.Domain, &s.Password, &s.HA1, &s.HA1B); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
