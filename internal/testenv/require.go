package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// InCI reports whether the tests run in CI: the CI environment variable is
// set to anything but "", "0" or "false" (CI services set CI=true).
func InCI() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv("CI"))) {
	case "", "0", "false":
		return false
	}
	return true
}

// packages names the Debian package that installs each tool the tests use.
var packages = map[string]string{
	"sipp":     "sip-tester",
	"kamailio": "kamailio",
	"tshark":   "tshark",
	"ip":       "iproute2",
	"iptables": "iptables",
}

// sbinDirs are searched after PATH: a non-root user's PATH often lacks
// them, and ip and iptables live there.
var sbinDirs = []string{"/usr/sbin", "/sbin", "/usr/local/sbin"}

// RequireBinary returns the path of the program name. If it is missing the
// test is skipped, or, in CI, fails.
func RequireBinary(t testing.TB, name string) string {
	t.Helper()
	if path, err := lookPath(name); err == nil {
		return path
	}
	hint := ""
	if pkg, ok := packages[name]; ok {
		hint = fmt.Sprintf(" (apt-get install %s)", pkg)
	}
	unavailable(t, "%s is not installed%s", name, hint)
	return ""
}

func lookPath(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err == nil {
		return path, nil
	}
	for _, dir := range sbinDirs {
		p := filepath.Join(dir, name)
		if fi, statErr := os.Stat(p); statErr == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", err
}

// RequireRoot skips the test, or in CI fails it, unless it runs as root;
// why says what needs root (network namespaces, iptables, raw sockets).
func RequireRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, "needs root: %s", why)
	}
}

// SkipIfShort marks a long test: go test -short skips it, except in CI,
// which runs every test whatever its flags.
func SkipIfShort(t testing.TB) {
	t.Helper()
	if !testing.Short() {
		return
	}
	if InCI() {
		t.Log("-short ignored: CI runs every test")
		return
	}
	t.Skip("long end-to-end test; skipped with -short")
}

// unavailable is what a test does when something it needs is missing:
// fail in CI, skip elsewhere.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("%s; CI must not skip (CI=%q)", msg, os.Getenv("CI"))
	}
	t.Skipf("%s; skipping (in CI, with CI set, this fails)", msg)
}
