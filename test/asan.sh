#!/usr/bin/env bash
# The whole regression suite with the extension built under
# AddressSanitizer and UndefinedBehaviorSanitizer (gcc's runtimes), loaded
# into Debian's uninstrumented server with LD_PRELOAD.  Passes when the
# suite passes and the sanitizers wrote no report.  Afterwards the normal
# build is installed again.
#
# What it cannot see: overruns inside palloc'd chunks (palloc hands out
# pieces of larger blocks, in the uninstrumented server), and signed
# overflow, which PostgreSQL's -fwrapv makes defined (the fuzz harnesses,
# built without it, check that one).  LeakSanitizer is off: the server
# leaves its own memory to process exit.
source "$(dirname "$0")/lib.sh"
cd "$SYMBL_ROOT"

symbl_lock_installation
symbl_base_packages
symbl_install_packages libasan8 libubsan1
PG_CONFIG=/usr/lib/postgresql/$SYMBL_PG_VERSION/bin/pg_config

work=$(mktemp -d)
chmod 755 "$work"
restore() {
	rm -rf "$work"
	symbl_build_and_install
}
trap restore EXIT

# the sanitized build, in a copy of the tree so that the normal objects stay
gcc -O2 -Wall -fPIC -shared -o "$work/nls_shim.so" test/asan/nls_shim.c -ldl
mkdir -p "$work/tree/src"
cp -r Makefile symbl_fdw.control sql "$work/tree/"
cp src/*.c src/*.h "$work/tree/src/"
make -C "$work/tree" -s with_llvm=no SANITIZE=1 PG_CONFIG="$PG_CONFIG"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo make -C "$work/tree" -s with_llvm=no SANITIZE=1 PG_CONFIG="$PG_CONFIG" install
# (grep without -q: it must read all of nm's output, or pipefail trips)
nm -D "$($PG_CONFIG --pkglibdir)/symbl_fdw.so" | grep __asan_report_load8 >/dev/null ||
	{ echo "symbl_fdw: the installed library is not instrumented"; exit 1; }

gcc -fsanitize=address -fno-omit-frame-pointer -g -fPIC -shared \
	-I"$($PG_CONFIG --includedir-server)" -o "$work/canary.so" test/asan/canary.c
chmod 644 "$work/canary.so"

reports=$work/reports
mkdir -m 1777 "$reports"
cat >"$work/environment" <<ENV
LD_PRELOAD = '$(gcc -print-file-name=libasan.so) $work/nls_shim.so'
ASAN_OPTIONS = 'detect_leaks=0:log_path=$reports/asan:print_suppressions=0'
UBSAN_OPTIONS = 'print_stacktrace=1:log_path=$reports/ubsan'
ENV
chmod 644 "$work/environment" "$work/nls_shim.so"

# after the suite, the canary overflows a buffer in the same server
canary="psql -X -q -v ON_ERROR_STOP=0 -d postgres \
	-c \"CREATE FUNCTION pg_temp.canary(int) RETURNS void AS '$work/canary.so', 'symbl_asan_canary' LANGUAGE C STRICT\" \
	-c 'SELECT pg_temp.canary(8)' >/dev/null 2>&1; sleep 1"

status=0
SYMBL_SERVER_ENVIRONMENT=$work/environment SYMBL_AFTER_SUITE=$canary \
	pg_virtualenv -t -v "$SYMBL_PG_VERSION" \
	"${SYMBL_REGRESS_VIRTUALENV_OPTS[@]}" \
	bash test/regress.sh 9>&- || status=$?
[ -f regression.diffs ] && head -n 200 regression.diffs

canary_reports=$(grep -l "heap-buffer-overflow" "$reports"/* 2>/dev/null |
	xargs -r grep -l "symbl_asan_canary" | wc -l)
if [ "$canary_reports" -ne 1 ]; then
	echo "symbl_fdw: the canary's overflow was not reported: sanitizer reports would not be seen"
	status=1
fi
found=$(($(find "$reports" -type f | wc -l) - canary_reports))
if [ "$found" -gt 0 ]; then
	for report in $(grep -L "symbl_asan_canary" "$reports"/*); do
		echo "== $report"
		head -n 60 "$report"
	done
	status=1
fi
echo "symbl_fdw: regression suite under ASan/UBSan: $([ "$status" -eq 0 ] && echo clean || echo FAILED), $found sanitizer reports (and the canary's deliberate overflow reported: $canary_reports)"
exit "$status"
