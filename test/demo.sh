#!/usr/bin/env bash
# The symbl_fdw demo, from a fresh Debian machine: installs what is missing,
# builds and installs the extension, starts the bundled Symbl emulator with
# data up to now, and runs test/demo.sql in a throwaway cluster.
source "$(dirname "$0")/lib.sh"
cd "$SYMBL_ROOT"

symbl_base_packages
symbl_build_and_install

pg_virtualenv -t -v "$SYMBL_PG_VERSION" bash -c '
	source test/lib.sh
	trap symbl_stop_emulator EXIT
	symbl_start_emulator --conversations 2000 --anchor now
	echo "Symbl emulator at $SYMBL_EMULATOR_URL"
	psql -X -v ON_ERROR_STOP=1 -v emu="$SYMBL_EMULATOR_URL" -f test/demo.sql
' 9>&-
