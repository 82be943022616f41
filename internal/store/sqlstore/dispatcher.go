package sqlstore

import (
	"context"

	"github.com/sipfleet/sipfleet/internal/store"
)

// DispatcherRows reads Kamailio's dispatcher table in id order: one
// SELECT. The LB turns the rows into destination sets.
func (s *Store) DispatcherRows(ctx context.Context) ([]store.DispatcherRow, error) {
	var out []store.DispatcherRow
	err := s.run(ctx, "read dispatcher", func(ctx context.Context) error {
		rows, err := s.r.query(ctx, s.q.dispatcherAll)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = out[:0]
		for rows.Next() {
			var r store.DispatcherRow
			if err := rows.Scan(&r.ID, &r.SetID, &r.Destination, &r.Flags, &r.Priority, &r.Attrs, &r.Description); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}
