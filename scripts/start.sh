#!/usr/bin/env bash
# The README's run command: installs the locked versions into .venv, then starts the bot, or the
# sandbox when no BOT_TOKEN is configured.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
# Exactly the versions (and files, by hash) the suite ran on; the project itself adds nothing to them.
.venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.txt
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
exec .venv/bin/python -m bot start "$@"
