// Package fleet is the whole small fleet that `sipfleet up` runs in one
// process: an LB in front of two registrars and two proxies on one
// embedded SQLite database, the seed's topology shrunk onto one host.
//
// The fleet is made of configs, not of special code: Plan writes one
// config file per member (lb.yaml, registrar-1.yaml, ...) and the
// dispatcher.list the LB reads, exactly as an operator would for a real
// fleet, and loads each through config.Parse, so the members get the same
// defaults and checks as any file. node.NewFleet then builds them all as
// one node: every member on sockets of its own, one management listener
// (whose /readyz answers once all of them serve) and one metrics registry
// whose series carry a member label. The files land in the data
// directory, where a user can read what runs, and run the same members as
// separate processes with `sipfleet lb --config DIR/lb.yaml` and so on.
//
// The layout is fixed, so that it can be written down: the LB takes the
// public address on UDP and TCP; its private socket, the proxies and the
// registrars take ports 10, 11-12 and 21-22 above it on loopback (5070,
// 5071-5072 and 5081-5082 for the default 5060), where only the LB
// reaches them.
package fleet
