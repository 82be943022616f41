//go:build linux

package transport

import (
	"fmt"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsgReader reads with recvmmsg(2) into fixed slots of one slab. The
// socket stays non-blocking: when it is empty the callback says so and
// RawConn.Read parks the goroutine in the netpoller, as ReadFrom does.
type mmsgReader struct {
	rc    syscall.RawConn
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // room for either family
	slab  []byte
	slot  int
	zone  zoneCache

	n    int                // datagrams the last call read
	err  error              // its error, other than EAGAIN and EINTR
	recv func(uintptr) bool // r.recvmmsg, bound once so a read allocates nothing
}

func newBatchReader(s *Socket, n, slot int) (batchReader, error) {
	if s.raw != nil {
		return newRawReader(s.raw, n, slot), nil
	}
	rc, err := s.pc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("batch reader: %w", err)
	}
	return newMmsgReader(rc, n, slot), nil
}

func newMmsgReader(rc syscall.RawConn, n, slot int) *mmsgReader {
	r := &mmsgReader{rc: rc, slot: slot, slab: make([]byte, n*slot),
		hdrs: make([]unix.Mmsghdr, n), iovs: make([]unix.Iovec, n), names: make([]unix.RawSockaddrInet6, n)}
	for i := range r.hdrs {
		r.iovs[i].Base = &r.slab[i*slot]
		r.iovs[i].SetLen(slot)
		h := &r.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Namelen = unix.SizeofSockaddrInet6
		h.Iov = &r.iovs[i]
		h.SetIovlen(1)
	}
	r.recv = r.recvmmsg
	return r
}

func (r *mmsgReader) read() (int, error) {
	for i := range r.n { // the kernel wrote the name lengths of these
		r.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
	}
	r.n, r.err = 0, nil
	if err := r.rc.Read(r.recv); err != nil {
		return 0, err
	}
	return r.n, r.err
}

// recvmmsg is the RawConn.Read callback: false means "would block, wait".
func (r *mmsgReader) recvmmsg(fd uintptr) bool {
	for {
		n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, fd,
			uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(len(r.hdrs)), 0, 0, 0)
		switch errno {
		case 0:
			r.n = int(n)
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		default:
			r.err = fmt.Errorf("recvmmsg: %w", errno)
			return true
		}
	}
}

// datagram returns datagram i of the last read. A datagram longer than a
// slot comes back truncated to the slot, which is one byte over
// MaxDatagram, so the caller drops it as oversized.
func (r *mmsgReader) datagram(i int) ([]byte, netip.AddrPort) {
	start := i * r.slot
	return r.slab[start : start+int(r.hdrs[i].Len)], addrPortOf(&r.names[i], &r.zone)
}

// mmsgWriter sends with sendmmsg(2). Like the reader it waits in the
// netpoller when the socket buffer is full.
type mmsgWriter struct {
	rc    syscall.RawConn
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6
	zone  zoneCache

	from, to int                // the datagrams the next call offers
	sent     int                // how many the last call sent
	errno    unix.Errno         // why the last call sent none
	calls    int                // system calls that returned
	send     func(uintptr) bool // w.sendmmsg, bound once
}

func newBatchWriter(s *Socket, n int) (batchWriter, error) {
	rc, err := s.syscallConn()
	if err != nil {
		return nil, fmt.Errorf("batch writer: %w", err)
	}
	w := &mmsgWriter{rc: rc, hdrs: make([]unix.Mmsghdr, n), iovs: make([]unix.Iovec, n),
		names: make([]unix.RawSockaddrInet6, n)}
	for i := range w.hdrs {
		h := &w.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&w.names[i]))
		h.Iov = &w.iovs[i]
		h.SetIovlen(1)
	}
	w.send = w.sendmmsg
	return w, nil
}

// write sends every datagram, in order. sendmmsg stops at the first that
// fails and reports only how many went before it; that one is counted as
// an error and skipped, and the rest are offered again.
func (w *mmsgWriter) write(dsts []netip.AddrPort, bufs [][]byte, c *counters) {
	for i, dst := range dsts {
		w.hdrs[i].Hdr.Namelen = putSockaddr(&w.names[i], dst, &w.zone)
		w.iovs[i].Base = unsafe.SliceData(bufs[i])
		w.iovs[i].SetLen(len(bufs[i]))
	}
	w.calls = 0
	for w.from, w.to = 0, len(dsts); w.from < w.to; {
		if err := w.rc.Write(w.send); err != nil { // closed: none of the rest can go
			c.add(cSendErrors, w.to-w.from)
			break
		}
		if w.sent == 0 {
			c.inc(cSendErrors)
			w.from++
			continue
		}
		for _, b := range bufs[w.from : w.from+w.sent] {
			c.add(cBytesOut, len(b))
		}
		c.add(cPacketsOut, w.sent)
		w.from += w.sent
	}
	c.add(cUDPWrites, w.calls)
	clear(w.iovs[:len(dsts)]) // hold no reference to the queue's buffers
}

// sendmmsg is the RawConn.Write callback: false means "would block, wait".
func (w *mmsgWriter) sendmmsg(fd uintptr) bool {
	for {
		n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, fd,
			uintptr(unsafe.Pointer(&w.hdrs[w.from])), uintptr(w.to-w.from), 0, 0, 0)
		switch errno {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		w.calls++
		w.sent, w.errno = int(n), errno
		if errno != 0 {
			w.sent = 0
		}
		return true
	}
}
