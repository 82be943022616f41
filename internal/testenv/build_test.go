package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestBuildSipfleet(t *testing.T) {
	SkipIfShort(t)
	bin := BuildSipfleet(t)
	if again := BuildSipfleet(t); again != bin {
		t.Errorf("second BuildSipfleet = %q, want the first build %q", again, bin)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "sipfleet ") {
		t.Errorf("%s version: %v\n%s", bin, err, out)
	}
}

// TestSweepBinDirs checks that build directories of ended processes go
// and those of live ones stay.
func TestSweepBinDirs(t *testing.T) {
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	mk := func(pid int) string {
		d, err := os.MkdirTemp("", binDirPrefix+strconv.Itoa(pid)+"-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		return d
	}
	dead, live := mk(gone.Process.Pid), mk(os.Getppid())
	sweepBinDirs()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("%s of an ended process is still there", filepath.Base(dead))
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("%s of a live process: %v", filepath.Base(live), err)
	}
}
