package config

import (
	"fmt"
	"slices"
	"strings"
)

// The roles of a config, in the order a node builds them. Only the first
// three speak SIP through listeners: natping sends from a raw socket.
const (
	RoleLB        = "lb"
	RoleRegistrar = "registrar"
	RoleProxy     = "proxy"
	RoleNATPing   = "natping"
)

// AllRoles are the roles a config can run, in the order a node builds
// them.
func AllRoles() []string { return []string{RoleLB, RoleRegistrar, RoleProxy, RoleNATPing} }

// ListenerRoles are the roles a listener can belong to.
func ListenerRoles() []string { return []string{RoleLB, RoleRegistrar, RoleProxy} }

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
	// Role names the role of the file that uses this socket: lb,
	// registrar or proxy. Unset, the listener serves every role, which is
	// what a file running one role wants; a file running several must say
	// whose each socket is, since each role binds sockets of its own.
	// omitempty keeps the key out of printed configs that do not set it.
	Role string `yaml:"role,omitempty" validate:"oneof=lb registrar proxy"`
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

// Serves reports whether the listener belongs to role: any role that
// has listeners when Role is unset. natping has none.
func (l *Listener) Serves(role string) bool {
	if l.Role == "" {
		return slices.Contains(ListenerRoles(), role)
	}
	return l.Role == role
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

// Roles lists the roles the file runs (has a section for), in the order
// of AllRoles.
func (c *Config) Roles() []string {
	present := []bool{c.LB != nil, c.Registrar != nil, c.Proxy != nil, c.NATPing != nil}
	var names []string
	for i, r := range AllRoles() {
		if present[i] {
			names = append(names, r)
		}
	}
	return names
}

// validate checks what ties the listeners to the roles: every SIP role of
// the file has a socket, and in a file running several of them each
// listener names its role (each role binds its own sockets, and two UDP
// binds of one address would split its packets between them) and that
// role is in the file.
func (c *Config) validate() []problem {
	var ps []problem
	var running []string
	for _, r := range c.Roles() {
		if r != RoleNATPing {
			running = append(running, r)
		}
	}
	for i, l := range c.Listeners {
		key := fmt.Sprintf("listeners[%d].role", i)
		switch {
		case l.Role == "" && len(running) > 1:
			ps = append(ps, problem{key: key, msg: fmt.Sprintf("missing: the file runs %s; say which one binds this socket", joinAnd(running))})
		case l.Role != "" && !slices.Contains(running, l.Role):
			ps = append(ps, problem{key: key, msg: fmt.Sprintf("the file has no %s section", l.Role)})
		}
	}
	for _, r := range running {
		if !slices.ContainsFunc(c.Listeners, func(l Listener) bool { return l.Serves(r) }) {
			ps = append(ps, problem{key: r, msg: noListener(r, len(c.Listeners))})
		}
	}
	return ps
}

func noListener(role string, listeners int) string {
	if listeners == 0 {
		return "no listener: add one under listeners"
	}
	return fmt.Sprintf("no listener serves this role: add one with role: %s", role)
}

// joinAnd writes "a", "a and b", "a, b and c".
func joinAnd(ss []string) string {
	if len(ss) < 2 {
		return strings.Join(ss, "")
	}
	return strings.Join(ss[:len(ss)-1], ", ") + " and " + ss[len(ss)-1]
}
