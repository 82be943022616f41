#!/usr/bin/env bash
# NAT pinger throughput (issue 6): keepalives per second one pinger sends
# with N NATed bindings in SQLite and, when SIPFLEET_TEST_MYSQL is set, in
# MariaDB; the database's read cost per cycle; whether 5, 10 and 20 s
# cycles keep their interval; and the ceiling, the raw-socket send loop
# with no database. The code is bench/natping (a Go test that runs only
# when asked); results go to bench/RESULTS.md by hand.
#
#   sudo bench/natping.sh
#   N=100000 sudo bench/natping.sh                                    # a short run
#   SIPFLEET_TEST_MYSQL=mysql://root@127.0.0.1:3306/test sudo -E bench/natping.sh
#
# Needs root (raw sockets, a network namespace for the sink). The
# keepalives go to a veth in a namespace the benchmark creates and
# deletes (its peer is down, so the device drops them: a NIC's cost and
# no more) and, for the second raw loop, to a port nobody listens on at
# 127.0.0.1. MariaDB gets a database of its own, dropped afterwards.
# Bounded: N at most 5,000,000, the whole run by -timeout.
#
# Environment (defaults):
#   N=1000000              bindings
#   BATCH=1000             the pinger's page size in the cycles (natping.batch)
#   SIPFLEET_TEST_MYSQL    unset: SQLite only
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "natping.sh: needs root (raw sockets)" >&2; exit 2; }
SIPFLEET_BENCH_NATPING=1 SIPFLEET_BENCH_NATPING_N="${N:-1000000}" SIPFLEET_BENCH_NATPING_BATCH="${BATCH:-1000}" \
	go test -v -count=1 -timeout 30m -run TestNATPingBench ./bench/natping
