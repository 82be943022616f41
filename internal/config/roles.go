package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// The role sections below hold only the settings their roles are known to
// need; each role's issue adds the rest, and the loader needs no change for
// that.

// LB configures the edge load balancer.
type LB struct {
	// DispatcherList is a file in Kamailio's dispatcher.list format
	// ("setid uri flags priority attrs"); DispatcherDB a database whose
	// `dispatcher` table (Kamailio's, version 4) holds the same rows. One
	// of the two is required; reloads re-read it.
	DispatcherList string `yaml:"dispatcher_list"`
	DispatcherDB   DSN    `yaml:"dispatcher_db"`
	// ProxySet and RegistrarSet are the dispatcher set ids that initial
	// requests and REGISTERs from the public side go to.
	ProxySet     int `yaml:"proxy_set" default:"1" validate:"min=0"`
	RegistrarSet int `yaml:"registrar_set" default:"2" validate:"min=0"`
	// Algorithm picks a destination within a set (see the dispatcher
	// documentation), by name or by Kamailio's number.
	Algorithm string `yaml:"algorithm" default:"hash-callid" validate:"oneof=hash-callid hash-from-uri hash-to-uri hash-ruri hash-ruri-user round-robin random priority weight least-load relative-weight 0 1 2 3 4 6 8 9 10 11"`
	// Secret signs the LB's Via branches so that responses the LB did not
	// cause are dropped. Every LB of a pair must share it; at least 16
	// characters. Unset, each start picks a random one, which is fine for a
	// single LB.
	Secret string `yaml:"secret"`
	// PathReceived says when REGISTER gets ;received= in its Path:
	// "nat" (when a NAT test fires), "always", or "never".
	PathReceived string `yaml:"path_received" default:"nat" validate:"oneof=nat always never"`
	// NATTests are Kamailio nat_uac_test flags: 1 private Contact, 2 Via
	// host is not the source, 4 private Via, 16 Via port is not the
	// source port, 32 private source.
	NATTests int `yaml:"nat_tests" default:"51" validate:"min=0,max=63"`
	// FailoverCodes are the final responses after which the next
	// destination is tried (a timeout always is).
	FailoverCodes []int `yaml:"failover_codes"`
	// Peers are the only non-backend hosts that public-side requests may
	// be routed to (addresses "ip:port").
	Peers []HostPort `yaml:"peers"`
	// PrivateNetworks (CIDRs) are treated as the private side besides the
	// dispatcher's destinations: requests may be routed there from the
	// public side, and dialogs through a backend survive its removal from
	// the list. Typically the backends' LAN.
	PrivateNetworks []string `yaml:"private_networks"`
	// MaxFailover bounds how many destinations one request tries.
	MaxFailover int   `yaml:"max_failover" default:"3" validate:"min=1,max=16"`
	Probe       Probe `yaml:"probe"`
	Pike        Pike  `yaml:"pike"`
	// Scanners are User-Agent substrings whose requests are dropped
	// without a reply. Unset: a built-in list (friendly-scanner, sipcli,
	// VaxSIPUserAgent, ...).
	Scanners []string `yaml:"scanners"`
}

// validate requires exactly one source of destinations.
func (l *LB) validate() []problem {
	switch {
	case l.DispatcherList == "" && l.DispatcherDB == "":
		return []problem{{key: "dispatcher_list", msg: "missing: give dispatcher_list or dispatcher_db"}}
	case l.DispatcherList != "" && l.DispatcherDB != "":
		return []problem{{key: "dispatcher_db", msg: "give dispatcher_list or dispatcher_db, not both"}}
	}
	return nil
}

// Probe is the dispatcher's OPTIONS health check.
type Probe struct {
	// Mode is "inactive" (probe only destinations marked down) or "all".
	Mode             string        `yaml:"mode" default:"all" validate:"oneof=all inactive off"`
	Interval         time.Duration `yaml:"interval" default:"10s" validate:"min=100ms,max=1h"`
	Timeout          time.Duration `yaml:"timeout" default:"2s" validate:"min=10ms,max=1m"`
	FailureThreshold int           `yaml:"failure_threshold" default:"3" validate:"min=1,max=100"`
	SuccessThreshold int           `yaml:"success_threshold" default:"2" validate:"min=1,max=100"`
}

