#!/usr/bin/env bash
# The README's run command: installs what it needs into .venv, then starts the bot, or the
# sandbox when no BOT_TOKEN is configured.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
exec .venv/bin/python -m bot start "$@"
