package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// WriteFile writes content to a new file named name in a directory of the
// test's own (removed when the test ends) and returns its path: configs,
// dispatcher lists, SIPp injection files.
func WriteFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	return path
}

// CRLF turns a message written with "\n" line ends, as in a Go raw string,
// into SIP's "\r\n" ones (RFC 3261 §7). Lines already ending in "\r\n" are
// kept as they are.
func CRLF(msg string) []byte {
	return []byte(strings.ReplaceAll(strings.ReplaceAll(msg, "\r\n", "\n"), "\n", "\r\n"))
}
