#!/usr/bin/env bash
# The symbl_fdw benchmark, one command from a fresh Debian 12 machine:
#   bash bench/run.sh [--million | --parts | --writes] [--runs N] [--pg-config PATH]
# Installs what is missing, builds and installs the extension, then inside
# one throwaway cluster starts the emulators and measures.  By default that
# is Debian's PostgreSQL 15 in pg_virtualenv -t; --pg-config PATH uses any
# other installed server (13 to 18, e.g. one of shared/postgresql/), built
# and installed from a copy of the tree, in a cluster made like
# test/run-version.sh's.
# Results: bench/out/results.json, bench/chart.png, README.md's benchmark
# section (between <!-- bench:start --> and <!-- bench:end -->); with
# --parts only the part tables' figures (bench/parts.py): bench/out/parts.json,
# bench/chart-parts.png and the section between <!-- bench-parts:start -->
# and <!-- bench-parts:end -->; with --writes only the writes' figures
# (bench/writes.py): bench/out/writes.json and the section between
# <!-- bench-writes:start --> and <!-- bench-writes:end -->.
BENCH_T0=$(date +%s.%N)
export BENCH_T0
source "$(dirname "$0")/../test/lib.sh"
cd "$SYMBL_ROOT"

usage="usage: bash bench/run.sh [--million | --parts | --writes] [--runs N] [--pg-config PATH]"
pg_config=""
inner_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--pg-config) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; pg_config=$2; shift ;;
	--million | --parts | --writes | --runs | --conversations | [0-9]*) inner_args+=("$1") ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
	shift
done

mkdir -p bench/out
if [ -z "$pg_config" ]; then
	symbl_base_packages
	symbl_install_packages postgresql-plpython3-$SYMBL_PG_VERSION gnuplot-nox
	symbl_build_and_install
	pg_virtualenv -t -v "$SYMBL_PG_VERSION" bash bench/inner.sh "${inner_args[@]}" 9>&-
	exit
fi

[ -x "$pg_config" ] || { echo "bench: $pg_config is not a pg_config" >&2; exit 2; }
symbl_build_packages
symbl_install_packages gnuplot-nox
# the cluster's owner reads the unpacked server and the installed files
umask 022
work=$(mktemp -d)
chmod 755 "$work"
trap 'symbl_cluster_stop; rm -rf "$work"' EXIT
symbl_build_copy_and_install "$pg_config" "$work/tree"
symbl_cluster_start "$pg_config" "$work/cluster"
# bench.py runs psql from PATH: that server's own (with its own libpq); its
# figures go to a README section of their own, beside the 15 ones
major=$("$pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
PATH=$("$pg_config" --bindir):$PATH \
	LD_LIBRARY_PATH="$("$pg_config" --libdir)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
	SYMBL_BENCH_SECTION="bench-pg$major" SYMBL_BENCH_TITLE="Benchmark on PostgreSQL $major" \
	bash bench/inner.sh "${inner_args[@]}"
