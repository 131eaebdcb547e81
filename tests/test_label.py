"""The label reader: picking the serial (never the MAC), QR forms, generated photos of each kind, the CLI contract, OCR."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot.services.catalogue import Catalogue
from bot.services.label import LabelReader, OcrReader, UnreadableImage, ocr_version
from bot.services.label import ocr as ocr_module
from bot.services.label.picking import Code, is_mac, pick, split_fields
from tests.label_images import INTACT, KINDS, make_image

ROOT = Path(__file__).resolve().parent.parent
SERIAL = "7E0ABCDPAZ12345"
OTHER = "8F1BCDEQBA23456"
MODEL = "DH-IPC-HFW2431SP-S-0280B"
needs_ocr = pytest.mark.skipif(ocr_version() is None, reason="the [ocr] extra (rapidocr-onnxruntime) is not "
                               "installed: TEST_LOCK=requirements-ocr.txt bash scripts/test.sh runs these, as CI does")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load(ROOT / "data" / "firmware")


# --- picking rules -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mac", ["3C:EF:8C:12:34:56", "3C-EF-8C-12-34-56", "3CEF8C123456", "3cef.8c12.3456",
                                 "3C EF 8C 12 34 56"])
def test_a_mac_in_any_spelling_is_never_the_serial(mac):
    assert is_mac(mac)
    assert pick([Code(mac, "barcode")]).serial is None
    assert pick([Code(f"MAC:{mac}", "qr")]).serial is None
    # Other brands' serials may well be 12 characters: even a field named S/N holding a MAC is refused.
    assert pick([Code(f"SN:{mac}", "qr")], brand="Hikvision").serial is None
    # Next to the real serial it neither wins nor counts as a disagreement.
    assert pick([Code(mac, "barcode"), Code(SERIAL, "barcode")]).serial == SERIAL


def test_a_mac_of_digits_only_has_the_shape_of_nothing_but_a_mac():
    assert pick([Code("001122334455", "barcode")]).serial is None


@pytest.mark.parametrize("payload", [
    f"SN:{SERIAL}", f"S/N: {SERIAL}", f"sn={SERIAL}", f"SN {SERIAL}", SERIAL, f"{{SN:{SERIAL}}}",
    f"https://p2p.example.invalid/add?sn={SERIAL}", f"http://example.invalid/?type=ipc&SN={SERIAL}#x",
    f"SN:{SERIAL};MODEL:{MODEL};MAC:3C:EF:8C:12:34:56", f"MAC=3C:EF:8C:12:34:56&sn={SERIAL}",
    f"SN:{SERIAL.lower()}", f"SN:{SERIAL[:5]}-{SERIAL[5:]}".replace("-", " "),
])
def test_qr_forms_give_the_serial(payload):
    reading = pick([Code(payload, "qr")])
    assert (reading.serial, reading.source) == (SERIAL, "qr"), split_fields(payload)


def test_a_combined_payload_gives_the_model_through_the_catalogue(catalogue):
    reading = pick([Code(f"SN:{SERIAL};MODEL:IPC-HFW2431SP-S-0280B", "qr")], catalogue)
    assert reading.model == "IPC-HFW2431SP-S-0280B" and reading.catalogue_model == MODEL
    # A word that names a kind of device is no model.
    assert pick([Code(f"https://x.invalid/?sn={SERIAL}&type=ipc", "qr")], catalogue).model is None


def test_a_code128_holding_the_model_is_matched(catalogue):
    reading = pick([Code(MODEL, "barcode"), Code(SERIAL, "barcode")], catalogue)
    assert reading == pick([Code(SERIAL, "barcode"), Code(MODEL, "barcode")], catalogue)
    assert (reading.serial, reading.model, reading.catalogue_model, reading.source) == (SERIAL, MODEL, MODEL,
                                                                                       "barcode")


def test_two_different_serials_give_none():
    assert pick([Code(SERIAL, "barcode"), Code(f"SN:{OTHER}", "qr")]).serial is None
    assert pick([Code(SERIAL, "barcode"), Code(OTHER, "barcode")]).serial is None
    # The same one twice is fine, and the printed barcode is named as the source.
    assert pick([Code(f"SN:{SERIAL}", "qr"), Code(SERIAL, "barcode")]).source == "barcode"


@pytest.mark.parametrize("codes", [
    [Code("123456789012345", "barcode")],  # fifteen digits: some other number on the box
    [Code("SN:7E0ABCDPAZ1234", "qr")],  # the label calls it the serial, but it fails the check
    [Code("S/N: 7E0ABCDPAZ12345", "ocr", 0.6)],  # OCR not sure of the line
    [Code("SN:7E0ABCDPAZ1234", "qr"), Code(SERIAL, "barcode")],  # a misread QR casts doubt on the barcode
    [Code("https://x.invalid/d/7E0ABCDPAZ12345", "qr")],  # a bare path is no field named serial
])
def test_a_doubtful_serial_gives_none(codes):
    assert pick(codes).serial is None


def test_ocr_lines_give_serial_and_model_but_not_the_mac(catalogue):
    lines = [Code("Model: DH-IPC-HFW2431SP-S-0280B", "ocr", 0.97), Code("S/N:7E0ABCDPAZ12345", "ocr", 0.99),
             Code("MAC: 3C:EF:8C:12:34:56", "ocr", 0.99)]
    reading = pick(lines, catalogue)
    assert (reading.serial, reading.catalogue_model, reading.source) == (SERIAL, MODEL, "ocr")
    assert pick([Code("MAC: 3CEF8C123456789", "ocr", 0.99)]).serial is None  # no S/N label: not a serial


def test_other_brands_need_the_label_to_say_it_is_the_serial():
    assert pick([Code("ABC-12345", "barcode")], brand="Hikvision").serial is None
    assert pick([Code("SN:DS1234567", "qr")], brand="Hikvision").serial == "DS1234567"


# --- the reader on generated photos --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_the_reader_on_each_kind_of_photo(kind, catalogue):
    reader = LabelReader(catalogue, ocr=None)
    for seed in range(3):
        image = make_image(kind, seed)
        reading = reader.read(image.data)
        assert reading.serial != image.mac.replace(":", "")
        if kind in INTACT:
            assert reading.serial == image.serial, (kind, seed)
            assert reading.source in ("barcode", "qr")
        else:
            # A damaged barcode is read right or not at all; a photo with no label gives nothing.
            assert reading.serial in (None, image.serial)
        if kind in ("combined_qr", "model_code128"):
            assert reading.catalogue_model == image.model


def test_the_generator_is_deterministic():
    assert make_image("rotated", 5).data == make_image("rotated", 5).data
    assert make_image("rotated", 5).data != make_image("rotated", 6).data


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 50])
def test_bytes_that_are_no_image_are_refused_with_a_reason(data):
    with pytest.raises(UnreadableImage):
        LabelReader(ocr=None).read(data)


def test_a_file_over_20_mb_is_refused_unread():
    with pytest.raises(UnreadableImage, match="20 MB"):
        LabelReader(ocr=None).read(b"\0" * (20 * 1024 * 1024 + 1))


def test_a_transparent_png_is_read_on_white():
    image = Image.open(io.BytesIO(make_image("clean", 1).data)).convert("LA")
    image.putalpha(Image.eval(image.getchannel("L"), lambda v: 255 - v))  # ink opaque, paper transparent
    out = io.BytesIO()
    image.save(out, format="PNG")
    assert LabelReader(ocr=None).read(out.getvalue()).serial == make_image("clean", 1).serial


async def test_the_async_reader_gives_the_same_answer(catalogue):
    image = make_image("combined_qr", 2)
    reader = LabelReader(catalogue, ocr=None)
    assert await reader.read_async(image.data) == reader.read(image.data)


# --- the command line contract -------------------------------------------------------------------------------

def run_label(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("FIRMWARE_CATALOGUE_DIR", None)
    return subprocess.run([sys.executable, "-m", "bot", "label", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def test_cli_prints_one_json_object_per_image_in_argument_order(tmp_path):
    good = make_image("combined_qr", 3)
    (tmp_path / "good.png").write_bytes(good.data)
    (tmp_path / "empty.jpg").write_bytes(make_image("no_label", 3).data)
    (tmp_path / "notes.txt").write_text("no image")
    args = ["empty.jpg", "missing.png", "good.png", "notes.txt", "good.png"]

    result = run_label(*args, "--json", "--catalogue", str(ROOT / "data" / "firmware"), cwd=tmp_path)

    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["image"] for line in lines] == args
    keys = ["image", "serial", "model", "catalogue_model", "source"]
    assert all(list(line) == keys for line in lines)
    nothing = {"serial": None, "model": None, "catalogue_model": None, "source": None}
    for index in (0, 1, 3):
        assert {k: v for k, v in lines[index].items() if k != "image"} == nothing
    assert lines[2] == lines[4] == {"image": "good.png", "serial": good.serial, "model": good.model,
                                    "catalogue_model": good.model, "source": "qr"}
    # The missing file and the text file are named on stderr and make the exit status 1; stdout stays JSON.
    assert "missing.png" in result.stderr and "notes.txt" in result.stderr and "empty.jpg" not in result.stderr
    assert result.returncode == 1


def test_cli_exits_0_when_every_file_is_an_image_and_prints_a_line_each_without_json(tmp_path):
    good = make_image("clean", 4)
    (tmp_path / "a.png").write_bytes(good.data)
    (tmp_path / "b.jpg").write_bytes(make_image("no_label", 4).data)

    result = run_label("a.png", "b.jpg", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first.startswith("a.png: ") and good.serial in first
    assert second == "b.jpg: nothing read"


def test_version_says_whether_label_ocr_is_installed():
    result = subprocess.run([sys.executable, "-m", "bot", "--version"], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "zxing-cpp" in result.stdout
    if ocr_version() is None:
        assert "label OCR: off" in result.stdout
    else:
        assert f"label OCR: rapidocr-onnxruntime {ocr_version()}" in result.stdout


# --- OCR -----------------------------------------------------------------------------------------------------

@pytest.mark.skipif(ocr_version() is not None, reason="checks the behaviour without the [ocr] extra")
def test_without_the_extra_ocr_reads_nothing_and_the_barcodes_still_work():
    assert OcrReader().read(make_image("damaged", 1).data) is None
    image = make_image("clean", 1)
    assert LabelReader().read(image.data).serial == image.serial


def _fake_worker(tmp_path: Path, body: str) -> str:
    script = tmp_path / "python"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize("body", ["exit 3", "echo 'not json'", "kill -9 $$"])
async def test_a_crashing_worker_gives_none(tmp_path, monkeypatch, body):
    monkeypatch.setattr(ocr_module, "ocr_version", lambda: "test")
    reader = OcrReader(python=_fake_worker(tmp_path, body))
    assert reader.read(b"img") is None
    assert await reader.read_async(b"img") is None


async def test_a_worker_over_its_time_limit_is_killed_and_gives_none(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr_module, "ocr_version", lambda: "test")
    # exec: the sleep is the worker process itself, so killing it leaves nothing behind.
    reader = OcrReader(python=_fake_worker(tmp_path, "exec sleep 600"), time_limit=0.2)
    assert reader.read(b"img") is None
    assert await reader.read_async(b"img") is None


def test_the_worker_caps_its_own_address_space(tmp_path):
    probe = ("import resource, runpy; w = runpy.run_path(%r); w['cap_memory'](512 * 1024 ** 2); "
             "print(resource.getrlimit(resource.RLIMIT_AS)[0])" % str(ocr_module.WORKER))
    result = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == str(512 * 1024 ** 2), result.stderr


@needs_ocr
def test_ocr_reads_the_printed_serial_when_the_barcode_is_damaged(catalogue):
    image = make_image("damaged", 2)
    reading = LabelReader(catalogue).read(image.data)
    assert reading.serial in (None, image.serial)  # never a wrong one
    assert reading.catalogue_model == image.model and reading.source in ("ocr", "barcode", "qr")


@needs_ocr
async def test_ocr_adds_the_printed_model_to_a_barcode_serial(catalogue):
    image = make_image("clean", 2)
    reading = await LabelReader(catalogue).read_async(image.data)
    assert (reading.serial, reading.catalogue_model, reading.source) == (image.serial, image.model, "barcode")


@needs_ocr
def test_ocr_over_its_memory_cap_fails_into_none():
    # 300 MB of address space cannot even map onnxruntime's libraries: the worker dies, the reader goes on.
    image = make_image("damaged", 2)
    assert OcrReader(memory_limit=300 * 1024 ** 2).read(image.data) is None
    assert LabelReader(ocr=OcrReader(memory_limit=300 * 1024 ** 2)).read(image.data).serial is None


@needs_ocr
def test_ocr_finds_nothing_on_a_photo_without_a_label():
    assert LabelReader().read(make_image("no_label", 2).data).serial is None


async def test_the_run_command_logs_at_start_up_whether_label_ocr_is_installed(monkeypatch, caplog):
    import logging

    import bot.app
    from bot.cli import run as run_cmd
    from bot.stopping import StopSignals

    class FakeApp:
        async def run_polling(self, stop) -> None:
            return None

    async def fake_build_app(settings):
        return FakeApp()

    monkeypatch.setattr(bot.app, "build_app", fake_build_app)
    monkeypatch.setattr(bot.app, "tune_garbage_collector", lambda: None)  # the test process keeps its GC
    with caplog.at_level(logging.INFO, logger="bot.cli.run"):
        await run_cmd.serve(type("S", (), {"telegram_api_url": "", "database_path": ""})(), StopSignals())
    wanted = "label OCR: off" if ocr_version() is None else f"label OCR: rapidocr-onnxruntime {ocr_version()}"
    assert any(wanted in record.getMessage() for record in caplog.records), caplog.text


def test_the_label_benchmark_runs_on_a_small_set(capsys):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_label
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert bench_label.main(["--per-kind", "1", "--kinds", "clean,no_label"]) == 0
    out = capsys.readouterr().out
    assert "serial read from 100.0%" in out and "0 wrong serials" in out and "0 MACs as serials" in out
