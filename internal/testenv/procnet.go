package testenv

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// pollEvery is how often readiness is polled: short against a deadline,
// never a synchronisation by itself.
const pollEvery = 10 * time.Millisecond

// tcpListen is the TCP_LISTEN state as /proc/net/tcp prints it.
const tcpListen = "0A"

// Bound reports whether some socket of this host's network namespace
// serves addr: for "udp" a socket bound to its port on its IP or on the
// wildcard address, for "tcp" a listening socket. It reads /proc/net, so
// it sees other processes' sockets (a SIPp, a sipfleet node) without
// sending them anything.
func Bound(network string, addr netip.AddrPort) (bool, error) {
	inodes, err := socketInodes(network, addr)
	return len(inodes) > 0, err
}

// BoundBy is Bound for the sockets of process pid only: that the server
// the test started holds the port, not some other process.
func BoundBy(pid int, network string, addr netip.AddrPort) (bool, error) {
	inodes, err := socketInodes(network, addr)
	if err != nil || len(inodes) == 0 {
		return false, err
	}
	return ownsSocket(pid, inodes)
}

// socketInodes returns the inodes of the sockets serving addr.
func socketInodes(network string, addr netip.AddrPort) ([]string, error) {
	files, err := procNetFiles(network)
	if err != nil {
		return nil, err
	}
	var inodes []string
	for _, name := range files {
		f, err := os.Open(name)
		if errors.Is(err, os.ErrNotExist) && strings.HasSuffix(name, "6") {
			continue // no IPv6 in this kernel
		}
		if err != nil {
			return nil, fmt.Errorf("read sockets: %w", err)
		}
		found, err := scanSockets(f, addr, network == "tcp")
		f.Close()
		if err != nil {
			return nil, err
		}
		inodes = append(inodes, found...)
	}
	return inodes, nil
}

// ownsSocket reports whether one of pid's file descriptors is one of the
// sockets: /proc/PID/fd/N links to "socket:[INODE]".
func ownsSocket(pid int, inodes []string) (bool, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", dir, err)
	}
	for _, fd := range fds {
		link, err := os.Readlink(dir + "/" + fd.Name())
		if err != nil {
			continue // closed meanwhile
		}
		for _, inode := range inodes {
			if link == "socket:["+inode+"]" {
				return true, nil
			}
		}
	}
	return false, nil
}

func procNetFiles(network string) ([]string, error) {
	switch network {
	case "udp", "tcp":
		return []string{"/proc/net/" + network, "/proc/net/" + network + "6"}, nil
	}
	return nil, fmt.Errorf("network %q: want udp or tcp", network)
}

// scanSockets reads one /proc/net/{udp,tcp}[6] table and returns the
// inodes of the sockets serving addr.
func scanSockets(r io.Reader, addr netip.AddrPort, listenOnly bool) ([]string, error) {
	const localCol, stateCol, inodeCol = 1, 3, 9
	var inodes []string
	sc := bufio.NewScanner(r)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) <= inodeCol || (listenOnly && fields[stateCol] != tcpListen) {
			continue
		}
		local, err := parseProcAddr(fields[localCol])
		if err != nil {
			return nil, err
		}
		if serves(local, addr) {
			inodes = append(inodes, fields[inodeCol])
		}
	}
	return inodes, sc.Err()
}

// serves says whether a socket bound to local receives what is sent to addr.
func serves(local, addr netip.AddrPort) bool {
	if local.Port() != addr.Port() {
		return false
	}
	ip := local.Addr().Unmap()
	return ip == addr.Addr().Unmap() || ip.IsUnspecified()
}

// parseProcAddr decodes "0100007F:3B60": the address is the kernel's
// in-memory bytes printed as 32-bit words in host order, the port is hex.
func parseProcAddr(s string) (netip.AddrPort, error) {
	hexIP, hexPort, ok := strings.Cut(s, ":")
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if !ok || err != nil || (len(hexIP) != 8 && len(hexIP) != 32) {
		return netip.AddrPort{}, fmt.Errorf("socket address %q: not ADDR:PORT in hex", s)
	}
	raw := make([]byte, 0, 16)
	for i := 0; i < len(hexIP); i += 8 {
		word, err := hex.DecodeString(hexIP[i : i+8])
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("socket address %q: %w", s, err)
		}
		raw = binary.NativeEndian.AppendUint32(raw, binary.BigEndian.Uint32(word))
	}
	ip, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(ip, uint16(port)), nil
}

// WaitBound polls Bound until addr is served or ctx ends.
func WaitBound(ctx context.Context, network string, addr netip.AddrPort) error {
	return poll(ctx, fmt.Sprintf("%s %s to be bound", network, addr), nil, func() (bool, error) {
		return Bound(network, addr)
	})
}

// waitBoundBy polls BoundBy until process pid serves addr, ctx ends, or
// exited is closed: the process has ended.
func waitBoundBy(ctx context.Context, pid int, network string, addr netip.AddrPort, exited <-chan struct{}) error {
	return poll(ctx, fmt.Sprintf("%s %s to be bound by pid %d", network, addr, pid), exited, func() (bool, error) {
		return BoundBy(pid, network, addr)
	})
}

// poll calls check every pollEvery until it holds, fails, ctx ends or
// exited is closed; what says what is awaited, for the error.
func poll(ctx context.Context, what string, exited <-chan struct{}, check func() (bool, error)) error {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		ok, err := check()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", what, context.Cause(ctx))
		case <-exited:
			return fmt.Errorf("wait for %s: the process exited", what)
		case <-tick.C:
		}
	}
}
