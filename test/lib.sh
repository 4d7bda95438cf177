# Shared set-up for symbl_fdw's scripts: Debian packages, build, install,
# and the emulator.  Sourced by test/run-tests.sh, test/demo.sh and bench/.
set -euo pipefail

SYMBL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYMBL_PG_VERSION=15

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

symbl_base_packages() {
	symbl_install_packages make gcc libc6-dev curl python3 \
		postgresql-$SYMBL_PG_VERSION postgresql-server-dev-$SYMBL_PG_VERSION \
		postgresql-common libcurl4-openssl-dev libjson-c-dev
}

# Several checkouts on one machine share Debian's PostgreSQL installation:
# whoever installs the extension there holds the lock until its script
# ends, so another checkout's build cannot replace the library mid-run.
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
