#!/usr/bin/env bash
# The pg_regress suite against any PostgreSQL server, 13 to 18:
#   bash test/run-version.sh /path/to/pg_config   # an installed server
#   bash test/run-version.sh 18                   # shared/postgresql/18.tar.xz, unpacked for the run
#   bash test/run-version.sh path/to/18.tar.xz    # the same, any archive
# Builds the extension from a copy of the tree and installs it into that
# server, makes a throwaway cluster (initdb, a free port, a Unix socket in a
# temporary folder; the postgres user owns it when run as root), starts the
# emulator, runs test/regress.sh (the schedule and the secrets-not-logged
# check) with the same settings as test/run-tests.sh, and removes all of it
# again, also on failure.  Ends with one line:
#   PostgreSQL 18.3: 10 passed, 0 failed
# A `TRAP:` line in the server log (a failed Assert() of an
# assertion-enabled server) counts as one more failed check.
# Optional, from the environment:
#   SYMBL_EXTRA_SETTINGS="debug_discard_caches=1 ..."  more server settings
#   SYMBL_SCHEDULE="options scan writes ..."  these tests of test/schedule
#                                             instead of the whole schedule
source "$(dirname "$0")/lib.sh"
cd "$SYMBL_ROOT"
# the cluster's owner reads the unpacked server and the installed files
umask 022

[ $# -eq 1 ] || { echo "usage: bash test/run-version.sh PG_CONFIG | VERSION | ARCHIVE.tar.xz" >&2; exit 2; }
target=$1

work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
	symbl_cluster_stop
	rm -rf "$work"
}
trap cleanup EXIT

read -r -a extra_settings <<<"${SYMBL_EXTRA_SETTINGS:-}"
for setting in "${extra_settings[@]}"; do
	[[ "$setting" == [a-z]*=* ]] || { echo "symbl_fdw: SYMBL_EXTRA_SETTINGS: not name=value: $setting" >&2; exit 2; }
done
read -r -a schedule <<<"${SYMBL_SCHEDULE:-}"
for test in "${schedule[@]}"; do
	grep -qxF -- "$test" test/schedule || { echo "symbl_fdw: SYMBL_SCHEDULE: $test is not in test/schedule" >&2; exit 2; }
done

symbl_build_packages
case "$target" in
*.tar.xz)
	archive=$target ;;
*/*)
	archive="" ;;
*)
	archives=$(symbl_archive_dir)
	archive=${archives:+$archives/$target.tar.xz}
	if [ -z "$archive" ] || [ ! -f "$archive" ]; then
		[ "$target" = "$SYMBL_PG_VERSION" ] || { echo "symbl_fdw: no archive for PostgreSQL $target" >&2; exit 2; }
		archive=""
		target=/usr/lib/postgresql/$SYMBL_PG_VERSION/bin/pg_config
		[ -x "$target" ] || symbl_base_packages
	fi ;;
esac
if [ -n "$archive" ]; then
	mkdir "$work/server"
	tar -xJf "$archive" -C "$work/server"
	target=$(echo "$work"/server/*/bin/pg_config)
fi
pg_config=$target
[ -x "$pg_config" ] || { echo "symbl_fdw: $pg_config is not a pg_config" >&2; exit 2; }
# the tree's programs with the tree's libpq (the trees carry no rpath, and
# Debian's older libpq lacks what a newer psql calls, e.g. on \connect)
# (and the tests' own `psql` calls are that tree's psql, not Debian's)
export LD_LIBRARY_PATH="$("$pg_config" --libdir)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$("$pg_config" --bindir):$PATH"
version=$("$pg_config" --version)
version=${version%% (*}			# "PostgreSQL 15.20 (Debian …)"
# the run's name: the version, and what SYMBL_SCHEDULE and
# SYMBL_EXTRA_SETTINGS change
[ ${#schedule[@]} -eq 0 ] || version+=" (${#schedule[@]} of $(wc -l <test/schedule) tests)"
[ ${#extra_settings[@]} -eq 0 ] || version+=" with ${extra_settings[*]}"
# the schedule's tests, and regress.sh's two checks
expected=$(($(wc -l <test/schedule) + 2))
[ ${#schedule[@]} -eq 0 ] || expected=$((${#schedule[@]} + 2))

result() {
	echo "$version: $1 passed, $2 failed"
	exit $(($2 > 0))
}

echo "== $version: build and install"
if ! symbl_build_copy_and_install "$pg_config" "$work/tree" 2>&1 | tee "$work/build.log" | tail -n 40; then
	result 0 "$expected"
fi
# the Makefile's REGRESS is the copy's test/schedule
[ ${#schedule[@]} -eq 0 ] || printf '%s\n' "${schedule[@]}" >"$work/tree/test/schedule"
# the same flags as the Makefile: any warning on any version is a failure
if grep -q 'warning:' "$work/build.log"; then
	echo "$version: the build has warnings"
	result 0 "$expected"
fi

echo "== $version: pg_regress against the emulator"
if ! symbl_cluster_start "$pg_config" "$work/cluster" "${SYMBL_REGRESS_SETTINGS[@]}" \
	${extra_settings[@]+"${extra_settings[@]}"}; then
	result 0 "$expected"
fi
SYMBL_PG_CONFIG=$pg_config SYMBL_SERVER_LOG=$SYMBL_CLUSTER_LOG \
	bash "$work/tree/test/regress.sh" >"$work/regress.log" 2>&1 || true
grep -E '^(test|     |ok|not ok) |^# |^emulator at|tests passed|tests failed' "$work/regress.log" || true
symbl_count_regress "$work/regress.log" "$expected"
# an assertion-enabled server logs a failed Assert() as "TRAP: …" (and the
# backend aborts): one more failure, whatever pg_regress made of it
traps=$(grep -c '^TRAP:' "$SYMBL_CLUSTER_LOG" || true)
if [ "$traps" -gt 0 ]; then
	echo "test no_trap_in_server_log ... FAILED ($traps TRAP: lines)"
	# (not the crashed statement's text the postmaster logs: it may hold a secret)
	grep -B 5 -A 20 '^TRAP:' "$SYMBL_CLUSTER_LOG" | grep -v 'Failed process was running' | head -n 120
	SYMBL_REGRESS_BAD=$((SYMBL_REGRESS_BAD + 1))
fi
if [ "$SYMBL_REGRESS_BAD" -gt 0 ]; then
	[ -f "$work/tree/regression.diffs" ] && head -n 300 "$work/tree/regression.diffs"
	grep -E '^symbl_fdw|^make|secret leaked' "$work/regress.log" | head -n 20 || true
	# kept for a look: results/<version>/ (results/ is the checkout's pg_regress output)
	keep=$(echo "$version" | tr -cs 'A-Za-z0-9._=\n' '-')
	keep=$SYMBL_ROOT/results/${keep%-}
	rm -rf "$keep" && mkdir -p "$keep"
	cp -r "$work/tree/results/." "$work/tree/regression.diffs" "$keep/" 2>/dev/null || true
	[ "$traps" -eq 0 ] || cp "$SYMBL_CLUSTER_LOG" "$keep/server.log"
	echo "results and regression.diffs kept in ${keep#"$SYMBL_ROOT"/}"
fi
result "$SYMBL_REGRESS_OK" "$SYMBL_REGRESS_BAD"
