package config

import (
	"fmt"
	"time"
)

// Config is one sipfleet config file. The sections every node has are
// values; a role section is a pointer, nil when the file does not run that
// role.
//
// Field tags drive the loader: `yaml` names the key, `default` is the value
// when the key is absent (in the YAML form), and `validate` holds
// comma-separated rules: required, min=N, max=N, oneof=a b c.
type Config struct {
	Log       Log       `yaml:"log"`
	Admin     Admin     `yaml:"admin"`
	SIP       SIP       `yaml:"sip"`
	Listeners Listeners `yaml:"listeners"`

	LB        *LB        `yaml:"lb"`
	Registrar *Registrar `yaml:"registrar"`
	Proxy     *Proxy     `yaml:"proxy"`
	NATPing   *NATPing   `yaml:"natping"`
}

// Log says how a node logs.
type Log struct {
	Level  string `yaml:"level" default:"info" validate:"oneof=debug info warn error"`
	Format string `yaml:"format" default:"text" validate:"oneof=text json"`
}

// Admin is the management HTTP API: health, metrics, control.
type Admin struct {
	Listen HostPort `yaml:"listen" default:"127.0.0.1:9060"`
}

// SIP holds protocol settings shared by every role.
type SIP struct {
	// T1, T2 and T4 are the timers of RFC 3261 §17.1.1.1 and table 4: the
	// RTT estimate, the cap on non-INVITE retransmit intervals, and how long
	// the network may hold a message.
	T1 time.Duration `yaml:"t1" default:"500ms" validate:"min=1ms,max=1m"`
	T2 time.Duration `yaml:"t2" default:"4s" validate:"min=1ms,max=5m"`
	T4 time.Duration `yaml:"t4" default:"5s" validate:"min=1ms,max=5m"`
	// MaxMessageBytes bounds a message on any transport; Kamailio's default
	// buffer is the same 64 KiB, the largest UDP datagram.
	MaxMessageBytes int `yaml:"max_message_bytes" default:"65535" validate:"min=1024,max=1048576"`
}

// validate checks what no single field can: RFC 3261 §17.1.2.2 lets the
// retransmit interval grow from T1 up to T2, so T2 below T1 is meaningless.
func (s *SIP) validate() []problem {
	if s.T2 < s.T1 {
		return []problem{{key: "t2", msg: fmt.Sprintf("must not be less than t1 (%v)", s.T1)}}
	}
	return nil
}

// Listeners are a node's SIP sockets.
type Listeners []Listener

// validate checks that names, which other sections refer to, are unique.
func (ls Listeners) validate() []problem {
	var ps []problem
	first := map[string]int{}
	for i, l := range ls {
		if j, dup := first[l.Name]; dup {
			ps = append(ps, problem{
				key: fmt.Sprintf("[%d].name", i),
				msg: fmt.Sprintf("duplicate listener name %q (also listeners[%d])", l.Name, j),
			})
			continue
		}
		first[l.Name] = i
	}
	return ps
}
