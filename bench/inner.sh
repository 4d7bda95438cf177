#!/usr/bin/env bash
# Runs inside pg_virtualenv (see bench/run.sh): starts the emulators, then
# bench/bench.py (or parts.py, writes.py) measures and writes the results.
source "$(dirname "$0")/../test/lib.sh"
cd "$SYMBL_ROOT"

BENCH_ARGS="$*"
BENCH_N=200000
BENCH_MILLION=0
BENCH_RUNS=5
BENCH_PARTS=0
BENCH_WRITES=0
while [ $# -gt 0 ]; do
	case "$1" in
	--parts) BENCH_PARTS=1 ;;
	--writes) BENCH_WRITES=1 ;;
	--million) BENCH_N=1000000; BENCH_MILLION=1 ;;
	--runs) BENCH_RUNS=$2; BENCH_RUNS_GIVEN=1; shift ;;
	--conversations) BENCH_N=$2; shift ;;   # for a quick try of the script
	esac
	shift
done
BENCH_BIG_RUNS=$(( BENCH_RUNS < 3 ? BENCH_RUNS : 3 ))
BENCH_SMALL_N=10000
BENCH_LATENCY_MS=50
# The emulator's clock is frozen at its dataset anchor: every conversation
# ends before it, so an explicit early startTime reaches all of them, and
# the emulator computes the sorted window once and serves every page from
# its cache (with a moving clock it would re-sort all rows per request).
NOW=2026-01-15T12:00:00Z

emulator_pids=()
stop_emulators() {
	local pid
	for pid in "${emulator_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}
trap stop_emulators EXIT

start_emulator() {
	symbl_start_emulator --now "$NOW" "$@"
	emulator_pids+=("$SYMBL_EMULATOR_PID")
}

# --parts: the part tables (bench/parts.py), on two emulators of 10,000
# conversations, hosted and loopback; --writes (bench/writes.py) on the
# hosted one alone
if [ "$BENCH_PARTS" = 1 ] || [ "$BENCH_WRITES" = 1 ]; then
	BENCH_N=10000
	[ -n "${BENCH_RUNS_GIVEN:-}" ] || BENCH_RUNS=3
fi

echo "bench: starting emulators ($BENCH_N conversations)"
start_emulator --conversations "$BENCH_N" --latency-ms "$BENCH_LATENCY_MS"
BENCH_HOSTED_URL=$SYMBL_EMULATOR_URL
BENCH_HOSTED_PID=$SYMBL_EMULATOR_PID
if [ "$BENCH_WRITES" = 1 ]; then
	export BENCH_ARGS BENCH_N BENCH_RUNS BENCH_LATENCY_MS BENCH_HOSTED_URL BENCH_HOSTED_PID
	python3 bench/writes.py
	exit
fi
start_emulator --conversations "$BENCH_N" --latency-ms 0
BENCH_LOOP_URL=$SYMBL_EMULATOR_URL
BENCH_LOOP_PID=$SYMBL_EMULATOR_PID

if [ "$BENCH_PARTS" = 1 ]; then
	export BENCH_ARGS BENCH_N BENCH_RUNS BENCH_LATENCY_MS BENCH_HOSTED_URL BENCH_LOOP_URL \
		BENCH_HOSTED_PID BENCH_LOOP_PID
	python3 bench/parts.py
	exit
fi
start_emulator --conversations "$BENCH_SMALL_N" --latency-ms 0
BENCH_SMALL_URL=$SYMBL_EMULATOR_URL
BENCH_SMALL_PID=$SYMBL_EMULATOR_PID
# the design card's queries on 100,000 conversations up to now (real clock)
symbl_start_emulator --conversations 100000 --anchor now
emulator_pids+=("$SYMBL_EMULATOR_PID")
BENCH_CARD_URL=$SYMBL_EMULATOR_URL

export BENCH_ARGS BENCH_N BENCH_MILLION BENCH_RUNS BENCH_BIG_RUNS BENCH_SMALL_N BENCH_LATENCY_MS \
	BENCH_HOSTED_URL BENCH_LOOP_URL BENCH_SMALL_URL BENCH_HOSTED_PID BENCH_LOOP_PID BENCH_SMALL_PID BENCH_CARD_URL
python3 bench/bench.py
