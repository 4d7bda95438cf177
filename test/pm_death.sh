#!/usr/bin/env bash
# Postmaster death: a backend that is waiting on the Symbl API must exit
# with its cluster, as every PostgreSQL wait does (WL_EXIT_ON_PM_DEATH).
# For each kind of wait, a throwaway cluster of its own runs a query against
# the emulator, the postmaster is killed with SIGKILL while the backend
# waits, and one second later no process of that cluster may be left.
#
# Run by test/run-tests.sh (one test); alone: bash test/pm_death.sh (as
# root: the cluster runs as the postgres user).  Whatever happens, it
# kills what it started and removes its files.
source "$(dirname "$0")/lib.sh"
cd "$SYMBL_ROOT"

symbl_base_packages
symbl_build_and_install

PGBIN=/usr/lib/postgresql/$SYMBL_PG_VERSION/bin
[ "$(id -u)" -eq 0 ] || { echo "test/pm_death.sh runs as root (the cluster runs as postgres)" >&2; exit 1; }
work=$(mktemp -d /tmp/symbl_pm_death.XXXXXX)
chown postgres: "$work"
data=$work/data
client_pid=

# Every process of the cluster has its data directory as working directory
cluster_pids() {
	local proc
	for proc in /proc/[0-9]*; do
		[ "$(readlink "$proc/cwd" 2>/dev/null)" = "$data" ] && echo "${proc#/proc/}"
	done
	return 0
}

kill_cluster() {
	local pid
	for pid in $(cluster_pids); do
		kill -9 "$pid" 2>/dev/null || true
	done
	# the next check's cluster takes the same socket directory and port:
	# it cannot start while one of these is still on its way out
	for _ in $(seq 1 100); do
		[ -z "$(cluster_pids)" ] && return 0
		sleep 0.1
	done
}

stop_client() {
	if [ -n "$client_pid" ]; then
		kill "$client_pid" 2>/dev/null || true
		wait "$client_pid" 2>/dev/null || true
	fi
	client_pid=
}

cleanup() {
	stop_client
	kill_cluster
	symbl_stop_emulator
	rm -rf "$work"
}
trap cleanup EXIT

as_postgres() {
	runuser -u postgres -- "$@"
}

sql() {
	as_postgres "$PGBIN/psql" -X -q -h "$work" -d postgres -v ON_ERROR_STOP=1 "$@"
}

# The emulator's log of one tag matches a pattern (within 30 s)
wait_for_log() {
	local tag=$1 pattern=$2
	for _ in $(seq 1 300); do
		curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=$tag&format=text" | grep -qE "$pattern" && return 0
		sleep 0.1
	done
	echo "    the emulator never logged /$pattern/ for $tag:"
	curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=$tag&format=text" | sed 's/^/    /'
	sed 's/^/    client: /' "$work/client.log"
	return 1
}

# One wait: a fresh cluster, a query that reaches the wait, SIGKILL to the
# postmaster, and one second for every process of the cluster to go.
check_wait() {
	local name=$1 spec=$2 server_options=$3 pattern=$4
	local tag=pm_$name postmaster left

	rm -rf "$data"
	as_postgres "$PGBIN/initdb" -D "$data" -A trust --no-sync >"$work/initdb.log" 2>&1 ||
		{ sed 's/^/    initdb: /' "$work/initdb.log"; return 1; }
	as_postgres "$PGBIN/pg_ctl" -D "$data" -l "$work/server.log" -w \
		-o "-k $work -c listen_addresses='' -c fsync=off" start >/dev/null ||
		{ sed 's/^/    server: /' "$work/server.log"; return 1; }
	curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=$tag" >/dev/null
	sql <<-SQL
		CREATE EXTENSION symbl_fdw;
		CREATE SERVER s FOREIGN DATA WRAPPER symbl_fdw
		  OPTIONS (base_url '$SYMBL_EMULATOR_URL/_x/tag=$tag,$spec', $server_options);
		CREATE USER MAPPING FOR CURRENT_USER SERVER s
		  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
		CREATE FOREIGN TABLE t (id text) SERVER s;
	SQL

	sql -c "SELECT count(*) FROM t" >"$work/client.log" 2>&1 &
	client_pid=$!
	wait_for_log "$tag" "$pattern" || return 1

	postmaster=$(head -n 1 "$data/postmaster.pid")
	kill -9 "$postmaster"
	sleep 1
	left=$(cluster_pids | paste -sd " ")
	if [ -n "$left" ]; then
		echo "$name: 1 s after the postmaster was killed, still running: $left"
		ps -o pid,stat,args -p "${left// /,}" 2>/dev/null | sed 's/^/    /' || true
		curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=$tag&format=text" | sed 's/^/    emulator: /'
	fi
	stop_client
	kill_cluster
	[ -z "$left" ]
}

symbl_start_emulator --conversations 1000

status=0
run() {
	if check_wait "$@"; then
		echo "ok   $1"
	else
		echo "FAIL $1"
		status=1
	fi
}
# a request that is never answered (the backend polls the network)
run hang "hang=1" "max_retries '0'" 'GET .* -> pending'
# a body that trickles in at 20 bytes/s
run slow_body "slow_bps=20" "max_retries '0'" 'GET .* -> pending'
# a 503 with Retry-After: 60 (the backend sleeps before the retry)
run backoff "status=503,retry_after=60" "max_retries '2'" 'GET .* -> 503'
# the token request is never answered
run token "hang=1,on=token" "max_retries '0'" 'POST .* -> pending'

if [ "$status" -eq 0 ]; then
	echo "test pm_death ... ok"
else
	echo "test pm_death ... FAILED"
fi
exit "$status"
