"""Draws device label photos with Pillow for the label reader's tests and benchmark; seeded, so repeatable."""

from __future__ import annotations

import io
import random
import string
from dataclasses import dataclass

import zxingcpp
from PIL import Image, ImageDraw, ImageFilter, ImageFont

MODELS = ("DH-IPC-HFW2431SP-S-0280B", "DH-IPC-HDBW1230EP-0280B", "DHI-NVR4108HS-4KS2/L", "DH-XVR5104HS-X",
          "DHI-VTO2202F-P-S2", "DH-IPC-HFW2841SP-S-0280B", "DH-SD4A425DB-HNY", "DH-PFS3008-8ET-96")
# Kinds whose serial barcode (or QR) is intact: the ≥ 95 % target counts these.
INTACT = ("clean", "qr_only", "url_qr", "combined_qr", "model_code128", "rotated", "upside_down", "perspective",
          "blur", "low_light", "telegram_jpeg", "cluttered")
# A small label in a wide frame sent as a photo: Telegram's 1280 px leave its bars under a pixel wide, which
# no decoder reads (hence the hint: a file, or closer). Measured, but outside the target.
KINDS = (*INTACT, "cluttered_photo", "damaged", "no_label")


@dataclass(frozen=True)
class LabelImage:
    kind: str
    data: bytes  # an encoded image file, as a partner would send it
    serial: str | None  # the serial printed on the label; None when there is no label
    model: str
    mac: str
    intact: bool  # the serial's barcode or QR code can be read: a barcode reader must find the serial


def make_serial(rng: random.Random) -> str:
    # The shape of Dahua serials: 15 capitals and digits, a factory prefix of letters and digits.
    alphabet = string.ascii_uppercase + string.digits
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(15))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


def make_mac(rng: random.Random) -> str:
    return ":".join(f"{rng.randrange(256):02X}" for _ in range(6))


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _code(text: str, fmt, scale: int) -> Image.Image:
    barcode = zxingcpp.create_barcode(text, fmt)
    bitmap = barcode.to_image(scale=scale)
    view = memoryview(bitmap)
    height, width = view.shape
    return Image.frombytes("L", (width, height), bytes(view))


def _bars(text: str, scale: int = 3, height: int = 90) -> Image.Image:
    bars = _code(text, zxingcpp.BarcodeFormat.Code128, scale)
    return bars.resize((bars.width, height), Image.Resampling.NEAREST)


def draw_label(serial: str, model: str, mac: str, *, qr: str | None, serial_bars: bool = True,
               model_bars: bool = False, damaged: bool = False) -> Image.Image:
    """A white label like Dahua's: model line, S/N line with its Code128, MAC with its own, maybe a QR code."""
    label = Image.new("L", (980, 620), 255)
    draw = ImageDraw.Draw(label)
    font, small = _font(34), _font(26)
    draw.text((30, 20), "dahua TECHNOLOGY", font=font, fill=0)
    draw.text((30, 70), f"Model: {model}", font=font, fill=0)
    y = 120
    if model_bars:
        label.paste(_bars(model, scale=2, height=60), (30, y))
        y += 70
    draw.text((30, y), f"S/N: {serial}", font=font, fill=0)
    y += 45
    if serial_bars:
        bars = _bars(serial)
        if damaged:
            # A scratch across the middle and a torn corner: what a label on an outdoor camera looks like.
            bars_draw = ImageDraw.Draw(bars)
            bars_draw.rectangle((bars.width * 0.35, 0, bars.width * 0.6, bars.height), fill=255)
        label.paste(bars, (30, y))
        y += 110
    draw.text((30, y), f"MAC: {mac}", font=font, fill=0)
    label.paste(_bars(mac.replace(":", "")), (30, y + 45))
    draw.text((30, 570), "12V DC  0.5A   Made in China", font=small, fill=0)
    if qr is not None:
        code = _code(qr, zxingcpp.BarcodeFormat.QRCode, 6)
        label.paste(code, (label.width - code.width - 20, 20))
    draw.rectangle((0, 0, label.width - 1, label.height - 1), outline=0, width=3)
    return label


def _background(rng: random.Random, size: tuple[int, int], shade: int = 120) -> Image.Image:
    """A wall or a camera housing: noise and random shapes, with text and stripes that are no barcode."""
    image = Image.new("L", size, shade)
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(20, 300), rng.randrange(20, 300)
        draw.rectangle((x, y, x + w, y + h), fill=rng.randrange(40, 220))
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.text((x, y), rng.choice(["WARNING", "12V", "IP67", "CE", "220V", "Ethernet", "PoE"]),
                  font=_font(rng.randrange(18, 40)), fill=rng.randrange(0, 255))
    return image.filter(ImageFilter.GaussianBlur(1))


