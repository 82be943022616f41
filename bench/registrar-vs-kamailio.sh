#!/usr/bin/env bash
# REGISTER-rate benchmark of sipfleet's registrar against Kamailio 5.6's
# (registrar + usrloc db_mode=3), both on the same MariaDB database, in one
# run, through the shared harness's run-register.sh (../shared/bench).
#
#   bench/registrar-vs-kamailio.sh
#   RATES="500 1000 2000" STEP_S=5 USERS=2000 REFINE=1 bench/registrar-vs-kamailio.sh   # a short run
#
# Kamailio goes first (../shared/bench/kamailio/start-kamailio.sh registrar,
# that is kamailio/registrar.cfg: no authentication, use_domain=0, Path with
# path_use_received, CHILDREN UDP workers), then `sipfleet registrar` with
# the equivalent bench/registrar-mariadb.yaml (no authentication, the same
# expiry and Path settings). Both are measured by the very same
# run-register.sh against the very same database, which it empties before
# each system's run. Every measured REGISTER opens a new registration (a
# new Call-ID, CSeq 1, no credentials, Expires 3600) for one of USERS users
# whose contact the unmeasured preload stored: the registrar reads the
# AoR's bindings and writes its row. The preload line shows the insert path
# at PRELOAD_RPS. Only the two systems' figures from one run compare: the
# machine is shared.
#
# Environment (defaults):
#   REG_ADDR=127.0.0.81:5081    where each registrar listens, in turn
#   UAC_ADDR=127.0.0.82:5090    the SIPp UAC (run-register.sh's)
#   ADMIN_ADDR=127.0.0.81:9081  sipfleet's admin listener (readiness, metrics)
#   DB=sipfleet_bench           the MariaDB database; created if missing and
#                               migrated by `sipfleet db migrate` (Kamailio's
#                               schema); left in place afterwards
#   DB_URL=mysql://root@127.0.0.1:3306/$DB   both registrars' database URL
#   CHILDREN=4                  Kamailio's UDP workers
#   SYSTEMS="kamailio sipfleet" which to run, in this order
#   AUTH=0                      1: digest authentication on both sides — the
#                               harness is copied and given
#                               bench/sipp/uac-register-auth.xml and
#                               bench/kamailio-registrar-auth.cfg, USERS
#                               subscribers (password "secret") are written,
#                               and sipfleet runs with auth: true
#   NEW=0                       1: new registrations — each step starts on an
#                               emptied location table, with USERS (100000)
#                               more than a step sends, so every measured
#                               REGISTER inserts its binding
#   SQLITE=0                    1: both registrars on one SQLite file
#                               ($OUT/location.db, WAL, made by `sipfleet db
#                               migrate`) instead of MariaDB: sipfleet's
#                               embedded store against Kamailio's db_sqlite
#                               (kamailio-sqlite-modules) on the same file;
#                               the harness reads and empties the table with
#                               the sqlite3 CLI, and "db" CPU is not reported
#                               (the engine runs inside each registrar)
#   LB=0                        1: through an LB on LB_ADDR (127.0.0.84:5060):
#                               Kamailio's (the harness's lb.cfg: Path with
#                               received, dispatcher) in front of Kamailio,
#                               sipfleet's in front of sipfleet; the LB's CPU
#                               is reported as "lb"
#   REG_WORKERS=, REG_BATCH=    override registrar.workers and .batch of
#                               bench/registrar-mariadb.yaml
#   SIPFLEET_BIN=               a sipfleet binary; built from this tree if unset
#   SHARED=../shared/bench      the harness
#   BENCH_OUT=./bench-results   results go to $BENCH_OUT/registrar-<timestamp>/
#   RATES, STEP_S, REFINE, USERS, PRELOAD_RPS, QUIET_WAIT_S, RECV_TIMEOUT_MS, ...
#                               passed to run-register.sh (see its header)
# Only loopback addresses; every SIPp step is bounded in calls and time.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared/bench}
# shellcheck source=/dev/null
. "$SHARED/lib.sh"

