"""Files of the simulated Telegram: ids, bytes kept in memory, image sizes and tiny generated pictures."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

# Bot API limits that bots run into.
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
MAX_UPLOAD_SIZE = 50 * 1024 * 1024

# Telegram keeps several sizes of every photo; bots that take photo[0] get a thumbnail.
PHOTO_THUMB_SIDE = 320
DEFAULT_PHOTO_SIZE = (800, 600)

# Cosmetic prefixes so ids look like Telegram's (the first bytes encode the file type there).
_ID_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "video_note": "DQACAgIAAxkBAAI",
}

_DIR = {
    "photo": ("photos", ".jpg"),
    "document": ("documents", ""),
    "video": ("videos", ".mp4"),
    "voice": ("voice", ".oga"),
    "audio": ("music", ".mp3"),
    "animation": ("animations", ".mp4"),
    "sticker": ("stickers", ".webp"),
    "video_note": ("video_notes", ".mp4"),
}


@dataclass
class StoredFile:
    """One file as Telegram stores it; data is None when a test only fakes the size."""

    file_id: str
    file_unique_id: str
    kind: str
    size: int
    data: bytes | None
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    file_path: str | None = None
    # All sizes of the same photo, smallest first (shared by every size of it).
    photo_set: list[StoredFile] = field(default_factory=list, repr=False)

    def content(self) -> bytes:
        # A faked size still downloads as the right number of bytes.
        return self.data if self.data is not None else bytes(self.size)

    def as_photo_sizes(self) -> list[dict[str, Any]]:
        return [
            {
                "file_id": f.file_id,
                "file_unique_id": f.file_unique_id,
                "width": f.width or 0,
                "height": f.height or 0,
                "file_size": f.size,
            }
            for f in (self.photo_set or [self])
        ]

    def as_object(self) -> dict[str, Any]:
        """The Bot API object for this file (Document, Video, Voice...); photos use as_photo_sizes()."""
        obj: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.kind in ("video", "animation"):
            obj.update(width=self.width or 0, height=self.height or 0, duration=self.duration or 0)
        elif self.kind in ("voice", "audio"):
            obj["duration"] = self.duration or 0
        elif self.kind == "video_note":
            obj.update(length=self.width or 0, duration=self.duration or 0)
        elif self.kind == "sticker":
            obj.update(
                type="regular",
                width=self.width or 512,
                height=self.height or 512,
                is_animated=False,
                is_video=False,
            )
        obj.update(self.extra)
        if self.file_name and self.kind in ("document", "video", "audio", "animation"):
            obj["file_name"] = self.file_name
        if self.mime_type and self.kind != "sticker":
            obj["mime_type"] = self.mime_type
        obj["file_size"] = self.size
        return obj

    def as_file(self) -> dict[str, Any]:
        """The File object getFile answers."""
        obj: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_path:
            obj["file_path"] = self.file_path
        return obj


class FileStore:
    """Every file the simulated Telegram knows, by file_id and by download path."""

    def __init__(self, bot_id: int) -> None:
        self._bot_id = bot_id
        self._seq = 0
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}

    def _new_ids(self, kind: str) -> tuple[str, str]:
        self._seq += 1
        # Deterministic ids keep failing tests reproducible between runs.
        digest = hashlib.sha256(f"{self._bot_id}:{kind}:{self._seq}".encode()).digest()
        tail = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        return _ID_PREFIX.get(kind, "BQACAgIAAxkBAAI") + tail[:40], "AQAD" + tail[40:52]

    def add(
        self,
        kind: str,
        data: bytes | None,
        *,
        size: int | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
        duration: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> StoredFile:
        if kind == "photo":
            return self.add_photo(data, size=size, width=width, height=height)
        file_id, unique_id = self._new_ids(kind)
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        if mime_type is None:
            mime_type = _DEFAULT_MIME.get(kind)
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique_id,
            kind=kind,
            size=size if size is not None else len(data or b""),
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
            duration=duration,
            extra=dict(extra or {}),
        )
        self._by_id[file_id] = stored
        return stored

    def add_photo(
        self,
        data: bytes | None,
        *,
        size: int | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        """Stores a photo in Telegram's shape (a thumbnail plus the full size); returns the largest."""
        if width is None or height is None:
            width, height = image_size(data or b"") or DEFAULT_PHOTO_SIZE
        full_size = size if size is not None else len(data or b"")
        sizes: list[StoredFile] = []
        longest = max(width, height)
        if longest > PHOTO_THUMB_SIDE:
            scale = PHOTO_THUMB_SIDE / longest
            # The thumbnail downloads as the same bytes: the emulator does not resample images.
            sizes.append(self._photo_size(data, max(1, full_size // 10), round(width * scale), round(height * scale)))
        sizes.append(self._photo_size(data, full_size, width, height))
        for stored in sizes:
            stored.photo_set = sizes
        return sizes[-1]

    def _photo_size(self, data: bytes | None, size: int, width: int, height: int) -> StoredFile:
        file_id, unique_id = self._new_ids("photo")
        stored = StoredFile(file_id, unique_id, "photo", size, data, width=max(1, width), height=max(1, height))
        self._by_id[file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def assign_path(self, stored: StoredFile) -> str:
        if stored.file_path is None:
            folder, ext = _DIR.get(stored.kind, ("documents", ""))
            if stored.file_name and "." in stored.file_name:
                ext = "." + stored.file_name.rsplit(".", 1)[1]
            stored.file_path = f"{folder}/file_{len(self._by_path)}{ext}"
            self._by_path[stored.file_path] = stored
        return stored.file_path

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)


_DEFAULT_MIME = {
    "video": "video/mp4",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "animation": "video/mp4",
    "video_note": "video/mp4",
    "document": "application/octet-stream",
}


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from PNG, GIF or JPEG headers; None when the bytes are not such an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        # SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def make_png(width: int = 640, height: int = 480, rgb: tuple[int, int, int] = (90, 140, 200)) -> bytes:
    """A valid one-colour PNG, so a person's photo downloads as a real picture."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    pixels = zlib.compress(row * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
