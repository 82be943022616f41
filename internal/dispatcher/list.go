package dispatcher

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Flags are the state bits of a destination as Kamailio's dispatcher
// writes them in the flags column (dispatch.h: DS_INACTIVE_DST and
// friends). They set the state a destination starts in; see Entry.
type Flags uint8

const (
	// FlagInactive starts the destination inactive: out of rotation until
	// it answers SuccessThreshold probes.
	FlagInactive Flags = 1
	// FlagTrying (Kamailio's DS_TRYING_DST) starts the destination in the
	// probing state: out of rotation until it has proved itself.
	FlagTrying Flags = 2
	// FlagDisabled starts the destination disabled by the administrator:
	// never selected, never probed, until SetState says otherwise.
	FlagDisabled Flags = 4
	// FlagProbing (Kamailio's DS_PROBING_DST) asks for the destination to
	// be probed even when HealthConfig.Mode probes only inactive ones.
	FlagProbing Flags = 8
	// FlagNoDNS (DS_NODNSARES_DST) is accepted for compatibility; this
	// package resolves nothing, so it has no effect here.
	FlagNoDNS Flags = 16

	allFlags   = FlagInactive | FlagTrying | FlagDisabled | FlagProbing | FlagNoDNS
	stateFlags = FlagInactive | FlagTrying | FlagDisabled // the bits that choose the starting state
)

// String names the bits, such as "inactive|probing", or "0".
func (f Flags) String() string {
	if f == 0 {
		return "0"
	}
	names := []string{"inactive", "trying", "disabled", "probing", "nodns"}
	var parts []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if rest := f &^ allFlags; rest != 0 {
		parts = append(parts, strconv.Itoa(int(rest)))
	}
	return strings.Join(parts, "|")
}

// initialState is the state a destination with these flags starts in.
// Disabled wins over inactive, which wins over trying.
func (f Flags) initialState() State {
	switch {
	case f&FlagDisabled != 0:
		return StateDisabled
	case f&FlagInactive != 0:
		return StateInactive
	case f&FlagTrying != 0:
		return StateProbing
	}
	return StateActive
}

// Entry is one destination as configured: a line of a list file or a row
// of the dispatcher table.
type Entry struct {
	SetID       int
	URI         string // sip: or sips: URI, as written
	Flags       Flags
	Priority    int // higher is tried first, as in Kamailio
	Attrs       Attrs
	Description string // database rows only; list files have no column for it
}

// List is a validated set of entries, ready for New or Reload. Its
// entries keep input order.
type List struct {
	Entries []Entry
}

// ParseFile reads a list file in Kamailio's dispatcher.list format.
func ParseFile(path string) (*List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read dispatcher list: %w", err)
	}
	return ParseList(path, data)
}

// ParseList parses data in Kamailio's dispatcher.list format, naming it
// file in errors:
//
//	# comment
//	setid uri [flags [priority [attrs]]]
//
// Fields are separated by blanks; a field starting with '#' starts a
// comment. attrs is one blank-free token of ';'-separated key=value pairs.
// Every bad line is reported, as an Errors; nothing is returned then.
func ParseList(file string, data []byte) (*List, error) {
	var (
		l    List
		errs Errors
		dups = newDupChecker()
	)
	for n, line := range bytes.Split(data, []byte("\n")) {
		o := origin{file: file, line: n + 1}
		fields := lineFields(string(line))
		if len(fields) == 0 {
			continue
		}
		e, bad := parseLine(fields, o)
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

// lineFields splits a line at blanks, up to the first field that starts
// with '#'. A '#' inside a field is kept: Kamailio reads attrs up to the
// next blank, so "x=a#b" is one attribute.
func lineFields(line string) []string {
	fields := strings.Fields(line)
	for i, f := range fields {
		if strings.HasPrefix(f, "#") {
			return fields[:i]
		}
	}
	return fields
}

// parseLine turns the fields of one line into an entry, reporting every
// problem it finds.
func parseLine(fields []string, o origin) (Entry, Errors) {
	var (
		e   Entry
		bad Errors
	)
	if len(fields) < 2 {
		return e, Errors{o.errorf("", "want \"setid uri [flags [priority [attrs]]]\", got %d field(s)", len(fields))}
	}
	if len(fields) > 5 {
		bad = append(bad, o.errorf("", "unexpected %q after attrs (attrs may not hold blanks)", fields[5]))
	}
	setid, err := strconv.ParseUint(fields[0], 10, 31)
	if err != nil {
		bad = append(bad, o.errorf("setid", "want a non-negative integer, got %q", fields[0]))
	}
	e.SetID = int(setid)
	e.URI = fields[1]
	if len(fields) > 2 {
		f, err := strconv.ParseUint(fields[2], 10, 8)
		if err != nil {
			bad = append(bad, o.errorf("flags", "want a bit mask from 0 to 31, got %q", fields[2]))
		}
		e.Flags = Flags(f)
	}
	if len(fields) > 3 {
		p, err := strconv.ParseInt(fields[3], 10, 32)
		if err != nil {
			bad = append(bad, o.errorf("priority", "want an integer, got %q", fields[3]))
		}
		e.Priority = int(p)
	}
	if len(fields) > 4 {
		e.Attrs.Raw = fields[4]
	}
	return e, append(bad, checkEntry(&e, o)...)
}

// WriteTo writes l in dispatcher.list format, one entry a line, with the
// description, if any, as a comment. Parsing the output gives l back but
// for the descriptions.
func (l *List) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	for _, e := range l.Entries {
		fmt.Fprintf(&b, "%d %s %d %d", e.SetID, e.URI, e.Flags, e.Priority)
		if e.Attrs.Raw != "" {
			b.WriteString(" " + e.Attrs.Raw)
		}
		if d := strings.Join(strings.Fields(e.Description), " "); d != "" {
			b.WriteString(" # " + d)
		}
		b.WriteByte('\n')
	}
	return b.WriteTo(w)
}
