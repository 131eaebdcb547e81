"""Reads a device label photo: the serial and the model from its barcodes and QR codes, optionally by OCR."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field, replace

from PIL import Image

from bot.services.catalogue import Catalogue
from bot.services.label.ocr import OcrReader, ocr_status, ocr_version
from bot.services.label.picking import (NOTHING, Code, LabelReading, candidates_from, match_model, pick,
                                        pick_serial)
from bot.services.label.reader import MAX_BYTES, UnreadableImage, open_image, read_codes

__all__ = ["MAX_BYTES", "NOTHING", "Code", "LabelReader", "LabelReading", "OcrReader", "UnreadableImage",
           "ocr_status", "ocr_version", "pick"]

# OCR sees the label at this size: its detector scales to about 736 px anyway, and a smaller file is a
# faster pipe to the worker.
OCR_SIDE = 2000


@dataclass
class LabelReader:
    """Barcodes first (exact, checksummed); OCR of the printed text only for what they left unknown."""

    catalogue: Catalogue | None = None
    brand: str = "Dahua"
    ocr: OcrReader | None = field(default_factory=OcrReader)  # None: never OCR

    def _settled(self, codes: list[Code]) -> bool:
        serials = [c for code in codes for c in candidates_from(code, self.brand)[0]]
        # Found, or two different ones already: more views cannot make it right.
        return pick_serial(serials) is not None or len({c.value for c in serials}) > 1

    def _barcodes(self, data: bytes) -> tuple[Image.Image, list[Code]]:
        image = open_image(data)
        return image, read_codes(image, self._settled)

    def _wants_ocr(self, reading: LabelReading) -> bool:
        # `available` first: without the extra there is no point in encoding the image for a worker.
        return (self.ocr is not None and (reading.serial is None or reading.catalogue_model is None)
                and self.ocr.available)

    def _combine(self, codes: list[Code], reading: LabelReading, lines: list[Code] | None) -> LabelReading:
        if not lines:
            return reading
        if reading.serial is None:
            return pick([*codes, *lines], self.catalogue, self.brand)
        # A checksummed barcode beats a printed line: OCR may add the model, but never doubts the serial.
        texts = [model for line in lines for model in candidates_from(line, self.brand)[1]]
        model, catalogue_model = match_model(texts, self.catalogue)
        if catalogue_model is None:
            return reading
        return replace(reading, model=model, catalogue_model=catalogue_model)

    def read(self, data: bytes) -> LabelReading:
        """What the label says; raises UnreadableImage when the bytes are no image."""
        image, codes = self._barcodes(data)
        reading = pick(codes, self.catalogue, self.brand)
        if self._wants_ocr(reading):
            reading = self._combine(codes, reading, self.ocr.read(_for_ocr(image)))
        return reading

    async def read_async(self, data: bytes) -> LabelReading:
        image, codes = await asyncio.to_thread(self._barcodes, data)
        reading = pick(codes, self.catalogue, self.brand)
        if self._wants_ocr(reading):
            payload = await asyncio.to_thread(_for_ocr, image)
            reading = self._combine(codes, reading, await self.ocr.read_async(payload))
        return reading


def _for_ocr(image: Image.Image) -> bytes:
    if max(image.size) > OCR_SIDE:
        image = image.copy()
        image.thumbnail((OCR_SIDE, OCR_SIDE))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
