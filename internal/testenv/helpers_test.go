package testenv

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"testing"
)

// fakeTB stands in for a test in tests of what a helper does to its
// test: it records Fatal, Skip (ending the goroutine, as the real ones do)
// and Error, keeps Cleanup functions for runFake to run, and passes
// everything else to the real test.
type fakeTB struct {
	testing.TB
	fatal, skipped, errored bool
	msg                     string
	cleanups                []func()
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

func (f *fakeTB) Error(args ...any) { f.errored, f.msg = true, fmt.Sprint(args...) }

func (f *fakeTB) Errorf(format string, args ...any) {
	f.errored, f.msg = true, fmt.Sprintf(format, args...)
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatal(args ...any) {
	f.fatal, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Skip(args ...any) {
	f.skipped, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}

// runFake runs fn with a fakeTB, then the cleanups fn registered, last
// first, as a test's end would; each on its own goroutine, as Goexit needs.
func runFake(t *testing.T, fn func(tb testing.TB)) *fakeTB {
	t.Helper()
	f := &fakeTB{TB: t}
	onGoroutine(func() { fn(f) })
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		onGoroutine(f.cleanups[i])
	}
	return f
}

func onGoroutine(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}

// helperEnv, when set, makes the test binary act as a sipfleet node for
// the node tests instead of running tests. Its value is the mode:
//
//	serve ADDR     serve 200 at http://ADDR/readyz; exit 0 on SIGTERM
//	stubborn ADDR  the same, but ignore SIGTERM
//	crash ADDR     the same, but exit 3 on SIGUSR1, as a crash would
//	exit CODE      exit at once with CODE
const helperEnv = "SIPFLEET_TESTENV_HELPER"

func runHelper(mode string, args []string) int {
	if mode == "exit" {
		code, _ := strconv.Atoi(args[0])
		fmt.Println("helper: exiting", code)
		return code
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		fmt.Println("helper:", err)
		return 1
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ready")
	}))
	fmt.Println("helper: serving", mode, args[0])
	sigs := make(chan os.Signal, 1)
	switch mode {
	case "stubborn":
		signal.Ignore(syscall.SIGTERM)
		select {}
	case "crash":
		signal.Notify(sigs, syscall.SIGUSR1)
		<-sigs
		return 3
	}
	signal.Notify(sigs, syscall.SIGTERM)
	<-sigs
	fmt.Println("helper: stopping")
	return 0
}
