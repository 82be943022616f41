#!/usr/bin/env bash
# Side-by-side call-rate benchmark of sipfleet's LB and Kamailio 5.6 as the
# same LB, in one run, through the shared SIPp harness (../shared/bench).
# Kamailio runs first, then sipfleet, each through the very same
# run-calls.sh; RESULT lines and the per-step CPU go to bench-results/.
#
#   bench/lb-vs-kamailio.sh            # full speed
#   LB_CPU_QUOTA=50 bench/lb-vs-kamailio.sh   # each LB capped at half a core
#
# Environment: RATES, STEP_S, REFINE (passed to run-calls.sh), KAM_TM=1 to
# also run Kamailio with tm (t_relay).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared/bench}
export RATES=${RATES:-1000 2000 3000 4000 6000 8000}
export STEP_S=${STEP_S:-10}
export REFINE=${REFINE:-2}
OUT=${BENCH_OUT:-$PWD/bench-results}/lb-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
go build -o "$OUT/bin/sipfleet" ./cmd/sipfleet

run() { # name: runs run-calls.sh against whatever listens on :5060
	local name=$1
	OUT="$OUT/$name" "$SHARED/run-calls.sh" 127.0.0.1:5060 | tee "$OUT/$name.txt" | grep -E "^(STEP|RESULT)" || true
}

echo "== kamailio (stateless forward, 4 children)"
"$SHARED/kamailio/start-kamailio.sh" lb 127.0.0.1:5060 >/dev/null
trap '"$SHARED/kamailio/stop-kamailio.sh" >/dev/null 2>&1 || true' EXIT
run kamailio
"$SHARED/kamailio/stop-kamailio.sh" >/dev/null
if [ "${KAM_TM:-0}" = 1 ]; then
	echo "== kamailio (t_relay)"
	LB_TM=1 "$SHARED/kamailio/start-kamailio.sh" lb 127.0.0.1:5060 >/dev/null
	run kamailio-tm
	"$SHARED/kamailio/stop-kamailio.sh" >/dev/null
fi

echo "== sipfleet lb (failover transactions on)"
"$OUT/bin/sipfleet" lb --config bench/lb.yaml >"$OUT/sipfleet.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs 127.0.0.1:9069/readyz >/dev/null && break; sleep 0.1; done
run sipfleet
kill -TERM $pid; wait $pid || true
echo "== results"
grep -H RESULT "$OUT"/*.txt
