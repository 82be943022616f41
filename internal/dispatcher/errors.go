package dispatcher

import (
	"fmt"
	"strings"
)

// Error is one problem with one destination entry of a list file or of the
// dispatcher table.
type Error struct {
	File  string // list file name, or the table name for database rows
	Line  int    // 1-based line in File, or the row's id for database rows
	Row   bool   // Line holds a database row id, not a line number
	Field string // "uri", "flags", "attrs.weight", ...; "" for the entry as a whole
	Msg   string
}

// Error formats the problem as "file:line: field: problem", the form
// editors and terminals turn into a link; database rows read
// "table id=7: field: problem".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Row {
		fmt.Fprintf(&b, "%s id=%d: ", e.File, e.Line)
	} else {
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one list, in input order. Parsing
// goes on after a bad entry so that one run shows them all.
type Errors []*Error

// Error prints one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find the individual problems.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// origin says where an entry came from, for the errors about it.
type origin struct {
	file string
	line int
	row  bool
}

func (o origin) errorf(field, format string, args ...any) *Error {
	return &Error{File: o.file, Line: o.line, Row: o.row, Field: field, Msg: fmt.Sprintf(format, args...)}
}
