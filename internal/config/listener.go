package config

// Listener is one SIP socket (or, for UDP, a group of SO_REUSEPORT sockets
// on the same address).
type Listener struct {
	// Name is how other sections refer to the listener.
	Name  string `yaml:"name" validate:"required"`
	Side  Side   `yaml:"side" validate:"required,oneof=public private"`
	Proto Proto  `yaml:"proto" default:"udp" validate:"oneof=udp tcp tls"`
	// Listen is the local address to bind; port 0 lets the kernel choose.
	Listen HostPort `yaml:"listen" validate:"required"`
	// Advertise is the address that goes into Via, Record-Route and Path:
	// the VIP when the LB runs active/passive. Unset, it is Listen.
	Advertise HostPort `yaml:"advertise"`
	// Sockets is how many UDP sockets share the address, one reader each,
	// so that receiving scales across cores.
	Sockets int `yaml:"sockets" default:"1" validate:"min=1,max=256"`
	// ReadBuffer is the kernel receive buffer of each UDP socket (SO_RCVBUF,
	// capped by net.core.rmem_max), so bursts queue rather than drop, as
	// Kamailio's maxbuffer. 0 keeps the system default. Stream listeners
	// ignore it: TCP has flow control.
	ReadBuffer int    `yaml:"read_buffer" default:"4194304" validate:"min=0,max=268435456"`
	TLSCert    string `yaml:"tls_cert"`
	TLSKey     string `yaml:"tls_key"`
}

// AdvertiseAddr is the address peers are told to reach the listener at.
func (l *Listener) AdvertiseAddr() HostPort {
	if l.Advertise.IsZero() {
		return l.Listen
	}
	return l.Advertise
}

func (l *Listener) validate() []problem {
	var ps []problem
	add := func(key, msg string) { ps = append(ps, problem{key: key, msg: msg}) }
	if l.Proto == TLS {
		if l.TLSCert == "" {
			add("tls_cert", "required when proto is tls")
		}
		if l.TLSKey == "" {
			add("tls_key", "required when proto is tls")
		}
	} else {
		if l.TLSCert != "" {
			add("tls_cert", "only a tls listener has a certificate")
		}
		if l.TLSKey != "" {
			add("tls_key", "only a tls listener has a key")
		}
	}
	if l.Sockets > 1 && l.Proto != UDP {
		add("sockets", "only a udp listener can have several sockets")
	}
	switch {
	case !l.Advertise.IsZero() && (l.Advertise.IsWildcard() || l.Advertise.Port == 0):
		add("advertise", "must name a reachable host and a port")
	case l.Advertise.IsZero() && l.Listen.IsWildcard():
		// Via and Record-Route must carry an address peers can send to.
		add("advertise", "required when listen is a wildcard address")
	}
	return ps
}