def _photo(rng: random.Random, label: Image.Image, *, scale: float = 1.0, angle: float = 0.0,
           frame: tuple[int, int] = (1400, 1000)) -> Image.Image:
    size = (max(1, int(label.width * scale)), max(1, int(label.height * scale)))
    piece = label.resize(size, Image.Resampling.LANCZOS)
    mask = Image.new("L", piece.size, 255)
    if angle:
        piece = piece.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=0)
        mask = mask.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=0)
    frame = (max(frame[0], piece.width + 40), max(frame[1], piece.height + 40))
    image = _background(rng, frame)
    x = rng.randrange(20, frame[0] - piece.width - 19)
    y = rng.randrange(20, frame[1] - piece.height - 19)
    image.paste(piece, (x, y), mask)
    return image


def _perspective(image: Image.Image, rng: random.Random) -> Image.Image:
    """The phone held off square: a keystone. The source corners lie outside the frame, so the whole photo
    (the label's quiet zones too) stays in the picture, only narrowed at one side."""
    w, h = image.size
    near, far = rng.uniform(0.0, 0.03), rng.uniform(0.08, 0.16)
    left, right = (far, near) if rng.random() < 0.5 else (near, far)
    quad = (-near * w, -left * h, -near * w, h + left * h, w + near * w, h + right * h, w + near * w, -right * h)
    return image.transform((w, h), Image.Transform.QUAD, quad, Image.Resampling.BICUBIC, fillcolor=90)


def _encode(image: Image.Image, fmt: str = "PNG", quality: int = 90) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=quality)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def _telegram(image: Image.Image, quality: int = 80) -> bytes:
    """What Telegram does to a photo: the long side to 1280 px, JPEG."""
    image = image.copy()
    image.thumbnail((1280, 1280), Image.Resampling.LANCZOS)
    return _encode(image, "JPEG", quality)


def make_image(kind: str, seed: int) -> LabelImage:
    rng = random.Random(f"{kind}:{seed}")
    serial, mac, model = make_serial(rng), make_mac(rng), rng.choice(MODELS)
    qr = None
    serial_bars, model_bars, damaged = True, False, False
    if kind == "qr_only":
        qr, serial_bars = f"SN:{serial}", False
    elif kind == "url_qr":
        qr, serial_bars = f"https://p2p.example.invalid/device?sn={serial}&type=ipc", False
    elif kind == "combined_qr":
        qr, serial_bars = f"SN:{serial};MODEL:{model};MAC:{mac}", False
    elif kind == "model_code128":
        model_bars = True
    elif kind == "damaged":
        damaged = True
    elif kind in ("clean", "rotated", "perspective", "blur", "low_light", "telegram_jpeg", "cluttered",
                  "cluttered_photo"):
        qr = serial if rng.random() < 0.5 else None  # about half of Dahua's labels add a QR with the bare serial
    if kind == "no_label":
        image = _background(rng, (1280, 960))
        return LabelImage(kind, _telegram(image), None, model, mac, False)
    label = draw_label(serial, model, mac, qr=qr, serial_bars=serial_bars, model_bars=model_bars, damaged=damaged)
    if kind == "rotated":
        photo = _photo(rng, label, angle=rng.choice([-1, 1]) * rng.uniform(8, 35))
    elif kind == "upside_down":
        photo = _photo(rng, label, angle=rng.choice([90, 180, 270]))
    elif kind in ("cluttered", "cluttered_photo"):
        # A small label in a phone camera's wide frame (4000 x 3000): the camera on the ladder, shot from below.
        photo = _photo(rng, label, scale=rng.uniform(0.6, 0.8), frame=(4000, 3000))
    else:
        photo = _photo(rng, label)
    if kind == "perspective":
        photo = _perspective(photo, rng)
    elif kind == "blur":
        photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 1.8)))
    elif kind == "low_light":
        photo = photo.point(lambda v: int(v * 0.28 + 8))
        noise = Image.effect_noise(photo.size, 6)
        photo = Image.blend(photo, noise, 0.08)
    if kind in ("telegram_jpeg", "cluttered_photo", "perspective", "low_light"):
        data = _telegram(photo, quality=rng.choice([70, 80, 87]))
    elif kind == "cluttered":
        data = _encode(photo, "JPEG", 90)  # sent as a file: full size, the phone's own compression
    else:
        data = _encode(photo, "JPEG" if kind in ("rotated", "blur") else "PNG")
    return LabelImage(kind, data, serial, model, mac, kind in INTACT)


def make_set(per_kind: int, seed: int = 0, kinds: tuple[str, ...] = KINDS) -> list[LabelImage]:
    return [make_image(kind, seed * 10_000 + n) for kind in kinds for n in range(per_kind)]


def label_photo(serial: str, model: str, mac: str = "3C:EF:8C:12:34:56", *, model_bars: bool = True,
                as_file: bool = False) -> bytes:
    """One label on a wall, as a partner sends it: the phone's full size as a file, or Telegram's 1280 px JPEG."""
    rng = random.Random(f"{serial}:{model}")
    photo = _photo(rng, draw_label(serial, model, mac, qr=None, model_bars=model_bars))
    return _encode(photo, "PNG") if as_file else _telegram(photo, quality=85)
