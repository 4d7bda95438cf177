#!/usr/bin/env bash
# The backend's memory allocator is PostgreSQL's and the administrator's:
# symbl_fdw must never change glibc's settings (mallopt would override
# MALLOC_* and GLIBC_TUNABLES and switch off the dynamic mmap threshold for
# the rest of the backend's life) nor trim its heap.  Checks that the built
# library calls none of glibc's tuning functions.
# Run by test/run-tests.sh (one test); alone: bash test/allocator.sh
source "$(dirname "$0")/lib.sh"
cd "$SYMBL_ROOT"

make -s PG_CONFIG=/usr/lib/postgresql/$SYMBL_PG_VERSION/bin/pg_config
found=$(nm -D --undefined-only symbl_fdw.so |
	awk '{print $NF}' | sed 's/@.*//' |
	grep -xE 'mallopt|malloc_trim|malloc_set_state|__malloc_hook|__free_hook' |
	tr '\n' ' ' || true)
if [ -n "$found" ]; then
	echo "symbl_fdw.so calls glibc's allocator tuning: $found"
	echo "test allocator_untouched ... FAILED"
	exit 1
fi
echo "test allocator_untouched ... ok"
