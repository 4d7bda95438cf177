#!/usr/bin/env bash
# The symbl_fdw benchmark, one command from a fresh Debian 12 machine:
#   bash bench/run.sh [--million] [--runs N]
# Installs what is missing, builds and installs the extension, then inside
# one throwaway cluster (pg_virtualenv -t) starts the emulators and measures.
# Results: bench/out/results.json, bench/chart.png, README.md's benchmark
# section (between <!-- bench:start --> and <!-- bench:end -->).
BENCH_T0=$(date +%s.%N)
export BENCH_T0
source "$(dirname "$0")/../test/lib.sh"
cd "$SYMBL_ROOT"

for arg in "$@"; do
	case "$arg" in
	--million | --runs | --conversations | [0-9]*) ;;
	*) echo "usage: bash bench/run.sh [--million] [--runs N]" >&2; exit 2 ;;
	esac
done

symbl_base_packages
symbl_install_packages postgresql-plpython3-$SYMBL_PG_VERSION gnuplot-nox
symbl_build_and_install

mkdir -p bench/out
pg_virtualenv -t -v "$SYMBL_PG_VERSION" bash bench/inner.sh "$@"
