// Package mgmt is the management HTTP listener every sipfleet node runs
// (config admin.listen): Prometheus metrics at /metrics, liveness at
// /healthz, readiness at /readyz (what keepalived's health check and
// `sipfleet up` wait for), the node's identity at /v1/status, and the JSON
// routes roles mount under /v1/ for `sipfleet ctl` — the dispatcher's list,
// state and reload, the registrar's contacts.
//
// Nothing here is global: each node builds its own Server with its own
// logger and prometheus.Registry, so the all-in-one `up` mode can run
// several nodes in one process, and tests run in parallel.
//
// The stats structs of the lower layers (transport.Stats, transaction.Stats,
// pike.Stats) are plain snapshots; RegisterTransport and friends export
// them through a collector that takes one snapshot per scrape, so the
// packets' fast paths keep their own atomics and know nothing of
// Prometheus. RegisterSnapshot does the same for any other snapshot struct,
// and checks metric names against the project's rule:
// sipfleet_<subsystem>_<what>_<unit>, counters ending in _total, and no
// label that could carry a user, a Call-ID or an address.
package mgmt
