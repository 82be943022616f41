package fleet

import (
	"errors"
	"net"
	"net/netip"
)

// GuessAdvertise picks the address phones on the LAN reach a fleet
// listening on every interface at: the first global unicast address of an
// interface that is up, of the listen address's family. An explicit
// --advertise beats the guess, which cannot know about NAT in front of
// the host.
func GuessAdvertise(listen netip.AddrPort) (netip.AddrPort, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return netip.AddrPort{}, err
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			p, err := netip.ParsePrefix(a.String())
			if err != nil {
				continue
			}
			ip := p.Addr()
			if ip.IsGlobalUnicast() && ip.Is4() == listen.Addr().Unmap().Is4() {
				return netip.AddrPortFrom(ip, listen.Port()), nil
			}
		}
	}
	return netip.AddrPort{}, errors.New("no network interface has an address phones could reach; give one")
}
