#!/usr/bin/env bash
# For the day someone upgrades: re-locks requirements-test.txt, requirements.txt and requirements-ocr.txt to the newest
# versions pyproject.toml's bounds allow, installs them into .venv and runs the whole suite.
# Moving to a new minor of aiogram, aiosqlite or pydantic means widening its range in
# bot/compat.py and pyproject.toml first. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PIP_TOOLS_VERSION=7.6.2  # the locks' format follows the tool's version: pinned so re-locking changes only pins
tool=$(mktemp -d)
trap 'rm -rf "$tool"' EXIT
python3 -m venv "$tool"
"$tool/bin/python" -m pip install -q --disable-pip-version-check "pip-tools==$PIP_TOOLS_VERSION"
export CUSTOM_COMPILE_COMMAND="bash scripts/upgrade.sh"
# Index and find-links options stay out of the files: they describe this machine, not the project.
options=(--quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links --no-emit-trusted-host)
"$tool/bin/pip-compile" "${options[@]}" --upgrade --extra test -o requirements-test.txt pyproject.toml
# Seeded with the test lock and compiled without --upgrade, the runtime lock keeps the same pins,
# so the bot runs on exactly the versions the suite ran on.
cp requirements-test.txt requirements.txt
"$tool/bin/pip-compile" "${options[@]}" -o requirements.txt pyproject.toml
# The test lock plus the [ocr] extra, seeded the same way: what CI installs to run the OCR tests too.
cp requirements-test.txt requirements-ocr.txt
"$tool/bin/pip-compile" "${options[@]}" --extra test --extra ocr -o requirements-ocr.txt pyproject.toml
git --no-pager diff --stat -- requirements.txt requirements-test.txt requirements-ocr.txt 2>/dev/null || true
exec bash scripts/test.sh "$@"
