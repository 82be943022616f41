//go:build linux

package transport

import (
	"net"
	"net/netip"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// addrPortOf reads the source address the kernel wrote into sa.
func addrPortOf(sa *unix.RawSockaddrInet6, z *zoneCache) netip.AddrPort {
	port := fromNetOrder(sa.Port) // same offset in both families
	if sa.Family == unix.AF_INET {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port)
	}
	ip := netip.AddrFrom16(sa.Addr)
	if sa.Scope_id != 0 {
		ip = ip.WithZone(z.name(sa.Scope_id))
	}
	return netip.AddrPortFrom(ip, port)
}

// putSockaddr writes dst as a sockaddr and returns its length.
func putSockaddr(sa *unix.RawSockaddrInet6, dst netip.AddrPort, z *zoneCache) uint32 {
	port := toNetOrder(dst.Port())
	if dst.Addr().Is4() {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Port: port, Addr: dst.Addr().As4()}
		return unix.SizeofSockaddrInet4
	}
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Port: port, Addr: dst.Addr().As16(),
		Scope_id: z.index(dst.Addr().Zone())}
	return unix.SizeofSockaddrInet6
}

// zoneCache remembers the last IPv6 zone translated, so that traffic with
// a link-local peer costs one interface lookup, not one per datagram. Zones
// are interface names, as the net package reports them.
type zoneCache struct {
	idx  uint32
	zone string
}

func (z *zoneCache) name(idx uint32) string {
	if idx != z.idx || z.zone == "" {
		z.idx, z.zone = idx, strconv.FormatUint(uint64(idx), 10)
		if ifi, err := net.InterfaceByIndex(int(idx)); err == nil {
			z.zone = ifi.Name
		}
	}
	return z.zone
}

func (z *zoneCache) index(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if zone != z.zone {
		z.idx, z.zone = 0, zone
		if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
			z.idx = uint32(n)
		} else if ifi, err := net.InterfaceByName(zone); err == nil {
			z.idx = uint32(ifi.Index)
		}
	}
	return z.idx
}

// A sockaddr holds its port in network byte order (big-endian) whatever
// the host's order is.

func fromNetOrder(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}

func toNetOrder(p uint16) (n uint16) {
	b := (*[2]byte)(unsafe.Pointer(&n))
	b[0], b[1] = byte(p>>8), byte(p)
	return n
}
