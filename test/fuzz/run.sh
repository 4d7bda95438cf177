#!/usr/bin/env bash
# libFuzzer harnesses for the places hostile bytes enter the extension:
# an API answer body (fuzz_page: a page of conversations, fuzz_part: one
# conversation's part, both src/response.c) and the values of quals
# (fuzz_request: src/deparse.c with src/http.c's encoder).  All are built
# with clang's AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   test/fuzz/run.sh [SECONDS]   fuzz each harness for SECONDS (default 180),
#                                then merge what found new coverage into
#                                test/fuzz/corpus/<harness>
#   test/fuzz/run.sh --replay    run every input of the committed corpus once
#                                (part of the test suite)
#
# A crash leaves its input in test/fuzz/build/ and the script fails.
source "$(dirname "$0")/../lib.sh"
cd "$SYMBL_ROOT"

symbl_base_packages
symbl_install_packages clang-14 libclang-rt-14-dev

mode=fuzz
seconds=180
case "${1:-}" in
--replay) mode=replay ;;
"") ;;
*) seconds=$1 ;;
esac

build=test/fuzz/build
mkdir -p "$build"
server_include=$(/usr/lib/postgresql/$SYMBL_PG_VERSION/bin/pg_config --includedir-server)
cflags=(-g -O1 -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-Wall -Werror -Wno-unused-parameter -Wno-ignored-attributes
	-Isrc -Itest/fuzz -I"$server_include")

build_harness() {	# name, extension sources...
	local name=$1
	shift
	clang-14 "${cflags[@]}" -o "$build/$name" "test/fuzz/$name.c" \
		test/fuzz/backend_stubs.c "$@" -lcurl -ljson-c -pthread
}
build_harness fuzz_page src/response.c src/json_values.c src/api_error.c src/json_worker.c src/http.c src/resource.c
build_harness fuzz_part src/response.c src/json_values.c src/part_convert.c src/json_worker.c src/http.c \
	src/resource.c src/part_column.c
build_harness fuzz_request src/deparse.c src/http.c src/resource.c

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

for name in fuzz_page fuzz_part fuzz_request; do
	corpus=test/fuzz/corpus/${name#fuzz_}
	dict=test/fuzz/${name#fuzz_}.dict
	opts=(-max_len=65536 -rss_limit_mb=4096 -artifact_prefix="$build/$name-")
	[ -f "$dict" ] && opts+=(-dict="$dict")
	if [ "$mode" = replay ]; then
		"$build/$name" "${opts[@]}" -runs=0 "$corpus" 2>"$build/$name.log" || {
			tail -40 "$build/$name.log"
			exit 1
		}
		echo "symbl_fdw: $name replayed $(ls "$corpus" | wc -l) inputs clean"
		continue
	fi
	found=$(mktemp -d)
	"$build/$name" "${opts[@]}" -max_total_time="$seconds" -print_final_stats=1 \
		"$found" "$corpus" 2>"$build/$name.log" || {
		tail -60 "$build/$name.log"
		rm -rf "$found"
		exit 1
	}
	grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/$name.log"
	"$build/$name" -merge=1 "$corpus" "$found" 2>>"$build/$name.log"
	rm -rf "$found"
	echo "symbl_fdw: $name ran ${seconds}s clean; corpus now $(ls "$corpus" | wc -l) inputs"
done
