package testenv

import (
	"maps"
	"strings"
	"testing"
)

// The testdata/sipp files are SIPp 3.6.1's own output for uac_call
// against uas_503, 2 calls: both failed on the unexpected 503.

func TestReadStatCSV(t *testing.T) {
	r, err := readStatCSV("testdata/sipp/uac_503.stat.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := SippResult{Source: "stat", Created: 2, Failed: 2, Causes: map[string]int{"UnexpectedMessage": 2}}
	if !sameCounts(r, want) {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
}

func TestReadScreen(t *testing.T) {
	for _, file := range []string{"testdata/sipp/uac_503.screen.log", "testdata/sipp/uac_503.stdout.log"} {
		r, err := readScreen(file)
		if err != nil {
			t.Fatal(err)
		}
		if want := (SippResult{Created: 2, Failed: 2}); !sameCounts(r, want) {
			t.Errorf("%s: got %+v, want %+v", file, r, want)
		}
	}
}

func sameCounts(a, b SippResult) bool {
	return a.Source == b.Source && a.Created == b.Created && a.Successful == b.Successful &&
		a.Failed == b.Failed && a.Current == b.Current && a.Retransmissions == b.Retransmissions &&
		maps.Equal(a.Causes, b.Causes)
}

func TestLastStatRow(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]string
		wantErr  bool
	}{
		{name: "header only", in: "A;B;\n", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "last row wins", in: "A;B;\n1;2;\n3;4;\n", want: map[string]string{"A": "3", "B": "4"}},
		{name: "a row cut short is skipped", in: "A;B;C;D;\n1;2;3;4;\n5;6\n", want: map[string]string{"A": "1", "B": "2", "C": "3", "D": "4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lastStatRow(strings.NewReader(tc.in))
			if (err != nil) != tc.wantErr || !maps.Equal(got, tc.want) {
				t.Errorf("got %v, %v; want %v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestResultFromStatRejectsGarbage(t *testing.T) {
	if _, err := resultFromStat(map[string]string{"TotalCallCreated": "x"}); err == nil {
		t.Error("a non-numeric counter was accepted")
	}
}

func TestCheck(t *testing.T) {
	r := SippResult{Successful: 5}
	if err := r.Check(5, 0); err != nil {
		t.Errorf("Check(5, 0) on 5 successful: %v", err)
	}
	for _, bad := range []SippResult{{Successful: 4}, {Successful: 5, Failed: 1}, {Successful: 5, Current: 1}} {
		if err := bad.Check(5, 0); err == nil {
			t.Errorf("Check(5, 0) on %+v returned nil", bad)
		}
	}
}
