"""The emulator is a package of its own: tgemu never imports the bot, only bot/sandbox/ joins the two."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = ("bot", "handlers", "dialogs")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file, those inside functions too."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.extend([(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names])
    return found


def imports_of(modules: list[Path], packages: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in modules
        for line, name in imported_modules(path)
        if name.split(".")[0] in packages
    ]


def python_files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def test_no_module_of_the_emulator_imports_the_bot():
    modules = python_files("tgemu")
    assert len(modules) >= 7, modules  # the check below must not pass on an empty or moved package

    assert imports_of(modules, APP_PACKAGES) == []


def test_the_import_check_sees_an_import_of_the_bot_wherever_it_is(tmp_path):
    # The same walk over a module that hides its imports where a quick look misses them.
    module = tmp_path / "sneaky.py"
    module.write_text(
        "import json\nfrom . import world\n"
        "def later():\n    import bot.clock\n    from handlers import filters\n"
        "class Late:\n    from dialogs.intake import x\n",
        encoding="utf-8",
    )
    names = [name for _, name in imported_modules(module) if name.split(".")[0] in APP_PACKAGES]

    assert names == ["bot.clock", "handlers", "handlers.filters", "dialogs.intake", "dialogs.intake.x"]


def test_only_the_sandbox_joins_the_bot_and_the_emulator():
    sandbox = ROOT / "bot" / "sandbox"
    outside = [path for path in python_files(*APP_PACKAGES) if sandbox not in path.parents]
    assert any(path.name == "app.py" for path in outside)

    assert imports_of(outside, ("tgemu",)) == []
    assert imports_of(python_files("bot/sandbox"), ("tgemu",)) != []


def test_the_bots_wheel_has_the_sandbox_and_its_page_but_not_the_emulator():
    setuptools = pytest.importorskip("setuptools", reason="the build backend pyproject.toml names")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    packages = set(setuptools.find_packages(where=str(ROOT), **config["packages"]["find"]))

    assert "tgemu" not in packages and not any(name.startswith("tgemu.") for name in packages)
    assert {"bot", "bot.sandbox", "handlers", "dialogs"} <= packages
    static = [
        path
        for pattern in config["package-data"]["bot.sandbox"]
        for path in (ROOT / "bot" / "sandbox").glob(pattern)
    ]
    assert {path.name for path in static} >= {"index.html", "app.css", "app.js"}

def test_the_sandbox_without_the_emulator_says_so_in_one_line(tmp_path):
    # A site with the bot's packages but no tgemu, as an installed wheel would have it.
    site = tmp_path / "site"
    site.mkdir()
    for package in APP_PACKAGES:
        (site / package).symlink_to(ROOT / package, target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("BOT_", "TELEGRAM_", "ENGINEERS_"))}
    env["PYTHONPATH"] = str(site)

    result = subprocess.run([sys.executable, "-m", "bot", "sandbox", "--demo-only"], capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=120)

    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "tgemu" in lines[0] and "checkout" in lines[0], lines
    assert "Sandbox:" not in result.stdout
