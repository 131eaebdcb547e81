"""The OCR worker process: caps its own memory, reads an image from stdin, prints the text lines as JSON."""

# Run as a script (`python -I ocr_worker.py`), never imported by the bot: it imports nothing of bot, so the
# child starts without aiogram or pydantic and its memory is onnxruntime's alone.
from __future__ import annotations

import json
import os
import resource
import sys


def cap_memory(limit_bytes: int) -> None:
    # Address space, not RSS: Linux enforces only this one. A model that grows past it gets MemoryError
    # (or is killed), which the parent treats as "could not read".
    if limit_bytes > 0:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = limit_bytes if hard == resource.RLIM_INFINITY else min(limit_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main() -> int:
    cap_memory(int(os.environ.get("LABEL_OCR_MEMORY_LIMIT", "0")))
    data = sys.stdin.buffer.read()
    from rapidocr_onnxruntime import RapidOCR  # after the cap: its arenas count against it

    # One thread each: the machine's other core belongs to the bot.
    engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    result, _ = engine(data)
    lines = [{"text": str(text), "confidence": float(score)} for _box, text, score in (result or [])]
    sys.stdout.write(json.dumps(lines, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
