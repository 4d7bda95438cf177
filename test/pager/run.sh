#!/usr/bin/env bash
# Model-based property test of the paging state machine (src/pager.c, see
# test/pager/pager_model.c), built with gcc under AddressSanitizer and
# UndefinedBehaviorSanitizer.  No PostgreSQL needed.
#
#   test/pager/run.sh              fault and fixed cases, then 20,000 random ones
#   test/pager/run.sh --cases N    fault and fixed cases, then N random ones
#   test/pager/run.sh --seed N     replay one random case, every request shown
#   test/pager/run.sh --fixed I    replay one fixed case
#
# PAGER_SRC=file.c tests another copy of src/pager.c (to see the test fail).
source "$(dirname "$0")/../lib.sh"
cd "$SYMBL_ROOT"

symbl_install_packages gcc libc6-dev libasan8 libubsan1

build=test/pager/build
mkdir -p "$build"
gcc -std=c99 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Isrc -Itest/pager \
	-o "$build/pager_model" test/pager/pager_model.c test/pager/pager_cases.c \
	test/pager/pager_faults.c test/pager/model_api.c "${PAGER_SRC:-src/pager.c}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
exec "$build/pager_model" "$@"