REG_ADDR=${REG_ADDR:-127.0.0.81:5081}
export UAC_ADDR=${UAC_ADDR:-127.0.0.82:5090}
ADMIN_ADDR=${ADMIN_ADDR:-127.0.0.81:9081}
export DB=${DB:-sipfleet_bench}
export CHILDREN=${CHILDREN:-4}
SYSTEMS=${SYSTEMS:-kamailio sipfleet}
export RATES=${RATES:-500 1000 2000 3000 4000 6000}
export STEP_S=${STEP_S:-10}
export REFINE=${REFINE:-2}
if [ "${NEW:-0}" = 1 ]; then
	export USERS=${USERS:-100000} PRELOAD_RPS=${PRELOAD_RPS:-3000}
fi
export USERS=${USERS:-10000}
LB_ADDR=${LB_ADDR:-127.0.0.84:5060}
LB_ADMIN=${LB_ADMIN:-127.0.0.84:9084}
OUT=${BENCH_OUT:-$PWD/bench-results}/registrar-$(date +%Y%m%d-%H%M%S)
if [ "${SQLITE:-0}" = 1 ]; then
	SQLITE_FILE=$OUT/location.db
	DB_URL=sqlite:$SQLITE_FILE
	KAM_DB_URL=sqlite:///$SQLITE_FILE # db_sqlite drops "sqlite:///" and keeps the rest as the path
fi
DB_URL=${DB_URL:-mysql://root@127.0.0.1:3306/$DB}
KAM_DB_URL=${KAM_DB_URL:-$DB_URL}

for a in "$REG_ADDR" "$UAC_ADDR" "$ADMIN_ADDR" "$LB_ADDR" "$LB_ADMIN"; do
	case "$a" in 127.*) ;; *) die "only loopback addresses (127.0.0.0/8) allowed: $a";; esac
done
[[ "$DB" =~ ^[A-Za-z0-9_]+$ ]] || die "DB=$DB: letters, digits and _ only"
reg_ip=$(addr_ip "$REG_ADDR"); reg_port=$(addr_port "$REG_ADDR")
if ss -H -lun "sport = :$reg_port" | grep -q "$reg_ip:$reg_port"; then die "$REG_ADDR is already in use"; fi
mkdir -p "$OUT"

BIN=${SIPFLEET_BIN:-}
if [ -z "$BIN" ]; then
	BIN=$OUT/bin/sipfleet
	go build -o "$BIN" ./cmd/sipfleet
fi

KAM_RUNDIR=$OUT/kamailio-run
KAM_LB_RUNDIR=$OUT/kamailio-lb-run
SF_PID=
SF_LB_PID=
cleanup() {
	RUNDIR=$KAM_RUNDIR "$SHARED/kamailio/stop-kamailio.sh" registrar "$REG_ADDR" >/dev/null 2>&1 || true
	RUNDIR=$KAM_LB_RUNDIR "$SHARED/kamailio/stop-kamailio.sh" lb "$LB_ADDR" >/dev/null 2>&1 || true
	[ -n "$SF_PID" ] && stop_pid "$SF_PID"
	[ -n "$SF_LB_PID" ] && stop_pid "$SF_LB_PID"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "${SQLITE:-0}" = 1 ]; then
	command -v sqlite3 >/dev/null || die "sqlite3 not installed (apt-get install sqlite3)"
	compgen -G '/usr/lib/*/kamailio/modules/db_sqlite.so' >/dev/null || [ "$SYSTEMS" = sipfleet ] ||
		die "Kamailio's db_sqlite not installed (apt-get install kamailio-sqlite-modules)"
else
	mariadb -e "CREATE DATABASE IF NOT EXISTS \`$DB\`"
fi
"$BIN" db migrate --db "$DB_URL"

