#!/usr/bin/env bash
# Runs inside pg_virtualenv (test/run-tests.sh), or against the throwaway
# cluster of test/run-version.sh (which sets SYMBL_PG_CONFIG and
# SYMBL_SERVER_LOG): starts the emulator, runs pg_regress, then checks that
# no secret used by the tests reached the server log.
source "$(dirname "$0")/lib.sh"
cd "$SYMBL_ROOT"
trap symbl_stop_emulator EXIT

# test/asan.sh: restart the server with extra environment (LD_PRELOAD of the
# sanitizer runtimes), and show that it took
if [ -n "${SYMBL_SERVER_ENVIRONMENT:-}" ]; then
	cat "$SYMBL_SERVER_ENVIRONMENT" >>"$PG_CLUSTER_CONF_ROOT/$SYMBL_PG_VERSION/regress/environment"
	pg_ctlcluster "$SYMBL_PG_VERSION" regress restart
	pid=$(head -n 1 "$(dirname "$PGSYSCONFDIR")/data/$SYMBL_PG_VERSION/regress/postmaster.pid")
	echo "server runs with: $(grep -oE '[^/ ]*(asan|ubsan|nls_shim)[^/ ]*$' "/proc/$pid/maps" | sort -u | tr '\n' ' ')"
fi
symbl_start_emulator --conversations 1000
echo "emulator at $SYMBL_EMULATOR_URL"
status=0
make -s installcheck PG_CONFIG="${SYMBL_PG_CONFIG:-/usr/lib/postgresql/$SYMBL_PG_VERSION/bin/pg_config}" || status=$?

# The cluster logs at debug5 and without failing statements' text (a
# statement is the user's own SQL, which PostgreSQL logs as typed).
log=${SYMBL_SERVER_LOG:-"$(dirname "$PGSYSCONFDIR")/log/postgresql-$SYMBL_PG_VERSION-regress.log"}
leaks=0
while IFS= read -r secret; do
	if grep -qF -- "$secret" "$log"; then
		echo "secret leaked into the server log: ${secret:0:3}…"
		leaks=$((leaks + 1))
	fi
done < <(grep -ohE "(app_secret|access_token) '[^']+'" sql/*.sql | sed -E "s/^[a-z_]+ '(.*)'$/\1/" | sort -u)
# test/asan.sh: its canary, once the suite is done
if [ -n "${SYMBL_AFTER_SUITE:-}" ]; then
	bash -c "$SYMBL_AFTER_SUITE" || true
fi

# Outside symbl_probe, no request of the suite sends conversation.id in a
# filter: reads by id go to GET /v1/conversations/{id} (README, "What is
# trusted and what is rechecked").
id_filters=$(curl -s "$SYMBL_EMULATOR_URL/_control/log?format=jsonl" | python3 -c '
import json, sys, urllib.parse
n = 0
for line in sys.stdin.read().split("\n"):
    if not line:
        continue
    rec = json.loads(line)
    if (rec.get("tag") or "").startswith("probe"):
        continue  # sql/probe.sql: symbl_probe sends it on purpose
    params = rec.get("params") or urllib.parse.parse_qsl(rec.get("raw_query") or "")
    if any(p[0] == "filter" and "conversation.id" in p[1] for p in params):
        n += 1
print(n)')
if [ "$id_filters" = "0" ]; then
	echo "test no_conversation_id_in_filter ... ok"
else
	echo "test no_conversation_id_in_filter ... FAILED ($id_filters requests)"
	status=1
fi

lines=$(wc -l < "$log")
if [ "$leaks" -eq 0 ]; then
	echo "test secrets_not_logged ... ok ($lines lines of server log at debug5 scanned)"
else
	echo "test secrets_not_logged ... FAILED"
	status=1
fi
exit "$status"
