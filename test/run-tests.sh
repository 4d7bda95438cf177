#!/usr/bin/env bash
# The whole test suite of symbl_fdw, from a fresh Debian machine:
# installs what is missing, builds and installs the extension, runs the
# emulator's own tests, then the pg_regress suite in a throwaway cluster
# (pg_virtualenv) against the emulator.
source "$(dirname "$0")/lib.sh"
cd "$SYMBL_ROOT"

symbl_base_packages
symbl_build_and_install

passed=0
failed=0

echo "== emulator tests"
if python3 -m unittest discover -s test/emulator -p 'test_*.py' 2>&1 | tee /tmp/symbl_emulator_tests.log | tail -n 3; then
	:
fi
if grep -q '^OK' /tmp/symbl_emulator_tests.log; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	echo "emulator tests FAILED"
fi

echo "== pg_regress against the emulator"
rm -rf results regression.diffs regression.out
if pg_virtualenv -t -v "$SYMBL_PG_VERSION" bash test/regress.sh; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	[ -f regression.diffs ] && head -n 200 regression.diffs
fi

echo "symbl_fdw: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
