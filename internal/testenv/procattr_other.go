//go:build !linux

package testenv

import "syscall"

// dieWithParent has no portable equivalent outside Linux; the runner's own
// deadlines and cleanups still bound every child.
func dieWithParent() *syscall.SysProcAttr { return nil }

// GroupDyingWithParent gives its own process group only, outside Linux.
func GroupDyingWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
