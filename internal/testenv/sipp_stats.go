package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// readStatCSV reads the last row of a -trace_stat file: ';'-separated, a
// header row naming the columns, then one row per dump (every -fd seconds,
// and a final one when SIPp exits other than by SIGKILL). Counters come in
// pairs, "(P)" for the last period and "(C)" cumulative; the runner reads
// the cumulative ones.
func readStatCSV(path string) (SippResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return SippResult{}, err
	}
	defer f.Close()
	row, err := lastStatRow(f)
	if err != nil {
		return SippResult{}, fmt.Errorf("%s: %w", path, err)
	}
	return resultFromStat(row)
}

// lastStatRow maps the header's column names to the last complete row.
func lastStatRow(r io.Reader) (map[string]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var header, last []string
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		fields := strings.Split(line, ";")
		switch {
		case header == nil:
			header = fields
		case len(fields) >= len(header)-1: // a row cut short by SIGKILL is skipped
			last = fields
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if last == nil {
		return nil, errors.New("no statistics row")
	}
	row := make(map[string]string, len(header))
	for i, name := range header {
		if name != "" && i < len(last) {
			row[name] = last[i]
		}
	}
	return row, nil
}

// statColumns are the CSV columns of SippResult's counters.
var statColumns = []struct {
	column string
	field  func(*SippResult) *int
}{
	{"TotalCallCreated", func(r *SippResult) *int { return &r.Created }},
	{"SuccessfulCall(C)", func(r *SippResult) *int { return &r.Successful }},
	{"FailedCall(C)", func(r *SippResult) *int { return &r.Failed }},
	{"CurrentCall", func(r *SippResult) *int { return &r.Current }},
	{"Retransmissions(C)", func(r *SippResult) *int { return &r.Retransmissions }},
	{"Warnings(C)", func(r *SippResult) *int { return &r.Warnings }},
	{"DeadCallMsgs(C)", func(r *SippResult) *int { return &r.DeadCallMsgs }},
	{"OutOfCallMsgs(C)", func(r *SippResult) *int { return &r.OutOfCallMsgs }},
}

func resultFromStat(row map[string]string) (SippResult, error) {
	r := SippResult{Source: "stat"}
	for _, c := range statColumns {
		v, err := strconv.Atoi(strings.TrimSpace(row[c.column]))
		if err != nil {
			return SippResult{}, fmt.Errorf("statistics column %s: %q is not a count", c.column, row[c.column])
		}
		*c.field(&r) = v
	}
	for name, value := range row {
		cause, ok := strings.CutPrefix(name, "Failed")
		cause, cumulative := strings.CutSuffix(cause, "(C)")
		if !ok || !cumulative || cause == "Call" {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(value)); err == nil && n > 0 {
			if r.Causes == nil {
				r.Causes = map[string]int{}
			}
			r.Causes[cause] = n
		}
	}
	return r, nil
}

// readScreen reads the counters of SIPp's statistics screen, as the
// -trace_screen file and stdout hold it. Rows look like
//
//	Successful call        |        0                  |        3
//
// (label, periodic value, cumulative value); the last screen in the file
// wins. "Current Calls" has only the periodic column.
func readScreen(path string) (SippResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return SippResult{}, err
	}
	defer f.Close()
	rows, err := screenRows(f)
	if err != nil {
		return SippResult{}, fmt.Errorf("%s: %w", path, err)
	}
	var r SippResult
	for _, c := range []struct {
		label  string
		column int
		field  *int
	}{
		{"Total Calls created", 2, &r.Created},
		{"Successful call", 2, &r.Successful},
		{"Failed call", 2, &r.Failed},
		{"Current Calls", 1, &r.Current},
	} {
		cols, ok := rows[c.label]
		if !ok || len(cols) <= c.column {
			return SippResult{}, fmt.Errorf("%s: no %q row", path, c.label)
		}
		v, err := strconv.Atoi(strings.TrimSpace(cols[c.column]))
		if err != nil {
			return SippResult{}, fmt.Errorf("%s: %q: %q is not a count", path, c.label, cols[c.column])
		}
		*c.field = v
	}
	return r, nil
}

// screenRows maps each "label | ... | ..." row's label to its columns.
func screenRows(r io.Reader) (map[string][]string, error) {
	rows := map[string][]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "|")
		if len(cols) < 2 {
			continue
		}
		rows[strings.TrimSpace(cols[0])] = cols
	}
	return rows, sc.Err()
}
