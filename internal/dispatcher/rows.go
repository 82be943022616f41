package dispatcher

// Row is one row of Kamailio's dispatcher table, version 4 (columns id,
// setid, destination, flags, priority, attrs, description), so that a
// sipfleet LB can load the table a Kamailio fleet already has. The SQL
// lives with the store; this package only converts.
type Row struct {
	ID          int
	SetID       int
	Destination string
	Flags       int
	Priority    int
	Attrs       string
	Description string
}

// FromRows validates rows as ParseList validates lines, naming table in
// errors, and returns them as a List in the order given.
func FromRows(table string, rows []Row) (*List, error) {
	var (
		l    List
		errs Errors
		dups = newDupChecker()
	)
	for _, r := range rows {
		o := origin{file: table, line: r.ID, row: true}
		e, bad := rowEntry(r, o)
		if len(bad) == 0 {
			bad = dups.check(e, o)
		}
		if len(bad) > 0 {
			errs = append(errs, bad...)
			continue
		}
		l.Entries = append(l.Entries, e)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &l, nil
}

func rowEntry(r Row, o origin) (Entry, Errors) {
	var bad Errors
	if r.SetID < 0 {
		bad = append(bad, o.errorf("setid", "want a non-negative integer, got %d", r.SetID))
	}
	if r.Flags < 0 || r.Flags > int(allFlags) {
		bad = append(bad, o.errorf("flags", "want a bit mask from 0 to 31, got %d", r.Flags))
	}
	e := Entry{
		SetID:       r.SetID,
		URI:         r.Destination,
		Flags:       Flags(r.Flags & int(allFlags)),
		Priority:    r.Priority,
		Attrs:       Attrs{Raw: r.Attrs},
		Description: r.Description,
	}
	return e, append(bad, checkEntry(&e, o)...)
}
