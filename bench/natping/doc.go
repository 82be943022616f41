// Package natpingbench measures the NAT pinger (internal/role/natping):
// how many keepalives per second one pinger sends with a million NATed
// bindings in SQLite and in MariaDB, what reading them costs the database
// per cycle, and the ceiling: the same raw-socket send loop with no
// database. The sends go to a port nobody listens on at 127.0.0.1, and
// are counted by the kernel (Udp NoPorts in /proc/net/snmp).
//
// It is a test that runs only when asked, as root (raw sockets):
//
//	SIPFLEET_BENCH_NATPING=1 go test -v -count=1 -timeout 30m ./bench/natping
//
// or bench/natping.sh. SIPFLEET_BENCH_NATPING_N sets the number of
// bindings (1,000,000 by default); SIPFLEET_TEST_MYSQL (a mysql:// DSN
// whose user may create databases) adds MariaDB. The figures are in
// bench/RESULTS.md.
package natpingbench
