"""Reads every barcode and QR code on a label photo with zxing-cpp, trying what helps real phone pictures."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import zxingcpp
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from bot.domain import TELEGRAM_DOWNLOAD_LIMIT
from bot.services.label.picking import Code

log = logging.getLogger(__name__)

MAX_BYTES = TELEGRAM_DOWNLOAD_LIMIT
# A 20 MB PNG may still unpack to gigabytes; 60 MP is more than any phone camera takes.
MAX_PIXELS = 60_000_000
# zxing-cpp's cost grows with the pixel count; a 1280 px photo is what Telegram keeps anyway, and a label
# barcode still has 2+ pixels per module at this size. Larger files are scaled down first, then tried full size.
WORK_SIDE = 1600
SMALL_SIDE = 900  # below this a label's narrow bars may be one pixel wide: try it enlarged too

_F = zxingcpp.BarcodeFormat
# Only what labels carry: fewer formats means fewer detectors run over every view.
MATRIX = (_F.QRCode, _F.QRCodeModel1, _F.QRCodeModel2, _F.MicroQRCode, _F.DataMatrix)
LINEAR = (_F.Code128, _F.Code39, _F.Code93, _F.EAN13, _F.ITF)
FORMATS = [_F.QRCode, _F.MicroQRCode, _F.DataMatrix, *LINEAR]


class UnreadableImage(Exception):
    """The bytes are not an image this reader can open (or too large to); str() says why."""


def open_image(data: bytes) -> Image.Image:
    """Decode a photo or an image file to grayscale, upright as the camera held it."""
    if len(data) > MAX_BYTES:
        raise UnreadableImage(f"file larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise UnreadableImage(f"image of {image.width}x{image.height} pixels is too large")
        image.load()
        # A photo sent as a file keeps the phone's EXIF orientation instead of being turned by Telegram.
        image = ImageOps.exif_transpose(image)
    except UnreadableImage:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise UnreadableImage(f"not an image ({exc.__class__.__name__})") from exc
    if image.mode in ("RGBA", "LA", "P", "PA"):
        # A transparent background would turn black in "L": flatten it on white as it would be printed.
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(white, image)
    return image.convert("L")


def _scaled(image: Image.Image, side: int) -> Image.Image:
    factor = side / max(image.size)
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS if factor < 1 else Image.Resampling.BICUBIC)


def _rotated(image: Image.Image, angle: float) -> Image.Image:
    return image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)


def variants(image: Image.Image) -> Iterator[tuple[str, Image.Image, dict]]:
    """Views of the image to try in turn, cheapest and likeliest first."""
    work = _scaled(image, WORK_SIDE) if max(image.size) > WORK_SIDE else image
    yield "as is", work, {}
    if work is not image:
        # A small label in a phone's full-size file: scaled down, its bars would be under a pixel wide.
        yield "full size", image, {}
    # A dim or uneven photo: the global threshold sees bars the local one averages away, and the reverse.
    yield "global threshold", work, {"binarizer": zxingcpp.Binarizer.GlobalHistogram}
    stretched = ImageOps.autocontrast(work, cutoff=1)
    yield "contrast", stretched, {}
    if max(image.size) < SMALL_SIDE:
        yield "enlarged", _scaled(stretched, 2 * max(image.size)), {}
    # zxing finds linear codes only within several degrees of its scan lines (and of 90° turns): straighten a
    # label photographed at an angle by trying the angles in between.
    for angle in (12, -12, 24, -24, 36, -36):
        yield f"rotated {angle}", _rotated(stretched, angle), {}
    yield "sharpened", stretched.filter(ImageFilter.UnsharpMask(radius=2, percent=150)), {}


def decode(image: Image.Image, options: dict) -> list[Code]:
    codes = []
    for barcode in zxingcpp.read_barcodes(image, formats=FORMATS, **options):
        if not barcode.valid or not barcode.text:
            continue
        source = "qr" if barcode.format in MATRIX else "barcode"
        codes.append(Code(barcode.text, source))
    return codes


def read_codes(image: Image.Image, enough: Callable[[list[Code]], bool]) -> list[Code]:
    """Every code found, trying views of the image until `enough` says what was found settles it."""
    found: list[Code] = []
    for name, view, options in variants(image):
        new = [c for c in decode(view, options) if c not in found]
        if new:
            log.debug("label: %d code(s) in the %s view", len(new), name)
            found.extend(new)
        if enough(found):
            break
    return found
