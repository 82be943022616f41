package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildTimeout bounds the go build of cmd/sipfleet (a cold cache on a
// loaded 2-core machine takes a while).
const buildTimeout = 5 * time.Minute

// binDirPrefix names the directories BuildSipfleet builds in:
// PREFIX<pid>-<random> under the system temp directory.
const binDirPrefix = "sipfleet-testenv-"

// built is the binary of this test process, built once on first use: a
// test binary is one package's tests, so each package builds once.
var built = struct {
	once sync.Once
	path string
	err  error
}{}

// BuildSipfleet builds ./cmd/sipfleet from this module, once per test
// binary, and returns the executable's path. The build goes to a temporary
// directory named after this process; directories of processes that no
// longer exist are removed on the next build, so nothing piles up.
func BuildSipfleet(t testing.TB) string {
	t.Helper()
	built.once.Do(func() { built.path, built.err = buildSipfleet() })
	if built.err != nil {
		t.Fatalf("build sipfleet: %v", built.err)
	}
	return built.path
}

func buildSipfleet() (string, error) {
	sweepBinDirs()
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", binDirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "sipfleet")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/sipfleet")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("go build ./cmd/sipfleet: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot is the directory of the go.mod that encloses the test's
// working directory (go test runs a package's tests in its directory).
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// sweepBinDirs removes the build directories of test processes that have
// ended. A directory whose name does not parse is left alone.
func sweepBinDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), binDirPrefix+"*"))
	for _, d := range dirs {
		rest := strings.TrimPrefix(filepath.Base(d), binDirPrefix)
		pid, err := strconv.Atoi(strings.SplitN(rest, "-", 2)[0])
		if err != nil || pid == os.Getpid() || processExists(pid) {
			continue
		}
		os.RemoveAll(d)
	}
}

// processExists asks the kernel with signal 0, which checks without
// sending anything.
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
