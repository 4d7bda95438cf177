#!/usr/bin/env bash
# Runs inside pg_virtualenv: starts the emulator, runs pg_regress, then
# checks that no secret used by the tests reached the server log.
source "$(dirname "$0")/lib.sh"
cd "$SYMBL_ROOT"
trap symbl_stop_emulator EXIT
symbl_start_emulator --conversations 1000
echo "emulator at $SYMBL_EMULATOR_URL"
status=0
make -s installcheck PG_CONFIG=/usr/lib/postgresql/$SYMBL_PG_VERSION/bin/pg_config || status=$?

# The cluster logs at debug5 and without failing statements' text (a
# statement is the user's own SQL, which PostgreSQL logs as typed).
log="$(dirname "$PGSYSCONFDIR")/log/postgresql-$SYMBL_PG_VERSION-regress.log"
leaks=0
while IFS= read -r secret; do
	if grep -qF -- "$secret" "$log"; then
		echo "secret leaked into the server log: ${secret:0:3}…"
		leaks=$((leaks + 1))
	fi
done < <(grep -ohE "(app_secret|access_token) '[^']+'" sql/*.sql | sed -E "s/^[a-z_]+ '(.*)'$/\1/" | sort -u)
lines=$(wc -l < "$log")
if [ "$leaks" -eq 0 ]; then
	echo "test secrets_not_logged ... ok ($lines lines of server log at debug5 scanned)"
else
	echo "test secrets_not_logged ... FAILED"
	status=1
fi
exit "$status"
