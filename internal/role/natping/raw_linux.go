//go:build linux

package natping

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// RawSender sends keepalives through raw sockets (IPPROTO_RAW, so the
// header is ours: IP_HDRINCL and IPV6_HDRINCL), with the given source
// address and port, one socket per IP family. It is a Sender.
type RawSender struct {
	v4, v6 *rawConn
}

// NewRawSender opens a raw socket for each valid source: src4 (IPv4) for
// IPv4 destinations, src6 (IPv6) for IPv6 ones. Without CAP_NET_RAW it
// fails with an error that says how to grant it.
func NewRawSender(src4, src6 netip.AddrPort) (*RawSender, error) {
	s := &RawSender{}
	var err error
	if src4.IsValid() {
		if !src4.Addr().Is4() {
			return nil, fmt.Errorf("raw sender: %v is not an IPv4 address", src4)
		}
		if s.v4, err = openRaw(unix.AF_INET, src4); err != nil {
			return nil, err
		}
	}
	if src6.IsValid() {
		if !src6.Addr().Is6() || src6.Addr().Is4In6() {
			s.Close()
			return nil, fmt.Errorf("raw sender: %v is not an IPv6 address", src6)
		}
		if s.v6, err = openRaw(unix.AF_INET6, src6); err != nil {
			s.Close()
			return nil, err
		}
	}
	if s.v4 == nil && s.v6 == nil {
		return nil, errors.New("raw sender: no source address")
	}
	return s, nil
}

// Send sends each datagram from the source of its family, in sendmmsg
// batches.
func (s *RawSender) Send(ds []Datagram) (failed int, err error) {
	conns := [2]*rawConn{s.v4, s.v6}
	for _, c := range conns {
		if c != nil {
			c.reset()
		}
	}
	for i := range ds {
		c := s.v4
		if ds[i].Dst.Addr().Unmap().Is6() {
			c = s.v6
		}
		if c == nil {
			failed++
			err = cmp.Or(err, fmt.Errorf("send to %v: %w", ds[i].Dst, errFamily))
			continue
		}
		c.add(&ds[i])
	}
	for _, c := range conns {
		if c != nil {
			c.flush()
			failed += c.failed
			err = cmp.Or(err, c.err)
		}
	}
	return failed, err
}

// Close closes the sockets.
func (s *RawSender) Close() error {
	var errs []error
	for _, c := range []*rawConn{s.v4, s.v6} {
		if c != nil {
			errs = append(errs, c.f.Close())
		}
	}
	return errors.Join(errs...)
}

// rawConn is one raw socket and the batch being built for it. Packets
// are appended into one slab; the iovecs point into it only once the
// batch is complete, since appending may move it.
type rawConn struct {
	f   *os.File
	rc  syscall.RawConn
	src netip.AddrPort

	slab  []byte
	ends  []int // end offset of each packet in slab
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // room for either family

	failed int   // packets of this Send that could not be sent
	err    error // why the first of them could not

	from, to int                // the packets the next sendmmsg offers
	sent     int                // how many the last call sent
	errno    unix.Errno         // why the last call sent none
	send     func(uintptr) bool // c.sendmmsg, bound once
}

// capHint is the end of the error when the kernel refuses a raw socket.
const capHint = "sending with the LB's address as source needs CAP_NET_RAW: " +
	"run as root, grant the binary the capability (setcap cap_net_raw+ep $(command -v sipfleet)), " +
	"or under systemd set AmbientCapabilities=CAP_NET_RAW (with CapabilityBoundingSet including it)"