// Pike limits requests per source IP on the public side.
type Pike struct {
	// Window is the sampling interval, Threshold the requests one source
	// may send in it; a source over it is ignored for Ban. Threshold 0
	// turns the limit off.
	Window    time.Duration `yaml:"window" default:"2s" validate:"min=100ms,max=1m"`
	Threshold int           `yaml:"threshold" default:"200" validate:"min=0"`
	Ban       time.Duration `yaml:"ban" default:"60s" validate:"min=1s,max=24h"`
}

// Registrar configures a registrar node of the federation.
type Registrar struct {
	DB DSN `yaml:"db" validate:"required"`
	// Domain is the SIP domain the registrar answers for (and the digest
	// realm); Domains adds more.
	Domain  string   `yaml:"domain" default:"localhost"`
	Domains []string `yaml:"domains"`
	// UseDomain stores the AoR's domain in the location table, as
	// Kamailio's use_domain=1; set it false to share a table with a
	// Kamailio running use_domain=0 (single-domain setups).
	UseDomain bool `yaml:"use_domain" default:"true"`
	// ServerID tells this node's rows apart in the shared table; give each
	// node its own.
	ServerID int `yaml:"server_id" default:"1" validate:"min=0"`
	// Expiry bounds (RFC 3261 §10.3): used when the REGISTER names none,
	// the shortest accepted (423 below it), the longest granted.
	DefaultExpires time.Duration `yaml:"default_expires" default:"3600s" validate:"min=1s"`
	MinExpires     time.Duration `yaml:"min_expires" default:"60s" validate:"min=0s"`
	MaxExpires     time.Duration `yaml:"max_expires" default:"86400s" validate:"min=1s"`
	// MaxContacts per AoR, 0 for no limit; at the limit the oldest binding
	// is replaced, or with max_contacts_reject the REGISTER gets 503.
	MaxContacts       int  `yaml:"max_contacts" default:"0" validate:"min=0"`
	MaxContactsReject bool `yaml:"max_contacts_reject"`
	// Path handling (RFC 3327), as Kamailio's registrar: use_path,
	// path_mode 0 (store, never echo), 1 (echo if supported), 2 (require),
	// path_use_received. The defaults are the seed's.
	UsePath         bool `yaml:"use_path" default:"true"`
	PathMode        int  `yaml:"path_mode" default:"0" validate:"min=0,max=2"`
	PathUseReceived bool `yaml:"path_use_received" default:"true"`
	// Auth turns digest authentication on (against the subscriber table).
	Auth bool `yaml:"auth" default:"true"`
	// AuthAlgorithms are offered in this order (RFC 7616 §3.7). MD5 comes
	// first by default because many UAs (SIPp 3.6 among them) stop at the
	// first challenge they do not understand; SHA-256 needs the plain
	// password column.
	AuthAlgorithms []string `yaml:"auth_algorithms"`
	// Secret signs the digest nonces; every registrar and proxy of a fleet
	// must share it, so a nonce from one node is accepted by the next. At
	// least 16 characters; unset, each start picks a random one (fine for
	// a single node).
	Secret string `yaml:"secret"`
	// Workers bounds the batches of REGISTERs in the database at once;
	// Batch the REGISTERs read and written together. A batch takes what
	// is waiting, so under light load it is one REGISTER.
	Workers int `yaml:"workers" default:"4" validate:"min=1,max=1024"`
	Batch   int `yaml:"batch" default:"32" validate:"min=1,max=256"`
	// QueryTimeout bounds one REGISTER's database work.
	QueryTimeout time.Duration `yaml:"query_timeout" default:"3s" validate:"min=10ms,max=1m"`
}

