#!/usr/bin/env bash
# The README's nightly retention job with pg_cron (postgresql-15-cron):
# in a throwaway cluster that preloads pg_cron, schedule exactly the
# README's cron.schedule() call, check that pg_cron took it, then run the
# command it scheduled (pg_cron 1.4 runs jobs at most once a minute, so the
# test does not wait for 03:00): afterwards no conversation older than two
# years is left, and the API saw one DELETE per old conversation.
#
# Run by test/run-tests.sh (one test); alone: bash test/cron.sh (as root:
# the cluster runs as the postgres user).
source "$(dirname "$0")/lib.sh"
cd "$SYMBL_ROOT"
umask 022

symbl_base_packages
symbl_build_and_install

work=$(mktemp -d /tmp/symbl_cron.XXXXXX)
chmod 755 "$work"
cleanup() {
	symbl_cluster_stop
	symbl_stop_emulator
	rm -rf "$work"
}
trap cleanup EXIT

symbl_cluster_start /usr/lib/postgresql/$SYMBL_PG_VERSION/bin/pg_config "$work/cluster" \
	shared_preload_libraries=pg_cron cron.database_name=postgres "cron.host=$work/cluster"
# a dataset anchored a year ago: its two years of conversations reach back
# three, so about half are older than two years
symbl_start_emulator --conversations 1000 --anchor "$(date -u -d '365 days ago' +%Y-%m-%dT00:00:00Z)"
PSQL=(/usr/lib/postgresql/$SYMBL_PG_VERSION/bin/psql -X -q -A -t -v ON_ERROR_STOP=1)

# the README's set-up (writes allowed on the table), then its job
"${PSQL[@]}" <<EOF
CREATE EXTENSION symbl_fdw;
CREATE SERVER symbl FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url '$SYMBL_EMULATOR_URL/_x/tag=cron');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE SCHEMA symbl;
IMPORT FOREIGN SCHEMA symbl LIMIT TO (conversations) FROM SERVER symbl INTO symbl;
EOF
sed -n '/<!-- retention:start -->/,/<!-- retention:end -->/p' README.md | sed '1,2d;$d' | sed '$d' >"$work/retention.sql"
echo "-- the README's retention example:"
cat "$work/retention.sql"
"${PSQL[@]}" -f "$work/retention.sql" >/dev/null

job=$("${PSQL[@]}" -c "SELECT jobname || ' | ' || schedule || ' | ' || command FROM cron.job")
echo "cron.job: $job"
old=$("${PSQL[@]}" -c "SELECT count(*) FROM symbl.conversations WHERE start_time < now() - interval '2 years'")
# what pg_cron runs at 03:00, run now
"${PSQL[@]}" -c "DO \$\$ BEGIN EXECUTE (SELECT command FROM cron.job WHERE jobname = 'symbl-retention'); END \$\$"
left=$("${PSQL[@]}" -c "SELECT count(*) FROM symbl.conversations WHERE start_time < now() - interval '2 years'")
deletes=$(curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=cron" | grep -c '^DELETE .* -> 200$' || true)
echo "old conversations before: $old, after: $left, DELETE requests answered 200: $deletes"

status=0
case "$job" in
"symbl-retention | 0 3 * * * | DELETE FROM symbl.conversations WHERE start_time < now() - interval '2 years'") ;;
*) echo "FAIL: pg_cron does not hold the README's job"; status=1 ;;
esac
[ "$left" = 0 ] || { echo "FAIL: $left old conversations left"; status=1; }
[ "$deletes" = "$old" ] && [ "$old" -gt 0 ] || { echo "FAIL: $deletes deletes for $old old conversations"; status=1; }
if [ "$status" -eq 0 ]; then
	echo "test cron_retention ... ok"
else
	echo "test cron_retention ... FAILED"
fi
exit "$status"
