"""Fixtures: a sandbox (emulator + real bot over HTTP) per test, and a plain database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bot.compat import install_lazy_validators

# As the commands that run the bot do before aiogram is imported (bot/cli/common.py): the suite runs
# aiogram's validators the way production does.
install_lazy_validators()

from bot.clock import MSK, FixedClock  # noqa: E402
from bot.sandbox import Sandbox  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from tests.helpers import Desk  # noqa: E402

# A Tuesday morning: the desk is open, so tests that do not care about hours see no after-hours notes.
WORKING_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=MSK)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(WORKING_MORNING)


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "test.sqlite3")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def desk(tmp_path, clock, request) -> AsyncIterator[Desk]:
    """The whole desk running against the emulator. Tests can ask for other settings with
    @pytest.mark.desk(forum=False, settings={...})."""
    marker = request.node.get_closest_marker("desk")
    options = dict(marker.kwargs) if marker else {}
    # OCR of a label photo spawns a worker for seconds; the label tests that want it ask for it.
    options["settings"] = {"label_ocr": False, **options.get("settings", {})}
    sandbox = Sandbox(workdir=tmp_path, clock=clock, **options)
    await sandbox.start()
    try:
        yield Desk(sandbox)
    finally:
        await sandbox.stop()


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "desk(forum=True, settings=None): options for the desk fixture")