// Proxy configures a proxy node of the federation.
type Proxy struct {
	DB DSN `yaml:"db" validate:"required"`
	// Domain and Domains are the SIP domains whose users the proxy routes
	// by the location table (and the digest realm); as the registrar's.
	Domain    string   `yaml:"domain" default:"localhost"`
	Domains   []string `yaml:"domains"`
	UseDomain bool     `yaml:"use_domain" default:"true"`
	// Auth challenges requests from local users (407) against the
	// subscriber table; Secret and AuthAlgorithms as the registrar's, and
	// the same on every node. Secret also keys the token in the proxy's
	// Record-Route that in-dialog requests must bring back; unset, it is
	// random, and a restart ends the dialogs in progress through the node.
	Auth           bool     `yaml:"auth" default:"true"`
	AuthAlgorithms []string `yaml:"auth_algorithms"`
	Secret         string   `yaml:"secret"`
	// Edges are the LBs' private addresses ("ip", "ip:port" or a CIDR):
	// a request from one of them was relayed from the public side, and
	// its origin is the Via below the LB's. The first one that has a port
	// is also where requests for foreign domains leave through.
	Edges []string `yaml:"edges"`
	// Trusted are peers and gateways ("ip" or CIDR) whose requests are
	// not challenged.
	Trusted []string `yaml:"trusted"`
	// TimerC bounds an INVITE branch after its first provisional (RFC
	// 3261 §16.6 step 11): at expiry the branch is cancelled.
	TimerC time.Duration `yaml:"timer_c" default:"180s" validate:"min=1s,max=1h"`
	// Workers bounds the requests in the database at once; QueryTimeout
	// bounds one lookup.
	Workers      int           `yaml:"workers" default:"64" validate:"min=1,max=4096"`
	QueryTimeout time.Duration `yaml:"query_timeout" default:"3s" validate:"min=10ms,max=1m"`
	PSTN         PSTN          `yaml:"pstn"`
	DNS          DNS           `yaml:"dns"`
}

// validate checks the address lists.
func (p *Proxy) validate() []problem {
	var ps []problem
	for i, e := range p.Edges {
		if _, err := ParsePrefixOrAddr(e); err != nil {
			ps = append(ps, problem{key: fmt.Sprintf("edges[%d]", i), msg: err.Error()})
		}
	}
	for i, e := range p.Trusted {
		if _, err := ParsePrefixOrAddr(e); err != nil {
			ps = append(ps, problem{key: fmt.Sprintf("trusted[%d]", i), msg: err.Error()})
		}
	}
	return ps
}

// PSTN is how a proxy reaches telephone numbers: through gateways found
// by DNS (RFC 3263) under Domain, or from a static list.
type PSTN struct {
	// Pattern says which Request-URI users are telephone numbers (a Go
	// regular expression, matched after the visual separators - . ( )
	// are removed).
	Pattern string `yaml:"pattern" default:"^\\+?[0-9]{7,15}$"`
	// E.164 normalisation: a number starting with InternationalPrefix
	// becomes +rest, with NationalPrefix +CountryCode rest; other numbers
	// are kept. Plus: false drops the "+" in what is sent.
	CountryCode         string `yaml:"country_code"`
	NationalPrefix      string `yaml:"national_prefix" default:"0"`
	InternationalPrefix string `yaml:"international_prefix" default:"00"`
	Plus                bool   `yaml:"plus" default:"true"`
	// Domain is the gateways' domain, resolved by NAPTR, SRV and A/AAAA;
	// Gateways a static list of SIP URIs tried in order. One of the two
	// turns PSTN routing on.
	Domain   string   `yaml:"domain"`
	Gateways []string `yaml:"gateways"`
	// FailoverCodes are the answers after which the next gateway is
	// tried (a timeout always is); Avoid is how long a gateway that failed
	// is skipped.
	FailoverCodes []int         `yaml:"failover_codes"`
	Avoid         time.Duration `yaml:"avoid" default:"30s" validate:"min=0s,max=24h"`
}

// validate checks the pattern, and that Domain and Gateways are not both
// given.
func (p *PSTN) validate() []problem {
	var ps []problem
	if _, err := regexp.Compile(p.Pattern); err != nil {
		ps = append(ps, problem{key: "pattern", msg: "not a regular expression: " + err.Error()})
	}
	if p.Domain != "" && len(p.Gateways) > 0 {
		ps = append(ps, problem{key: "gateways", msg: "give domain or gateways, not both"})
	}
	for i, c := range p.FailoverCodes {
		if c < 300 || c > 699 {
			ps = append(ps, problem{key: fmt.Sprintf("failover_codes[%d]", i), msg: "must be a final status code, 300 to 699"})
		}
	}
	return ps
}

// DNS is the resolver a proxy uses for gateways and foreign domains.
type DNS struct {
	// Nameservers ("ip:port"); empty means those of /etc/resolv.conf.
	Nameservers []HostPort    `yaml:"nameservers"`
	Timeout     time.Duration `yaml:"timeout" default:"2s" validate:"min=10ms,max=1m"`
}

