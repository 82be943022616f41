//go:build linux

package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawTimeout is SO_RCVTIMEO on a blocking socket: the longest its reader
// sleeps without looking whether the socket is being closed, should the
// shutdown(2) that wakes it at Close not do so.
const rawTimeout = 250 * time.Millisecond

// yieldEvery is how often a raw reader passes through the scheduler (see
// rawReader.read). Measured at 2,000 calls/s with one and two sockets:
// 0.5 ms costs more in the passes than it saves, 5 ms lets sysmon take
// the P of a second socket's reader often enough to cost 40% more CPU.
const yieldEvery = 2 * time.Millisecond

// rawSocket is a UDP socket in blocking mode that Go's netpoller never
// sees (see ListenerConfig.BlockingRead): its reader waits in recvmmsg
// itself, so a datagram costs the reader's thread one wake-up by the
// kernel and no epoll_wait, futex or EAGAIN read. It is wrapped in an
// os.File only for the file's reference counting: a Close while the
// reader is blocked defers close(2) until the reader returns, so the
// descriptor cannot be reused under it.
type rawSocket struct {
	f       *os.File
	rc      syscall.RawConn
	closing atomic.Bool
	sends   sync.Pool // *rawSend
}

// rawSupported: blocking readers are available here.
const rawSupported = true

// bindRaw opens, configures and binds one blocking UDP socket.
func bindRaw(addr netip.AddrPort, o sockopts, rcvbuf int) (*rawSocket, netip.AddrPort, error) {
	family := unix.AF_INET6
	if addr.Addr().Is4() || addr.Addr().Is4In6() {
		family = unix.AF_INET
		addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("socket: %w", err)
	}
	fail := func(err error) (*rawSocket, netip.AddrPort, error) {
		_ = unix.Close(fd)
		return nil, netip.AddrPort{}, err
	}
	if family == unix.AF_INET6 && addr.Addr().IsUnspecified() {
		// As the net package: "[::]" listens on both families.
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != nil {
			return fail(fmt.Errorf("clear IPV6_V6ONLY: %w", err))
		}
	}
	if err := o.set(fd, family == unix.AF_INET6); err != nil {
		return fail(err)
	}
	if rcvbuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf); err != nil {
			return fail(fmt.Errorf("set SO_RCVBUF: %w", err))
		}
	}
	tv := unix.NsecToTimeval(rawTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fail(fmt.Errorf("set SO_RCVTIMEO: %w", err))
	}
	var sa unix.RawSockaddrInet6
	var z zoneCache
	n := putSockaddr(&sa, addr, &z)
	if _, _, e := unix.Syscall(unix.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(&sa)), uintptr(n)); e != 0 {
		return fail(fmt.Errorf("bind: %w", e))
	}
	sa, n = unix.RawSockaddrInet6{}, unix.SizeofSockaddrInet6
	if _, _, e := unix.Syscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&n))); e != 0 {
		return fail(fmt.Errorf("getsockname: %w", e))
	}
	local := addrPortOf(&sa, &z)
	// A blocking descriptor makes os.NewFile keep it out of the netpoller.
	f := os.NewFile(uintptr(fd), "udp:"+local.String())
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, netip.AddrPort{}, fmt.Errorf("raw conn: %w", err)
	}
	r := &rawSocket{f: f, rc: rc}
	r.sends.New = func() any { s := &rawSend{}; s.fn = s.sendto; return s }
	return r, local, nil
}

// close wakes a reader blocked in recvmmsg (shutdown makes the call
// return at once) and closes the socket once no call is using it.
func (r *rawSocket) close() error {
	if r.closing.Swap(true) {
		return os.ErrClosed
	}
	_ = r.rc.Control(func(fd uintptr) { _ = unix.Shutdown(int(fd), unix.SHUT_RD) })
	return r.f.Close()
}

// rawSend is one sendto(2), pooled so that a send allocates nothing.
type rawSend struct {
	sa    unix.RawSockaddrInet6
	salen uint32
	b     []byte
	errno unix.Errno
	zone  zoneCache
	fn    func(uintptr)
}

func (s *rawSend) sendto(fd uintptr) {
	for {
		_, _, e := unix.Syscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(unsafe.SliceData(s.b))), uintptr(len(s.b)),
			0, uintptr(unsafe.Pointer(&s.sa)), uintptr(s.salen))
		if e != unix.EINTR {
			s.errno = e
			return
		}
	}
}

// writeTo sends one datagram; the socket is blocking, so a full send
// buffer makes it wait in the kernel rather than in the netpoller.
func (r *rawSocket) writeTo(b []byte, dst netip.AddrPort) error {
	s := r.sends.Get().(*rawSend)
	s.salen = putSockaddr(&s.sa, dst, &s.zone)
	s.b, s.errno = b, 0
	err := r.rc.Control(s.fn)
	errno := s.errno
	s.b = nil
	r.sends.Put(s)
	switch {
	case err != nil && r.closing.Load(): // poll's "use of closed file"
		return fmt.Errorf("%w: %w", ErrClosed, err)
	case err != nil:
		return err
	case errno != 0:
		return fmt.Errorf("sendto: %w", errno)
	}
	return nil
}

// rawReader is the batch reader of a rawSocket: recvmmsg on the blocking
// socket, in the reader's own thread.
type rawReader struct {
	*mmsgReader
	sock  *rawSocket
	call  func(uintptr)
	yield time.Time // when read last went through the scheduler
}

func newRawReader(r *rawSocket, n, slot int) *rawReader {
	rr := &rawReader{mmsgReader: newMmsgReader(r.rc, n, slot), sock: r}
	rr.call = rr.recvBlocking
	return rr
}

var errRawClosed = fmt.Errorf("udp socket: %w", net.ErrClosed)

// read blocks in recvmmsg until a datagram comes, the socket closes, or
// SO_RCVTIMEO passes (then it looks at closing and waits again).
// MSG_WAITFORONE returns what is queued once one datagram is in, rather
// than waiting for a full batch.
func (r *rawReader) read() (int, error) {
	for i := range r.n {
		r.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
	}
	// A goroutine that never parks looks to the runtime's monitor
	// (sysmon) like one running without a break: after 10 ms it takes the
	// goroutine's P away at its next system call and, having found work,
	// polls again every 20 µs, waking threads to spin. A pass through the
	// scheduler every yieldEvery shows it that the loop does yield.
	if now := time.Now(); now.Sub(r.yield) > yieldEvery {
		r.yield = now
		runtime.Gosched()
	}
	for {
		if r.sock.closing.Load() {
			return 0, errRawClosed
		}
		r.n, r.err = 0, nil
		if err := r.rc.Control(r.call); err != nil {
			return 0, errors.Join(errRawClosed, err)
		}
		if r.err != nil || r.n > 0 {
			return r.n, r.err
		}
	}
}

// recvBlocking is one blocking recvmmsg; n stays 0 on a timeout, an
// interruption or the zero-datagram return that follows shutdown.
func (r *rawReader) recvBlocking(fd uintptr) {
	n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, fd,
		uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(len(r.hdrs)), unix.MSG_WAITFORONE, 0, 0)
	switch errno {
	case 0:
		r.n = int(n)
	case unix.EAGAIN, unix.EINTR:
	default:
		if r.sock.closing.Load() {
			return
		}
		r.err = fmt.Errorf("recvmmsg: %w", errno)
	}
}
