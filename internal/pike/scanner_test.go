package pike

import "testing"

func TestIsScanner(t *testing.T) {
	s, err := NewScanners(DefaultScanners())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ua   string
		want bool
	}{
		{"friendly-scanner", true},
		{"FRIENDLY-SCANNER/1.0", true},
		{"sipvicious 0.3.4", true},
		{"SIPVicious", true},
		{"VaxSIPUserAgent/3.1", true},
		{"vaxsipuseragent", true},
		{"sipcli/v1.8", true},
		{"iWar", true},
		{"x sundayddr x", true},
		{"SIPScan 1.0", true},
		{"sipsak 0.9.8", false},
		{"Linphone/5.2 (belle-sip)", false},
		{"Zoiper rv2.10", false},
		{"friendly-scanne", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := s.IsScanner([]byte(tt.ua)); got != tt.want {
			t.Errorf("IsScanner(%q) = %v, want %v", tt.ua, got, tt.want)
		}
	}
}

func TestScannersConfig(t *testing.T) {
	var none *Scanners
	if none.IsScanner([]byte("friendly-scanner")) {
		t.Error("a nil *Scanners matched")
	}
	if _, err := NewScanners([]string{"ok", ""}); err == nil {
		t.Error("an empty fragment was accepted")
	}
	s, err := NewScanners([]string{"EvilBot"})
	if err != nil {
		t.Fatal(err)
	}
	if !s.IsScanner([]byte("evilbot/2")) || s.IsScanner([]byte("friendly-scanner")) {
		t.Error("a custom list should replace the default one")
	}
}

func TestIsScannerDoesNotAllocate(t *testing.T) {
	s, _ := NewScanners(DefaultScanners())
	ua := []byte("Linphone/5.2.0 (belle-sip/5.2.0)")
	if n := testing.AllocsPerRun(1000, func() { s.IsScanner(ua) }); n != 0 {
		t.Errorf("IsScanner: %v allocations, want 0", n)
	}
}
