#!/usr/bin/env bash
# Runs inside pg_virtualenv: starts the emulator, then pg_regress.
source "$(dirname "$0")/lib.sh"
cd "$SYMBL_ROOT"
trap symbl_stop_emulator EXIT
symbl_start_emulator --conversations 1000
echo "emulator at $SYMBL_EMULATOR_URL"
make -s installcheck PG_CONFIG=/usr/lib/postgresql/$SYMBL_PG_VERSION/bin/pg_config
