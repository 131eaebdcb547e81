"""Tested library versions: start-up refuses others with one line; pyproject and the lock files agree with them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from bot.compat import TESTED, UntestedVersion, _release, check_versions
from bot.config import SettingsError

ROOT = Path(__file__).resolve().parent.parent
GOOD_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"


def fake_install(root: Path, name: str, version: str) -> Path:
    """Metadata of `name` at `version` in a directory that goes first on sys.path: importlib.metadata
    finds it before the real one, while the real package is still what gets imported."""
    info = root / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return root


def run_cli(*args: str, site: Path, token: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("BOT_", "TELEGRAM_", "ENGINEERS_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT)])
    if token:
        env["BOT_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env,
                          cwd=site, timeout=120)


@pytest.mark.parametrize("command, token", [
    (["run"], GOOD_TOKEN),
    (["run", "--webhook"], GOOD_TOKEN),
    (["start"], GOOD_TOKEN),
    (["start", "--demo-only"], None),  # no token: start opens the sandbox, which runs the bot too
    (["sandbox", "--demo-only"], None),
])
def test_commands_that_run_the_bot_refuse_an_untested_aiogram_minor_with_one_line(tmp_path, command, token):
    site = fake_install(tmp_path / "site", "aiogram", "3.99.0")

    result = run_cli(*command, site=site, token=token)

    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # With no token `start` says first that it opens the sandbox; then comes the one refusing line.
    refusal = [line for line in lines if "aiogram" in line]
    assert len(refusal) == 1 and len(lines) == (2 if token is None and command[0] == "start" else 1), lines
    assert "aiogram 3.99.0" in refusal[0] and "aiogram>=3.31,<3.32" in refusal[0]
    assert "Traceback" not in result.stderr and "Sandbox:" not in result.stdout


def test_commands_that_only_read_files_work_with_any_aiogram(tmp_path):
    # `hours` and `firmware` never touch aiogram's or aiosqlite's internals: no reason to refuse them.
    site = fake_install(tmp_path / "site", "aiogram", "3.99.0")
    env_root = str(ROOT / "data" / "calendar")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "hours", "--at", "2026-01-12T08:00", "--json"], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]), "CALENDAR_DIR": env_root},
        cwd=site, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert '"open": true' in result.stdout


def test_the_installed_versions_are_inside_the_tested_ranges():
    check_versions()  # what the suite runs on is what start-up accepts


@pytest.mark.parametrize("installed, refused", [
    ({"aiogram": "3.30.9"}, "aiogram 3.30.9 is installed"),
    ({"aiogram": "3.32.0"}, "aiogram 3.32.0 is installed"),
    ({"aiogram": "4.0"}, "aiogram 4.0 is installed"),
    ({"aiosqlite": "0.23.0"}, "aiosqlite 0.23.0 is installed, but this bot is tested with aiosqlite>=0.22,<0.23"),
    ({"pydantic": "2.12.5"}, "pydantic 2.12.5 is installed, but this bot is tested with pydantic>=2.13,<2.14"),
    ({"pydantic": None}, "pydantic is not installed; this bot needs pydantic>=2.13,<2.14"),
    ({"aiosqlite": "dev"}, "aiosqlite dev has a version this bot cannot read"),
])
def test_check_versions_names_the_library_outside_its_range(installed, refused):
    versions = {"aiogram": "3.31.0", "aiosqlite": "0.22.1", "pydantic": "2.13.5", **installed}

    def lookup(name: str) -> str:
        if versions[name] is None:
            raise metadata.PackageNotFoundError(name)
        return versions[name]

    with pytest.raises(UntestedVersion) as caught:
        check_versions(lookup)
    assert refused in str(caught.value) and "\n" not in str(caught.value)
    assert isinstance(caught.value, SettingsError)  # every existing one-line catch handles it


def test_check_versions_accepts_any_patch_of_a_tested_minor():
    for aiogram in ("3.31.0", "3.31.7", "3.31.2.post1"):
        check_versions({"aiogram": aiogram, "aiosqlite": "0.22.0", "pydantic": "2.13.99"}.__getitem__)


# --- pyproject.toml and the lock files mirror bot/compat.py ---------------------------------------------------

def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _requirement(spec: str) -> tuple[str, str]:
    name = re.match(r"[A-Za-z0-9_.-]+", spec).group()
    return name.lower().replace("_", "-"), spec[len(name):].replace(" ", "")


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text()
    return {m.group(1).lower().replace("_", "-"): m.group(2)
            for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.MULTILINE)}


def test_pyproject_bounds_mirror_the_tested_ranges():
    declared = dict(_requirement(d) for d in _pyproject()["project"]["dependencies"])
    for name, (lowest, below) in TESTED.items():
        assert declared.get(name) == f">={lowest},<{below}", (name, declared.get(name))


def test_every_dependency_has_an_upper_bound():
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    for spec in [*project["dependencies"], *extras["test"], *extras["ocr"]]:
        name, bounds = _requirement(spec)
        assert re.search(r"(^|,)<[0-9]", bounds), f"{name} has no upper bound: {spec!r}"


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-test.txt", "requirements-ocr.txt"])
def test_locks_pin_every_package_with_hashes_inside_the_bounds(lock):
    text = (ROOT / lock).read_text()
    pins = _pins(lock)
    # Every requirement line is pinned and hashed, or `pip install --require-hashes` refuses the file.
    entries = re.findall(r"^([A-Za-z0-9_.-]+\S*)((?: \\\n\s+--hash=sha256:[0-9a-f]{64})+)?", text, re.MULTILINE)
    assert entries and all("==" in spec and hashes for spec, hashes in entries), \
        [spec for spec, hashes in entries if not hashes]
    for name, (lowest, below) in TESTED.items():
        assert _release(lowest) <= _release(pins[name]) < _release(below), (name, pins[name])
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    wanted = (project["dependencies"] + (extras["test"] if lock != "requirements.txt" else [])
              + (extras["ocr"] if "ocr" in lock else []))
    for spec in wanted:
        name, _ = _requirement(spec)
        assert name in pins, f"{lock} does not pin {name}"


def test_the_runtime_lock_runs_on_the_versions_the_test_lock_ran_on():
    run, test = _pins("requirements.txt"), _pins("requirements-test.txt")
    assert {name: version for name, version in run.items() if test.get(name) != version} == {}


def test_the_ocr_lock_adds_the_extra_without_moving_a_test_pin():
    # CI runs the suite from requirements-ocr.txt: it must be the test lock plus the extra, nothing moved.
    test, ocr = _pins("requirements-test.txt"), _pins("requirements-ocr.txt")
    assert {name: version for name, version in test.items() if ocr.get(name) != version} == {}
    assert "rapidocr-onnxruntime" in ocr and "rapidocr-onnxruntime" not in test


def test_response_models_outlive_a_garbage_collection():
    import gc
    import weakref

    from aiogram.methods.base import Response
    from aiogram.types import Message

    from bot.compat import keep_response_models

    keep_response_models()
    model = weakref.ref(Response[Message])  # what sendMessage's answers are parsed with
    gc.collect()
    # Still there for the session's next look-up: nothing is rebuilt after the collection.
    assert model() is not None and Response[Message] is model()
