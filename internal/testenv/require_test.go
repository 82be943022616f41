package testenv

import (
	"os"
	"strings"
	"testing"
)

func TestInCI(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{"", false}, {"0", false}, {"false", false}, {"FALSE", false},
		{"true", true}, {"1", true}, {"yes", true},
	} {
		t.Run("CI="+tc.value, func(t *testing.T) {
			t.Setenv("CI", tc.value)
			if got := InCI(); got != tc.want {
				t.Errorf("InCI() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRequireBinaryFound(t *testing.T) {
	if path := RequireBinary(t, "sh"); !strings.HasSuffix(path, "/sh") {
		t.Errorf("RequireBinary(sh) = %q", path)
	}
}

// TestRequireBinaryMissing checks the rule: CI fails, elsewhere skips.
func TestRequireBinaryMissing(t *testing.T) {
	for _, tc := range []struct {
		ci                  string
		wantFatal, wantSkip bool
	}{
		{ci: "true", wantFatal: true},
		{ci: "", wantSkip: true},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			f := runFake(t, func(tb testing.TB) { RequireBinary(tb, "no-such-tool-sipfleet") })
			if f.fatal != tc.wantFatal || f.skipped != tc.wantSkip {
				t.Errorf("fatal=%v skipped=%v (%q); want fatal=%v skipped=%v",
					f.fatal, f.skipped, f.msg, tc.wantFatal, tc.wantSkip)
			}
			if !strings.Contains(f.msg, "no-such-tool-sipfleet is not installed") {
				t.Errorf("message %q does not name the tool", f.msg)
			}
		})
	}
}

func TestRequireBinaryHintsPackage(t *testing.T) {
	if _, err := os.Stat("/usr/sbin/sipp"); err == nil {
		t.Skip("sipp is in /usr/sbin here")
	}
	t.Setenv("CI", "")
	t.Setenv("PATH", t.TempDir())
	f := runFake(t, func(tb testing.TB) { RequireBinary(tb, "sipp") })
	if !f.skipped || !strings.Contains(f.msg, "apt-get install sip-tester") {
		t.Errorf("skipped=%v message %q; want a skip naming sip-tester", f.skipped, f.msg)
	}
}

// TestRequireBinarySbin checks that tools in /usr/sbin are found even when
// PATH lacks it, as a non-root user's PATH often does.
func TestRequireBinarySbin(t *testing.T) {
	if _, err := os.Stat("/usr/sbin/ip"); err != nil {
		t.Skip("no /usr/sbin/ip here")
	}
	t.Setenv("PATH", t.TempDir())
	if path := RequireBinary(t, "ip"); path != "/usr/sbin/ip" && path != "/sbin/ip" {
		t.Errorf("RequireBinary(ip) = %q", path)
	}
}

func TestSkipIfShort(t *testing.T) {
	if !testing.Short() {
		t.Skip("only meaningful with -short")
	}
	t.Setenv("CI", "true")
	f := runFake(t, func(tb testing.TB) { SkipIfShort(tb) })
	if f.skipped {
		t.Error("SkipIfShort skipped in CI")
	}
	t.Setenv("CI", "")
	if f := runFake(t, func(tb testing.TB) { SkipIfShort(tb) }); !f.skipped {
		t.Error("SkipIfShort did not skip with -short outside CI")
	}
}
