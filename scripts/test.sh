#!/usr/bin/env bash
# The README's test command: installs the locked versions into .venv, then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
# The runtime lock plus the test tools, pinned and hashed: what CI runs is what a fresh machine gets.
# TEST_LOCK=requirements-ocr.txt adds the [ocr] extra (CI does), so the OCR tests run instead of skipping.
.venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r "${TEST_LOCK:-requirements-test.txt}"
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
# Tests run in as many worker processes as the machine has cores (pytest-xdist; each test starts its
# own emulator on a free port and its own database, so they share nothing). TEST_WORKERS=0 runs in one.
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" "$@"
