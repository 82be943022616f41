package testenv

import "syscall"

// dieWithParent makes the kernel kill a child process when the test
// binary dies (a panic, go test's -timeout): no SIPp or node outlives its
// test. Linux only.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
