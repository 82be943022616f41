package sip

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// secondViaByVias is what SecondVia must agree with: the second value
// Vias yields, and whether walking that far failed.
func secondViaByVias(m *Msg) (Via, bool, error) {
	var second Via
	n := 0
	err := m.Vias(func(v Via) bool {
		if n == 1 {
			second = v
		}
		n++
		return n < 2
	})
	if err == nil && n == 0 {
		_, err = m.TopVia() // no Via at all: SecondVia reports the top's error
	}
	return second, n == 2 && err == nil, err
}

func TestSecondViaAgreesWithVias(t *testing.T) {
	head := "SIP/2.0 200 OK\r\n"
	tail := "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
	msgs := [][]byte{}
	for _, vias := range []string{
		"Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\n",
		"Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b:5070;branch=z9hG4bK2\r\n",
		"Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVia: SIP/2.0/TCP b;received=10.0.0.1;rport=9\r\n",
		"Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\nMax-Forwards: 3\r\nv: SIP/2.0/UDP b\r\n",
		"Via: SIP/2.0/UDP a;branch=z9hG4bK1,\r\n",
		"Via: SIP/2.0/UDP a;branch=z9hG4bK1, ,SIP/2.0/UDP b\r\n",
		"Via: SIP/2.0/UDP a;branch=z9hG4bK1, bogus\r\n",
		"Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVia: \r\n",
		"Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVia: bogus\r\n",
		"Via: bogus, SIP/2.0/UDP b\r\n",
		"Via: , SIP/2.0/UDP b\r\n",
		"Via: SIP/2.0/UDP \"a,b\";branch=x, SIP/2.0/UDP [::1]:5060\r\n",
		"",
	} {
		msgs = append(msgs, []byte(head+vias+tail))
	}
	for _, dir := range []string{"testdata", "testdata/rfc4475", "testdata/rfc5118"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sip"))
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				msgs = append(msgs, b)
			}
		}
	}
	for _, b := range msgs {
		var m Msg
		_ = m.Parse(b)
		want, wantOK, wantErr := secondViaByVias(&m)
		got, ok, err := m.SecondVia()
		if ok != wantOK || (err == nil) != (wantErr == nil) || !bytes.Equal(got.Raw, want.Raw) {
			t.Errorf("%q:\nSecondVia = %q, %v, %v\nVias say  %q, %v, %v", b, got.Raw, ok, err, want.Raw, wantOK, wantErr)
		}
	}
}
