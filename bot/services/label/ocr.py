"""Printed-text reading of a label (the optional [ocr] extra) in a worker process with a time and memory limit."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path

from bot.services.label.picking import Code

log = logging.getLogger(__name__)

PACKAGE = "rapidocr-onnxruntime"
WORKER = Path(__file__).with_name("ocr_worker.py")
TIME_LIMIT = 10.0  # seconds for one image, model loading included
# onnxruntime and OpenCV reserve far more address space than they touch; 2 GiB of it keeps the worker's
# resident memory to a few hundred MB while leaving the models room to load.
MEMORY_LIMIT = 2 * 1024 ** 3


def ocr_version() -> str | None:
    """The installed rapidocr-onnxruntime version, or None without the [ocr] extra."""
    if util.find_spec("rapidocr_onnxruntime") is None:
        return None
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return None


def ocr_status() -> str:
    version = ocr_version()
    return f"label OCR: {PACKAGE} {version}" if version else f"label OCR: off (pip install .[ocr] adds {PACKAGE})"


@dataclass(frozen=True, slots=True)
class OcrReader:
    time_limit: float = TIME_LIMIT
    memory_limit: int = MEMORY_LIMIT
    python: str = sys.executable

    @property
    def available(self) -> bool:
        return ocr_version() is not None

    def _command(self) -> list[str]:
        # -I: the worker sees neither the bot's sys.path nor PYTHON* variables.
        return [self.python, "-I", str(WORKER)]

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
        # No thread pools beyond one: OpenCV and OpenMP would otherwise take every core.
        env.update(OMP_NUM_THREADS="1", OPENCV_FOR_THREADS_NUM="1", LABEL_OCR_MEMORY_LIMIT=str(self.memory_limit))
        return env

    def _lines(self, returncode: int, stdout: bytes, stderr: bytes) -> list[Code] | None:
        if returncode != 0:
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            log.warning("label OCR worker failed (exit %s): %s", returncode, tail[0][:200])
            return None
        try:
            lines = json.loads(stdout)
            return [Code(str(line["text"]), "ocr", float(line["confidence"])) for line in lines]
        except (ValueError, KeyError, TypeError):
            log.warning("label OCR worker answered something that is not its JSON")
            return None

    def read(self, image: bytes) -> list[Code] | None:
        """The text lines on the image; None without the extra, on time-out or on a crash."""
        if not self.available:
            return None
        try:
            done = subprocess.run(self._command(), input=image, capture_output=True, env=self._env(),
                                  timeout=self.time_limit, check=False)
        except subprocess.TimeoutExpired:  # subprocess.run kills the child before raising
            log.warning("label OCR gave up after %.0f s", self.time_limit)
            return None
        except OSError as exc:
            log.warning("label OCR worker did not start: %s", exc)
            return None
        return self._lines(done.returncode, done.stdout, done.stderr)

    async def read_async(self, image: bytes) -> list[Code] | None:
        if not self.available:
            return None
        try:
            process = await asyncio.create_subprocess_exec(
                *self._command(), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=self._env(),
            )
        except OSError as exc:
            log.warning("label OCR worker did not start: %s", exc)
            return None
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(image), self.time_limit)
        except asyncio.TimeoutError:
            log.warning("label OCR gave up after %.0f s", self.time_limit)
            process.kill()
            await process.wait()
            return None
        except asyncio.CancelledError:
            process.kill()  # a cancelled dialog must not leave a worker eating memory
            await process.wait()
            raise
        return self._lines(process.returncode, stdout, stderr)