// ParsePrefixOrAddr reads "ip", "ip:port" or a CIDR as a prefix (a single
// address for the first two).
func ParsePrefixOrAddr(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("%q is not an address or CIDR", s)
		}
		return p.Masked(), nil
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return netip.PrefixFrom(ap.Addr(), ap.Addr().BitLen()), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// NATPing configures the NAT keepalive sender.
type NATPing struct {
	DB DSN `yaml:"db" validate:"required"`
	// Interval is how often each binding is pinged; sends are spread
	// across it. Keep it below the shortest UDP timeout of the NATs the
	// phones sit behind (often 30 s).
	Interval time.Duration `yaml:"interval" default:"20s" validate:"min=1s,max=10m"`
	// Source is the LB's public (VIP) address and port, IPv4 or IPv6,
	// used as the keepalives' spoofed source so the NAT sees traffic from
	// where the UA registered. Source6 is the LB's IPv6 one when Source
	// is IPv4 and the LB serves both; bindings of a family with no source
	// are not pinged.
	Source  HostPort `yaml:"source" validate:"required"`
	Source6 HostPort `yaml:"source6"`
	// Payload is "crlf" (the 4 bytes CRLFCRLF) or "options" (a SIP
	// OPTIONS to the contact, whose answers the LB counts and drops).
	Payload string `yaml:"payload" default:"crlf" validate:"oneof=crlf options"`
	// Partitions, or Shard of Shards, is this pinger's share of the
	// bindings: the listed values of the location table's partition
	// column (0 to 63, a hash of the ruid), or those whose partition
	// modulo Shards is Shard. Unset, all of them. Give each of N pingers
	// its own shard of N (N dividing 64 splits evenly): no binding is then
	// pinged twice and none is missed.
	Partitions []int `yaml:"partitions"`
	Shard      int   `yaml:"shard" default:"0" validate:"min=0,max=63"`
	Shards     int   `yaml:"shards" default:"0" validate:"min=0,max=64"`
	// Batch is how many bindings one database read returns; pages follow
	// the id, so none rescans the rows before it.
	Batch int `yaml:"batch" default:"1000" validate:"min=1,max=100000"`
	// QueryTimeout bounds one database read.
	QueryTimeout time.Duration `yaml:"query_timeout" default:"5s" validate:"min=10ms,max=1m"`
}

// natpingPartitions is the number of partitions the registrars spread
// bindings over (store.DefaultPartitions; config imports nothing of ours).
const natpingPartitions = 64

// validate checks what the raw socket needs of the sources (IP literals
// with a port: they are written into the packets' headers) and that the
// share of the table is one way of giving it.
func (n *NATPing) validate() []problem {
	var ps []problem
	add := func(key, msg string) { ps = append(ps, problem{key: key, msg: msg}) }
	src, err := netip.ParseAddr(n.Source.Host)
	switch {
	case err != nil || src.Zone() != "":
		add("source", "must be an IP address (the LB's public one), not a name")
	case src.IsUnspecified() || n.Source.Port == 0:
		add("source", "must name the LB's public address and port")
	}
	if !n.Source6.IsZero() {
		s6, err := netip.ParseAddr(n.Source6.Host)
		switch {
		case err != nil || !s6.Is6() || s6.Is4In6() || s6.Zone() != "" || s6.IsUnspecified() || n.Source6.Port == 0:
			add("source6", "must be the LB's public IPv6 address and a port")
		case src.IsValid() && !src.Is4():
			add("source6", "only with an IPv4 source (source is already IPv6)")
		}
	}
	switch {
	case len(n.Partitions) > 0 && n.Shards > 0:
		add("shards", "give partitions or shards, not both")
	case n.Shards == 0 && n.Shard != 0:
		add("shard", "needs shards")
	case n.Shards > 0 && n.Shard >= n.Shards:
		add("shard", fmt.Sprintf("must be below shards (%d)", n.Shards))
	}
	seen := map[int]bool{}
	for i, p := range n.Partitions {
		if p < 0 || p >= natpingPartitions || seen[p] {
			add(fmt.Sprintf("partitions[%d]", i), fmt.Sprintf("must be a partition from 0 to %d, listed once", natpingPartitions-1))
		}
		seen[p] = true
	}
	return ps
}
