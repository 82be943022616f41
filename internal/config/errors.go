package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is a place in a config file. Line and Column count from 1; zero means
// unknown (an empty file has no place to point at).
type Pos struct {
	File   string
	Line   int
	Column int
}

// Error is one problem in a config file.
type Error struct {
	Pos
	// Path names the key, such as "listeners[1].listen"; it is empty for
	// problems of the file as a whole, such as a YAML syntax error.
	Path string
	Msg  string
}

// Error formats the problem as "file:line: key.path: problem"; editors and
// terminals turn the "file:line" prefix into a link.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file, in file order.
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

// sort orders the problems by position; problems found at the same place
// keep the order they were found in, which follows the struct fields.
func (es Errors) sort() {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}
