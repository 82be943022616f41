#!/usr/bin/env bash
# Call-rate benchmark of sipfleet's proxy against Kamailio 5.6 as the proxy
# (tm + registrar lookup on usrloc db_mode=3), in one run, through the
# shared harness's run-calls.sh (../shared/bench):
#
#   SIPp caller -> LB (sipfleet, 127.0.0.60) -> proxy under test (127.0.0.62:5062,
#   location lookup in MariaDB on every INVITE) -> LB (127.0.0.61) -> SIPp callee
#
# The callee "svc" is bound in the location table to the SIPp UAS at
# BACKEND with the LB's private socket as Path, as if it had registered
# through the LB; each system looks it up in the database on every call.
# The LB in front is sipfleet's for both, so the difference between the
# runs is the proxy; the proxy's own CPU per call is reported as "proxy"
# (ALSO=), the LB's as "lb".
#
#   bench/proxy-vs-kamailio.sh
#   RATES="200 400 800" STEP_S=5 REFINE=1 bench/proxy-vs-kamailio.sh    # a short run
#
# Environment (defaults):
#   CHILDREN=4                  Kamailio's UDP workers
#   SYSTEMS="kamailio sipfleet" which to run, in this order
#   DB=sipfleet_bench  DB_URL=mysql://root@127.0.0.1:3306/$DB
#   SIPFLEET_BIN=               a sipfleet binary; built from this tree if unset
#   SHARED=../shared/bench      the harness
#   BENCH_OUT=./bench-results   results go to $BENCH_OUT/proxy-<timestamp>/
#   RATES, STEP_S, REFINE, HOLD_MS, QUIET_WAIT_S, ... passed to run-calls.sh
# Only loopback addresses; every SIPp step is bounded in calls and time.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared/bench}
# shellcheck source=/dev/null
. "$SHARED/lib.sh"

LB_PUB=127.0.0.60:5060
LB_PRIV=127.0.0.61:5060
PROXY=127.0.0.62:5062
BACKEND=127.0.0.63:5071
export UAC_ADDR=127.0.0.64:5090
export DB=${DB:-sipfleet_bench}
DB_URL=${DB_URL:-mysql://root@127.0.0.1:3306/$DB}
CHILDREN=${CHILDREN:-4}
SYSTEMS=${SYSTEMS:-kamailio sipfleet}
export RATES=${RATES:-250 500 1000 1500 2000 3000}
export STEP_S=${STEP_S:-10}
export REFINE=${REFINE:-2}
OUT=${BENCH_OUT:-$PWD/bench-results}/proxy-$(date +%Y%m%d-%H%M%S)
[[ "$DB" =~ ^[A-Za-z0-9_]+$ ]] || die "DB=$DB: letters, digits and _ only"
for a in $LB_PUB $LB_PRIV $PROXY; do
	if ss -H -lun "sport = :$(addr_port "$a")" | grep -q "$a"; then die "$a is already in use"; fi
done
mkdir -p "$OUT"

BIN=${SIPFLEET_BIN:-}
if [ -z "$BIN" ]; then
	BIN=$OUT/bin/sipfleet
	go build -o "$BIN" ./cmd/sipfleet
fi

LB_PID= PX_PID= KAM_PID=
cleanup() {
	[ -n "$KAM_PID" ] && { kill "$KAM_PID" 2>/dev/null || true; wait "$KAM_PID" 2>/dev/null || true; }
	[ -n "$PX_PID" ] && stop_pid "$PX_PID"
	[ -n "$LB_PID" ] && stop_pid "$LB_PID"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_ready URL PID NAME
wait_ready() {
	for _ in $(seq 1 100); do
		curl -fs "$1" >/dev/null 2>&1 && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	die "$3 did not get ready"
}

mariadb -e "CREATE DATABASE IF NOT EXISTS \`$DB\`"
"$BIN" db migrate --db "$DB_URL"
# The callee's binding: as a REGISTER through the LB would have left it
# (Path naming the LB's private socket), never expiring during the run.
mariadb "$DB" -e "DELETE FROM location WHERE username='svc';
INSERT INTO location (ruid, username, domain, contact, received, path, expires, q, callid, cseq,
  last_modified, flags, cflags, user_agent, socket, methods, instance, reg_id, server_id, connection_id, keepalive, \`partition\`)
VALUES ('bench-svc', 'svc', NULL, 'sip:svc@$BACKEND', NULL, '<sip:$LB_PRIV;lr>', '2030-01-01 00:00:00', -1, 'bench-svc', 1,
  UTC_TIMESTAMP(), 0, 0, 'bench', NULL, NULL, NULL, 0, 0, 0, 0, 0);"

"$BIN" lb --config bench/proxy-lb.yaml >"$OUT/lb.log" 2>&1 &
LB_PID=$!
wait_ready "http://127.0.0.61:9061/readyz" "$LB_PID" "sipfleet lb"

run() {
	local name=$1
	OUT="$OUT/$name" TARGET_NAME=$name BACKENDS=$BACKEND ALSO="proxy=$PROXY" \
		"$SHARED/run-calls.sh" "$LB_PUB" >"$OUT/$name.txt" 2>&1 || true
	grep -E "^(CONFIG|smoke|STEP|NOTE|RESULT)" "$OUT/$name.txt" | sed "s/^/[$name] /" || true
}

for sys in $SYSTEMS; do
	case "$sys" in
	kamailio)
		echo "== kamailio proxy (bench/kamailio-proxy.cfg), tm + usrloc db_mode=3, $CHILDREN children"
		# Kamailio reads DATETIMEs in local time; the table is in UTC.
		TZ=UTC setsid kamailio -f bench/kamailio-proxy.cfg -l "udp:$PROXY" -n "$CHILDREN" -m 512 -M 16 \
			-A "DBURL=\"$DB_URL\"" -w "$OUT" -DD -E >"$OUT/kamailio.log" 2>&1 </dev/null &
		KAM_PID=$!
		for _ in $(seq 1 50); do
			ss -H -lun "sport = :$(addr_port "$PROXY")" | grep -q "$PROXY" && break
			kill -0 "$KAM_PID" 2>/dev/null || { cat "$OUT/kamailio.log" >&2; die "kamailio exited"; }
			sleep 0.2
		done
		sleep 0.5
		run kamailio
		kill "$KAM_PID"; wait "$KAM_PID" 2>/dev/null || true; KAM_PID=
		;;
	sipfleet)
		echo "== sipfleet proxy (bench/proxy-mariadb.yaml)"
		sed -e "s|^  db: .*|  db: \"$DB_URL\"|" bench/proxy-mariadb.yaml >"$OUT/proxy.yaml"
		"$BIN" proxy --config "$OUT/proxy.yaml" >"$OUT/sipfleet.log" 2>&1 &
		PX_PID=$!
		wait_ready "http://127.0.0.62:9062/readyz" "$PX_PID" "sipfleet proxy"
		run sipfleet
		curl -fs "http://127.0.0.62:9062/metrics" 2>/dev/null | grep -E '^sipfleet_proxy_[a-z_]+_total ' |
			sed 's/^/[sipfleet] metric /' | tee "$OUT/sipfleet.metrics" || true
		stop_pid "$PX_PID"; wait "$PX_PID" 2>/dev/null || true; PX_PID=
		;;
	*) die "SYSTEMS: unknown system $sys (kamailio or sipfleet)";;
	esac
done
