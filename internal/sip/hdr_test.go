package sip

import (
	"strings"
	"testing"
)

func TestLookupHdr(t *testing.T) {
	for id := HdrID(1); id < hdrCount; id++ {
		n := hdrNames[id]
		for _, v := range []string{n, strings.ToLower(n), strings.ToUpper(n)} {
			if got := lookupHdr([]byte(v)); got != id {
				t.Errorf("lookupHdr(%q) = %v, want %v", v, got, id)
			}
		}
	}
	for _, tc := range []struct {
		name string
		want HdrID
	}{
		{"v", HdrVia}, {"I", HdrCallID}, {"l", HdrContentLength}, {"k", HdrSupported},
		{"C%6Fntact", HdrOther}, {"Vias", HdrOther}, {"Contact_", HdrOther},
		{"X-Via", HdrOther}, {"q", HdrOther}, {"", HdrOther},
	} {
		if got := lookupHdr([]byte(tc.name)); got != tc.want {
			t.Errorf("lookupHdr(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestHdrTableProbes keeps the name table collision-free: a lookup of a
// known name must hit its slot at once.
func TestHdrTableProbes(t *testing.T) {
	for id := HdrID(1); id < hdrCount; id++ {
		j := hdrSlotKey(hdrKey([]byte(hdrNames[id]))).slot()
		if hdrTable[j].id != id {
			t.Errorf("%s is not in its home slot", hdrNames[id])
		}
	}
}
