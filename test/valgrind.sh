#!/usr/bin/env bash
# Valgrind (memcheck) over scans, good and failing: a single-user backend
# runs full scans, pushed-down scans, and scans that fail half-way (a 500,
# malformed and truncated JSON, a wrong type, a bad timestamp), all against
# the emulator.  Passes when memcheck finds no invalid access and no
# definitely lost block allocated by the extension, json-c or libcurl.
source "$(dirname "$0")/lib.sh"
cd "$SYMBL_ROOT"

symbl_base_packages
symbl_install_packages valgrind
symbl_build_and_install

PG_BIN=/usr/lib/postgresql/$SYMBL_PG_VERSION/bin
work=$(mktemp -d)
chown postgres "$work"
trap 'symbl_stop_emulator; rm -rf "$work"' EXIT

su postgres -c "$PG_BIN/initdb -D $work/data -A trust >/dev/null"
symbl_start_emulator --conversations 3000
emu=$SYMBL_EMULATOR_URL

server() {	# name, base URL, extra options
	cat <<SQL
CREATE SERVER $1 FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url '$2', max_retries '0'${3:-});
CREATE USER MAPPING FOR CURRENT_USER SERVER $1 OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE SCHEMA $1;
IMPORT FOREIGN SCHEMA symbl FROM SERVER $1 INTO $1;
SQL
}

{
	echo "CREATE EXTENSION symbl_fdw;"
	server good "$emu" ", page_size '500'"
	server e500 "$emu/_x/status=500,after=2"
	server malformed "$emu/_x/body=not_json"
	server truncated "$emu/_x/body=truncated_json"
	server wrongtype "$emu/_x/body=wrongtype_name"
	server badtime "$emu/_x/body=bad_timestamp"
	server cut "$emu/_x/truncate=5000"
} > "$work/setup.sql"
su postgres -c "$PG_BIN/postgres --single -D $work/data postgres" < "$work/setup.sql" >/dev/null 2>&1

cat > "$work/scans.sql" <<'SQL'
SELECT count(*), sum(length(id) + length(coalesce(name, ''))), max(start_time), sum(jsonb_array_length(members)), count(metadata) FROM good.conversations;
SELECT id, name FROM good.conversations WHERE metadata->>'customerId' = 'cust-007' AND type IN ('call', 'chat') ORDER BY start_time DESC LIMIT 5;
SELECT count(*) FROM good.conversations WHERE start_time > '2025-06-01' AND name LIKE '%a%';
SELECT count(*) FROM e500.conversations;
SELECT count(*) FROM malformed.conversations;
SELECT count(*) FROM truncated.conversations;
SELECT name FROM wrongtype.conversations;
SELECT start_time FROM badtime.conversations;
SELECT count(*) FROM cut.conversations;
SELECT count(*) FROM good.conversations;
SQL
chmod 644 "$work"/*.sql

su postgres -c "valgrind --leak-check=full --show-leak-kinds=definite --num-callers=40 \
	$PG_BIN/postgres --single -D $work/data postgres" < "$work/scans.sql" > "$work/valgrind.out" 2>&1 || true

python3 - "$work/valgrind.out" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
records = re.split(r"\n==\d+== \n", text)
ours = ("symbl_fdw.so", "libjson-c", "libcurl")
bad = []
for rec in records:
    if re.search(r"Invalid (read|write|free)|uninitialised|Mismatched free", rec):
        bad.append(rec)
    elif "definitely lost in loss record" in rec and any(o in rec for o in ours):
        bad.append(rec)
for line in re.findall(r"ERROR:  (.*)", text):
    print("failed as intended:", line)
print(re.search(r"ERROR SUMMARY: .*", text).group(0))
print("valgrind findings in the extension, json-c or libcurl:", len(bad))
for rec in bad[:5]:
    print(rec[:3000])
print("valgrind: %d passed, %d failed" % (0 if bad else 1, 1 if bad else 0))
sys.exit(1 if bad else 0)
PY
