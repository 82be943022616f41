package testenv

import "syscall"

// dieWithParent makes the kernel kill a child process when the test
// binary dies (a panic, go test's -timeout): no SIPp or node outlives its
// test. Linux only.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// GroupDyingWithParent is dieWithParent for a child that is also the
// leader of its own process group, so that stopping the group reaches the
// children it forks (Kamailio's workers).
func GroupDyingWithParent() *syscall.SysProcAttr {
	a := dieWithParent()
	a.Setpgid = true
	return a
}
