package config

import "time"

// The role sections below hold only the settings their roles are known to
// need; each role's issue adds the rest, and the loader needs no change for
// that.

// LB configures the edge load balancer.
type LB struct {
	// DispatcherList is a file in Kamailio's dispatcher.list format
	// ("setid uri flags priority attrs").
	DispatcherList string `yaml:"dispatcher_list" validate:"required"`
}

// Registrar configures a registrar node of the federation.
type Registrar struct {
	DB DSN `yaml:"db" validate:"required"`
	// Domain is the SIP domain the registrar answers for.
	Domain string `yaml:"domain" default:"localhost"`
}

// Proxy configures a proxy node of the federation.
type Proxy struct {
	DB     DSN    `yaml:"db" validate:"required"`
	Domain string `yaml:"domain" default:"localhost"`
}

// NATPing configures the NAT keepalive sender.
type NATPing struct {
	DB DSN `yaml:"db" validate:"required"`
	// Interval is how often each binding is pinged; sends are spread
	// across it.
	Interval time.Duration `yaml:"interval" default:"20s" validate:"min=1s,max=10m"`
	// Source is the LB's public (VIP) address, used as the keepalives'
	// spoofed source so the NAT sees traffic from where the UA registered.
	Source HostPort `yaml:"source" validate:"required"`
}