if [ "${AUTH:-0}" = 1 ] || [ "${NEW:-0}" = 1 ] || [ "${SQLITE:-0}" = 1 ]; then
	# The harness's scenario, Kamailio config and steps are fixed: run a
	# copy with ours in their place.
	cp -r "$SHARED" "$OUT/harness"
	SHARED=$OUT/harness
fi
if [ "${SQLITE:-0}" = 1 ]; then
	# The harness asks MariaDB; here the table is in the file.
	export SQLITE_FILE
	q='mysql_q() { sqlite3 -header -separator "$(printf "\\t")" -cmd ".timeout 10000" "$SQLITE_FILE" "$1"; }'
	awk -v q="$q" '/^mysql_q\(\) \{/ { print q; next } { print }' "$SHARED/run-register.sh" >"$SHARED/run-register.sh.new"
	mv "$SHARED/run-register.sh.new" "$SHARED/run-register.sh"; chmod +x "$SHARED/run-register.sh"
	grep -q '^mysql_q() { sqlite3 ' "$SHARED/run-register.sh" || die "could not point run-register.sh at the SQLite file"
	export DB_PROC=sqlite-runs-inside-the-registrar
fi
if [ "${NEW:-0}" = 1 ]; then
	sed -i 's|^step() {  # step RATE SECS$|&\n\tif [ -n "$RESET_SQL" ]; then mysql_q "$RESET_SQL" >/dev/null; fi|' "$SHARED/run-register.sh"
	grep -q 'then mysql_q "$RESET_SQL" >/dev/null; fi' "$SHARED/run-register.sh" || die "could not make run-register.sh empty the table before each step"
fi
if [ "${AUTH:-0}" = 1 ]; then
	cp bench/sipp/uac-register-auth.xml "$SHARED/sipp/uac-register.xml"
	cp bench/kamailio-registrar-auth.cfg "$SHARED/kamailio/registrar.cfg"
	# SIPp takes no field inside [authentication], but a field may hold
	# the whole keyword: the users file gets it as a third field.
	sed -i 's|echo "u$i;$DOMAIN"|echo "u$i;$DOMAIN;[authentication username=u$i password=secret]"|' "$SHARED/run-register.sh"
	grep -q 'authentication username=u' "$SHARED/run-register.sh" || die "could not add credentials to run-register.sh's users file"
	# run-register.sh's users: u000001... in $DOMAIN; ha1 = MD5(user:realm:secret).
	dom=${DOMAIN:-bench.example}
	# SIPp answers a challenge with its peer's address as digest uri
	# unless told the Request-URI's.
	export SIPP_OPTS="${SIPP_OPTS:-} -auth_uri $dom"
	if [ "${SQLITE:-0}" = 1 ]; then
		# SQLite has no MD5(): the rows are written out here.
		{
			echo "BEGIN; DELETE FROM subscriber;"
			for i in $(seq -f '%06g' 1 "$USERS"); do
				h=$(printf '%s' "u$i:$dom:secret" | md5sum | cut -d' ' -f1)
				echo "INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES ('u$i', '$dom', 'secret', '$h', '');"
			done
			echo "COMMIT;"
		} | sqlite3 -cmd '.timeout 10000' "$SQLITE_FILE"
	else
		mariadb "$DB" -e "DELETE FROM subscriber;
			INSERT INTO subscriber (username, domain, password, ha1, ha1b)
			SELECT CONCAT('u', LPAD(seq, 6, '0')), '$dom', 'secret',
			       MD5(CONCAT('u', LPAD(seq, 6, '0'), ':$dom:secret')), ''
			FROM seq_1_to_$USERS"
	fi
fi

if [ "${SQLITE:-0}" = 1 ]; then
	sed -i 's|^loadmodule "db_mysql.so"|loadmodule "db_sqlite.so"|' "$SHARED/kamailio/registrar.cfg"
	grep -q '^loadmodule "db_sqlite.so"' "$SHARED/kamailio/registrar.cfg" || die "could not give Kamailio db_sqlite"