func openRaw(family int, src netip.AddrPort) (*rawConn, error) {
	name, opt, level := "IPv4", unix.IP_HDRINCL, unix.IPPROTO_IP
	if family == unix.AF_INET6 {
		name, opt, level = "IPv6", unix.IPV6_HDRINCL, unix.IPPROTO_IPV6
	}
	fd, err := unix.Socket(family, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return nil, fmt.Errorf("open raw %s socket: %w; %s", name, err, capHint)
	}
	if err != nil {
		return nil, fmt.Errorf("open raw %s socket: %w", name, err)
	}
	// IPPROTO_RAW implies the header option; setting it says so, and
	// fails loudly on a kernel that would add a header of its own.
	if err := unix.SetsockoptInt(fd, level, opt, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("raw %s socket: set header-included option: %w", name, err)
	}
	// A deep send buffer absorbs a batch while the NIC drains the last;
	// the kernel caps it at wmem_max, and a smaller one only slows us.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
	f := os.NewFile(uintptr(fd), "natping-raw-"+name)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("raw %s socket: %w", name, err)
	}
	c := &rawConn{f: f, rc: rc, src: src,
		hdrs: make([]unix.Mmsghdr, MaxBatch), iovs: make([]unix.Iovec, MaxBatch),
		names: make([]unix.RawSockaddrInet6, MaxBatch)}
	for i := range c.hdrs {
		h := &c.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&c.names[i]))
		h.Iov = &c.iovs[i]
		h.SetIovlen(1)
	}
	c.send = c.sendmmsg
	return c, nil
}

func (c *rawConn) reset() {
	c.slab, c.ends = c.slab[:0], c.ends[:0]
	c.failed, c.err = 0, nil
}

func (c *rawConn) fail(n int, err error) {
	c.failed += n
	c.err = cmp.Or(c.err, err)
}

// add builds d's packet into the batch, and sends the batch when full.
func (c *rawConn) add(d *Datagram) {
	var err error
	start := len(c.slab)
	if c.slab, err = appendPacket(c.slab, c.src, d.Dst, d.Payload); err != nil {
		c.slab = c.slab[:start]
		c.fail(1, fmt.Errorf("send to %v: %w", d.Dst, err))
		return
	}
	i := len(c.ends)
	c.ends = append(c.ends, len(c.slab))
	c.hdrs[i].Hdr.Namelen = putSockaddr(&c.names[i], d.Dst.Addr().Unmap())
	if len(c.ends) == MaxBatch {
		c.flush()
	}
}

// flush sends the batch, counting the packets that fail.
func (c *rawConn) flush() {
	start := 0
	for i, end := range c.ends {
		c.iovs[i].Base = &c.slab[start]
		c.iovs[i].SetLen(end - start)
		start = end
	}
	for c.from, c.to = 0, len(c.ends); c.from < c.to; {
		if err := c.rc.Write(c.send); err != nil { // closed: none of the rest can go
			c.fail(c.to-c.from, fmt.Errorf("sendmmsg: %w", err))
			break
		}
		if c.sent == 0 {
			c.fail(1, fmt.Errorf("sendmmsg: %w", c.errno))
			c.from++
			continue
		}
		c.from += c.sent
	}
	clear(c.iovs[:len(c.ends)])
	c.slab, c.ends = c.slab[:0], c.ends[:0]
}

// sendmmsg is the RawConn.Write callback: false means "would block,
// wait". sendmmsg stops at the first packet that fails and reports only
// how many went before it; that one is then counted and skipped.
func (c *rawConn) sendmmsg(fd uintptr) bool {
	for {
		n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, fd,
			uintptr(unsafe.Pointer(&c.hdrs[c.from])), uintptr(c.to-c.from), 0, 0, 0)
		switch errno {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		c.sent, c.errno = int(n), errno
		if errno != 0 {
			c.sent = 0
		}
		return true
	}
}

// putSockaddr writes the destination of a raw packet and returns the
// sockaddr's length. The port stays 0: for IPv6 raw sockets it would name
// the protocol (rawv6_sendmsg), and the real ports are in our header.
func putSockaddr(sa *unix.RawSockaddrInet6, a netip.Addr) uint32 {
	*sa = unix.RawSockaddrInet6{}
	if a.Is4() {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		sa4.Family = unix.AF_INET
		sa4.Addr = a.As4()
		return unix.SizeofSockaddrInet4
	}
	sa.Family = unix.AF_INET6
	sa.Addr = a.As16()
	return unix.SizeofSockaddrInet6
}
