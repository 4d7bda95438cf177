# Shared set-up for symbl_fdw's scripts: Debian packages, build, install,
# and the emulator.  Sourced by test/run-tests.sh, test/demo.sh and bench/.
set -euo pipefail

SYMBL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYMBL_PG_VERSION=15

# The server settings the regression suite runs with, on any cluster:
# test/regress.sh scans the debug5 log for secrets, and a failing
# statement's text (the user's own SQL, logged as typed) stays out of it.
SYMBL_REGRESS_SETTINGS=(log_min_messages=debug5 log_min_error_statement=panic)
# The tests .ci/run runs with debug_discard_caches = 1 on the cassert build
# (test/run-version.sh's SYMBL_SCHEDULE): options and IMPORT, planning and
# pushdown, scans, a part join, ANALYZE and the writes
SYMBL_DISCARD_CACHES_SCHEDULE="options import scan pushdown join analyze writes"
SYMBL_REGRESS_VIRTUALENV_OPTS=()
for _setting in "${SYMBL_REGRESS_SETTINGS[@]}"; do
	SYMBL_REGRESS_VIRTUALENV_OPTS+=(-o "$_setting")
done
unset _setting

# Install what is missing from Debian.  Runs as root (CI, fresh machines) or
# through sudo when a developer runs it as themselves.
symbl_install_packages() {
	local missing=() pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "symbl_fdw: installing Debian packages: ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# what building the extension and running the suite need, any server
symbl_build_packages() {
	symbl_install_packages make gcc libc6-dev curl python3 xz-utils \
		libcurl4-openssl-dev libjson-c-dev
}

symbl_base_packages() {
	symbl_build_packages
	symbl_install_packages postgresql-$SYMBL_PG_VERSION \
		postgresql-server-dev-$SYMBL_PG_VERSION postgresql-common \
		postgresql-$SYMBL_PG_VERSION-cron
}

# Several checkouts on one machine share Debian's PostgreSQL installation:
# whoever installs the extension there holds the lock until its script
# ends, so another checkout's build cannot replace the library mid-run.
# The servers a script starts get `9>&-`: one left behind by a killed run
# would otherwise hold the lock for ever.
symbl_lock_installation() {
	[ -n "${SYMBL_INSTALL_LOCKED:-}" ] && return 0
	exec 9>/tmp/symbl_fdw-install.lock
	flock 9
	export SYMBL_INSTALL_LOCKED=1
}

symbl_build_and_install() {
	local sudo=""
	symbl_lock_installation
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	make -C "$SYMBL_ROOT" -s PG_CONFIG=/usr/lib/postgresql/$SYMBL_PG_VERSION/bin/pg_config
	$sudo make -C "$SYMBL_ROOT" -s install PG_CONFIG=/usr/lib/postgresql/$SYMBL_PG_VERSION/bin/pg_config
}

# Start the emulator on a free loopback port; sets SYMBL_EMULATOR_URL and
# SYMBL_EMULATOR_PID.  Extra arguments go to the emulator.
symbl_start_emulator() {
	local ready
	ready=$(mktemp)
	rm -f "$ready"
	python3 "$SYMBL_ROOT/test/emulator/symbl_emulator.py" --host 127.0.0.1 --port 0 \
		--ready-file "$ready" "$@" >/dev/null 2>"$ready.err" &
	SYMBL_EMULATOR_PID=$!
	for _ in $(seq 1 600); do
		[ -s "$ready" ] && break
		kill -0 "$SYMBL_EMULATOR_PID" 2>/dev/null || { cat "$ready.err" >&2; return 1; }
		sleep 0.1
	done
	[ -s "$ready" ] || { echo "symbl_fdw: the emulator did not start" >&2; return 1; }
	SYMBL_EMULATOR_URL="http://127.0.0.1:$(cat "$ready")"
	export SYMBL_EMULATOR_URL SYMBL_EMULATOR_PID
	rm -f "$ready" "$ready.err"
}

symbl_stop_emulator() {
	[ -n "${SYMBL_EMULATOR_PID:-}" ] && kill "$SYMBL_EMULATOR_PID" 2>/dev/null || true
	wait "${SYMBL_EMULATOR_PID:-}" 2>/dev/null || true
}

# The prebuilt servers of other major versions (one NN.tar.xz each, see
# their README.md): shared/postgresql/ in the folder that holds the clone
# (or, for a git worktree, the main checkout).  SYMBL_PG_ARCHIVES
# overrides.  Prints the folder, or nothing when there is none.
symbl_archive_dir() {
	local parent candidates=()
	[ -n "${SYMBL_PG_ARCHIVES:-}" ] && candidates+=("$SYMBL_PG_ARCHIVES")
	candidates+=("$SYMBL_ROOT/../shared/postgresql" "$(cd "$SYMBL_ROOT" && pwd -P)/../shared/postgresql")
	parent=$(git -C "$SYMBL_ROOT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
	[ -n "$parent" ] && candidates+=("$(dirname "$(dirname "$parent")")/shared/postgresql")
	for parent in "${candidates[@]}"; do
		if compgen -G "$parent/*.tar.xz" >/dev/null; then
			(cd "$parent" && pwd)
			return 0
		fi
	done
}

# The assertion-enabled 18.3 built with -O1 (its README.md says how):
# shared/postgresql-cassert/18-cassert.tar.xz, found as symbl_archive_dir
# finds shared/postgresql/; SYMBL_CASSERT_ARCHIVE overrides.  Prints the
# archive, or nothing when there is none.
symbl_cassert_archive() {
	local parent candidates=()
	if [ -n "${SYMBL_CASSERT_ARCHIVE:-}" ]; then
		[ -f "$SYMBL_CASSERT_ARCHIVE" ] && echo "$SYMBL_CASSERT_ARCHIVE"
		return 0
	fi
	candidates+=("$SYMBL_ROOT/.." "$(cd "$SYMBL_ROOT" && pwd -P)/..")
	parent=$(git -C "$SYMBL_ROOT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
	[ -n "$parent" ] && candidates+=("$(dirname "$(dirname "$parent")")")
	for parent in "${candidates[@]}"; do
		if [ -f "$parent/shared/postgresql-cassert/18-cassert.tar.xz" ]; then
			echo "$(cd "$parent/shared/postgresql-cassert" && pwd)/18-cassert.tar.xz"
			return 0
		fi
	done
}

# The user a throwaway cluster runs as: the server refuses root, so as root
# the postgres user (created if missing), else whoever runs the script.
symbl_cluster_owner() {
	if [ "$(id -u)" -ne 0 ]; then
		id -un
		return 0
	fi
	id postgres >/dev/null 2>&1 ||
		useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin postgres
	echo postgres
}

symbl_as_cluster_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$SYMBL_CLUSTER_OWNER" -- "$@"
	else
		"$@"
	fi
}

# A throwaway cluster of any installed server: symbl_cluster_start
# PG_CONFIG DIR [name=value ...] makes DIR (empty, removed by the caller),
# runs initdb there and starts the server with those settings, on a free
# port, listening only on a Unix socket in DIR.  Sets and exports PGHOST,
# PGPORT, PGUSER and PGDATABASE, and SYMBL_CLUSTER_LOG (the server log).
symbl_cluster_start() {
	local pg_config=$1 dir=$2 bin setting
	shift 2
	bin=$("$pg_config" --bindir)
	SYMBL_CLUSTER_OWNER=$(symbl_cluster_owner)
	SYMBL_CLUSTER_BIN=$bin
	SYMBL_CLUSTER_DATA=$dir/data
	SYMBL_CLUSTER_LOG=$dir/server.log
	mkdir -p "$dir"
	chmod 755 "$dir"
	[ "$(id -u)" -ne 0 ] || chown "$SYMBL_CLUSTER_OWNER" "$dir"
	symbl_as_cluster_owner "$bin/initdb" -D "$SYMBL_CLUSTER_DATA" -A trust -E UTF8 \
		--locale=C.UTF-8 -U "$SYMBL_CLUSTER_OWNER" >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; return 1; }
	PGPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	{
		echo "port = $PGPORT"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "fsync = off"
		for setting in "$@"; do
			echo "${setting%%=*} = '${setting#*=}'"
		done
	} >>"$SYMBL_CLUSTER_DATA/postgresql.conf"
	symbl_as_cluster_owner "$bin/pg_ctl" -D "$SYMBL_CLUSTER_DATA" -l "$SYMBL_CLUSTER_LOG" \
		-w -t 120 start >/dev/null ||
		{ cat "$SYMBL_CLUSTER_LOG" >&2; return 1; }
	PGHOST=$dir
	PGUSER=$SYMBL_CLUSTER_OWNER
	PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE SYMBL_CLUSTER_LOG
}

symbl_cluster_stop() {
	[ -n "${SYMBL_CLUSTER_DATA:-}" ] && [ -f "$SYMBL_CLUSTER_DATA/postmaster.pid" ] || return 0
	symbl_as_cluster_owner "$SYMBL_CLUSTER_BIN/pg_ctl" -D "$SYMBL_CLUSTER_DATA" -m immediate \
		-w stop >/dev/null 2>&1 || true
}

# Build and install the extension into the server of PG_CONFIG from a copy
# of the tree in DIR (the checkout's own objects stay those of Debian's 15).
# Debian's own server is shared by every checkout: that install takes the lock.
symbl_build_copy_and_install() {
	local pg_config=$1 dir=$2 sudo=""
	mkdir -p "$dir"
	cp -r "$SYMBL_ROOT"/{Makefile,README.md,symbl_fdw.control,sql,expected,src,test} "$dir/"
	rm -f "$dir"/src/*.o "$dir"/*.so
	make -C "$dir" -s PG_CONFIG="$pg_config" || return 1
	if [ ! -w "$("$pg_config" --pkglibdir)" ]; then
		symbl_lock_installation
		[ "$(id -u)" -eq 0 ] || sudo=sudo
	fi
	$sudo make -C "$dir" -s PG_CONFIG="$pg_config" install
}

# Counts a pg_regress run's results (either output format: "test x ... ok"
# before 16, TAP "ok 1 - x" since) into SYMBL_REGRESS_OK and SYMBL_REGRESS_BAD;
# EXPECTED is how many it should report, so a run cut short counts as failed.
symbl_count_regress() {
	local log=$1 expected=$2
	SYMBL_REGRESS_OK=$(grep -cE '^(ok|test|     ) .* \.\.\. ok|^ok [0-9]+ ' "$log" || true)
	SYMBL_REGRESS_BAD=$(grep -cE 'FAILED|failed \(ignored\)|^not ok [0-9]+ ' "$log" || true)
	if [ "$SYMBL_REGRESS_OK" -ne "$expected" ] && [ "$SYMBL_REGRESS_BAD" -eq 0 ]; then
		SYMBL_REGRESS_BAD=$((expected - SYMBL_REGRESS_OK))
	fi
}