fi

# run NAME: the shared REGISTER benchmark against whatever listens on
# REG_ADDR. SIPp logs every REGISTER's response time (-trace_rtt), from
# which latency prints each step's median and 99th percentile.
run() {
	local name=$1 target=$REG_ADDR also= as=$1
	if [ "${LB:-0}" = 1 ]; then
		target=$LB_ADDR also="$name=$REG_ADDR" as=lb
	fi
	OUT="$OUT/$name" TARGET_NAME=$as ALSO=$also SIPP_OPTS="${SIPP_OPTS:-} -trace_rtt -rtt_freq 100" \
		"$SHARED/run-register.sh" "$target" >"$OUT/$name.txt" 2>&1 || true
	grep -E "^(CONFIG|preload|STEP|NOTE|RESULT)" "$OUT/$name.txt" | sed "s/^/[$name] /" || true
	latency "$name"
}

# latency NAME: per step, the median and p99 of the REGISTER response
# times SIPp recorded (its *_rtt.csv: date_ms;response_time_ms;rtd_no).
latency() {
	local d step
	for d in "$OUT/$1"/step-*; do
		[ -d "$d" ] || continue
		step=${d##*/step-}
		cat "$d"/*_rtt.csv 2>/dev/null | cut -d';' -f2 | grep -E '^[0-9.]+$' | sort -n |
			awk -v name="$1" -v step="$step" '{ v[NR] = $1 }
			END {
				if (NR == 0) exit
				printf "[%s] LATENCY offered=%s n=%d p50=%.1fms p99=%.1fms\n", name, step, NR, v[int(NR * 0.50) + 1], v[int(NR * 0.99) + 1]
			}'
	done | sort -t= -k2 -n
}

# start_sipfleet_lb: sipfleet's LB set up as the harness's Kamailio lb.cfg
# is: one UDP socket for both sides, REGISTERs to the registrar (set 2)
# with Path and received, no probing.
start_sipfleet_lb() {
	printf '1 sip:127.0.0.1:5071\n2 sip:%s\n' "$REG_ADDR" >"$OUT/lb-dispatcher.list"
	cat >"$OUT/lb.yaml" <<-EOF
	log:
	  level: warn
	admin:
	  listen: $LB_ADMIN
	listeners:
	  - name: lb
	    side: public
	    proto: udp
	    listen: $LB_ADDR
	    sockets: 2
	lb:
	  dispatcher_list: $OUT/lb-dispatcher.list
	  algorithm: round-robin
	  secret: bench-secret-0123456789
	  path_received: always
	  probe:
	    mode: off
	  pike:
	    threshold: 0
	EOF
	# setsid, as the harness starts Kamailio: each server in its own
	# scheduling group (autogroup), apart from SIPp and this script.
	setsid "$BIN" lb --config "$OUT/lb.yaml" >"$OUT/sipfleet-lb.log" 2>&1 </dev/null &
	SF_LB_PID=$!
	for _ in $(seq 1 100); do
		curl -fs "http://$LB_ADMIN/readyz" >/dev/null 2>&1 && return 0
		kill -0 "$SF_LB_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$OUT/sipfleet-lb.log" >&2
	die "sipfleet lb did not get ready"
}

for sys in $SYSTEMS; do
	case "$sys" in
	kamailio)
		echo "== kamailio registrar, usrloc db_mode=3, $CHILDREN children, database $KAM_DB_URL"
		RUNDIR=$KAM_RUNDIR DBURL=$KAM_DB_URL "$SHARED/kamailio/start-kamailio.sh" registrar "$REG_ADDR" >/dev/null
		if [ "${LB:-0}" = 1 ]; then
			echo "   through kamailio's LB on $LB_ADDR"
			RUNDIR=$KAM_LB_RUNDIR PROXIES=127.0.0.1:5071 REGISTRARS=$REG_ADDR \
				"$SHARED/kamailio/start-kamailio.sh" lb "$LB_ADDR" >/dev/null
		fi
		run kamailio
		RUNDIR=$KAM_LB_RUNDIR "$SHARED/kamailio/stop-kamailio.sh" lb "$LB_ADDR" >/dev/null 2>&1 || true
		RUNDIR=$KAM_RUNDIR "$SHARED/kamailio/stop-kamailio.sh" registrar "$REG_ADDR" >/dev/null 2>&1
		;;
	sipfleet)
		echo "== sipfleet registrar (bench/registrar-mariadb.yaml), database $DB_URL"
		sed -e "s|127.0.0.81:5081|$REG_ADDR|; s|127.0.0.81:9081|$ADMIN_ADDR|" \
			-e "s|^  db: .*|  db: \"$DB_URL\"|" bench/registrar-mariadb.yaml >"$OUT/registrar.yaml"
		[ -z "${REG_WORKERS:-}" ] || sed -i -e "s|^  workers: .*|  workers: $REG_WORKERS|" "$OUT/registrar.yaml"
		[ -z "${REG_BATCH:-}" ] || sed -i -e "s|^  batch: .*|  batch: $REG_BATCH|" "$OUT/registrar.yaml"
		if [ "${AUTH:-0}" = 1 ]; then
			sed -i -e 's|^  auth: false|  auth: true\n  secret: bench-secret-0123456789|' "$OUT/registrar.yaml"
		fi
		# setsid: its own scheduling group, as Kamailio has (see start_sipfleet_lb)
		setsid "$BIN" registrar --config "$OUT/registrar.yaml" >"$OUT/sipfleet.log" 2>&1 </dev/null &
		SF_PID=$!
		ready=
		for _ in $(seq 1 100); do
			curl -fs "http://$ADMIN_ADDR/readyz" >/dev/null 2>&1 && { ready=1; break; }
			kill -0 "$SF_PID" 2>/dev/null || break
			sleep 0.1
		done
		[ -n "$ready" ] || { cat "$OUT/sipfleet.log" >&2; die "sipfleet registrar did not get ready"; }
		if [ "${LB:-0}" = 1 ]; then
			echo "   through sipfleet's LB on $LB_ADDR"
			start_sipfleet_lb
		fi
		run sipfleet
		if [ -n "$SF_LB_PID" ]; then stop_pid "$SF_LB_PID"; wait "$SF_LB_PID" 2>/dev/null || true; SF_LB_PID=; fi
		curl -fs "http://$ADMIN_ADDR/metrics" 2>/dev/null | grep -E '^sipfleet_registrar_[a-z_]+_total ' |
			sed 's/^/[sipfleet] metric /' | tee "$OUT/sipfleet.metrics" || true
		stop_pid "$SF_PID"; wait "$SF_PID" 2>/dev/null || true; SF_PID=
		;;
	*) die "SYSTEMS: unknown system $sys (kamailio or sipfleet)";;
	esac
done

echo "== results ($OUT)"
declare -A max=()
for sys in $SYSTEMS; do
	max[$sys]=$(grep -o '^RESULT register_max_rps=[0-9]*' "$OUT/$sys.txt" 2>/dev/null | tail -1 | cut -d= -f2)
	echo "RESULT $sys register_max_rps=${max[$sys]:-0}"
done
if [ -n "${max[kamailio]:-}" ] && [ -n "${max[sipfleet]:-}" ] && [ "${max[kamailio]}" -gt 0 ]; then
	awk -v s="${max[sipfleet]}" -v k="${max[kamailio]}" \
		'BEGIN { printf "RESULT sipfleet_vs_kamailio register_max_rps_ratio=%.2f (target >= 2)\n", s / k }'
fi
