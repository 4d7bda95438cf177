#!/usr/bin/env bash
# The whole test suite of symbl_fdw, from a fresh Debian machine:
# installs what is missing, builds and installs the extension, runs the
# emulator's own tests, replays the fuzzing corpus, runs the pg_regress
# suite in a throwaway cluster (pg_virtualenv) against the emulator, kills
# the postmaster under waiting backends (test/pm_death.sh), then that suite
# once more with the extension built under AddressSanitizer and
# UBSan (test/asan.sh).
source "$(dirname "$0")/lib.sh"
cd "$SYMBL_ROOT"

symbl_base_packages
symbl_build_and_install

logdir=$(mktemp -d)
passed=0
failed=0

echo "== emulator self-tests"
if python3 -m unittest discover -s test/emulator -p 'test_*.py' >"$logdir/emulator.log" 2>&1; then
	emu_status=0
else
	emu_status=1
fi
tail -n 4 "$logdir/emulator.log"
emu_run=$(sed -n 's/^Ran \([0-9]*\) tests\?.*/\1/p' "$logdir/emulator.log" | tail -n 1)
emu_bad=$( (grep -oE '(failures|errors)=[0-9]+' "$logdir/emulator.log" || true) | awk -F= '{s+=$2} END {print s+0}')
passed=$((passed + ${emu_run:-0} - emu_bad))
failed=$((failed + emu_bad))
[ "$emu_status" -eq 0 ] || [ "$emu_bad" -gt 0 ] || failed=$((failed + 1))

echo "== the house plan: includes and calls only downward, no cycle (make check-layers)"
if make -s check-layers PG_CONFIG="/usr/lib/postgresql/$SYMBL_PG_VERSION/bin/pg_config" >"$logdir/layers.log" 2>&1; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi
cat "$logdir/layers.log"

echo "== fuzz corpus replayed under AddressSanitizer and UBSan"
if bash test/fuzz/run.sh --replay >"$logdir/fuzz.log" 2>&1; then
	passed=$((passed + 2))
else
	failed=$((failed + 1))
fi
tail -n 40 "$logdir/fuzz.log"

echo "== the pager against a model of the API, under ASan and UBSan"
if bash test/pager/run.sh >"$logdir/pager.log" 2>&1; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi
tail -n 40 "$logdir/pager.log"

echo "== pg_regress against the emulator"
rm -rf results regression.diffs regression.out
pg_virtualenv -t -v "$SYMBL_PG_VERSION" \
	"${SYMBL_REGRESS_VIRTUALENV_OPTS[@]}" \
	bash test/regress.sh >"$logdir/regress.log" 2>&1 9>&- || true
grep -E '^(test|     ) |^emulator at|tests passed|tests failed' "$logdir/regress.log" || true
symbl_count_regress "$logdir/regress.log" $(($(wc -l < test/schedule) + 2))
passed=$((passed + SYMBL_REGRESS_OK))
failed=$((failed + SYMBL_REGRESS_BAD))
[ -f regression.diffs ] && head -n 300 regression.diffs

echo "== the backend's allocator settings are left alone"
if bash test/allocator.sh >"$logdir/allocator.log" 2>&1; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi
tail -n 2 "$logdir/allocator.log"

echo "== postmaster death while a backend waits on the API"
if bash test/pm_death.sh >"$logdir/pm_death.log" 2>&1; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi
grep -E '^(ok|FAIL) |^test pm_death|still running|^    ' "$logdir/pm_death.log" || tail -n 20 "$logdir/pm_death.log"

echo "== the README's nightly retention job with pg_cron"
if bash test/cron.sh >"$logdir/cron.log" 2>&1; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	tail -n 30 "$logdir/cron.log"
fi
grep -E '^test cron_retention|^old conversations' "$logdir/cron.log" || true

echo "== the regression suite again, the extension under ASan and UBSan"
if bash test/asan.sh >"$logdir/asan.log" 2>&1; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	grep -E '^test |FAILED|^==|AddressSanitizer|runtime error|^symbl_fdw' "$logdir/asan.log" | head -n 80 || true
fi
tail -n 1 "$logdir/asan.log"

rm -rf "$logdir"
echo "symbl_fdw: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
