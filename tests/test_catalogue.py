"""Firmware catalogue: loading messy model lists, matching what partners type, reloading without a restart."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.catalogue import (
    ACCEPTED_SCORE,
    Catalogue,
    CatalogueError,
    CatalogueService,
    decode_model_list,
    folder_title,
    parse_model_list,
)
from bot.texts.firmware import folder_url
from bot.services.model_normalize import Lens, model_keys, model_lens, split_lens

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "firmware"

MODELS = {
    "01. IP-камеры/02. Lite 2 (IPC-HX2XXX)": [
        "DH-IPC-HFW2431SP-S-0280B",
        "DH-IPC-HFW2431SP-S-0360B",
        "DH-IPC-HFW2231SP-S-0280B",
        "DH-IPC-HFW2431S-S-S2",
        "DH-IPC-HFW2231S-S-S2",
        "DH-IPC-HDW2431TP-AS-0280B",
        "DH-IPC-HFW2431T-ZS-27135-S2",
        "DH-IPC-HFW1200TP-0280B",
    ],
    "02. HDCVI/01. HAC-HX1XXX": ["DH-HAC-HFW1200TP-0280B", "DH-HAC-HDW1200MP-0280B"],
    "03. NVR/03. NVR4XXX": [
        "DHI-NVR4108HS-4KS2",
        "DHI-NVR4108HS-4KS3",
        "DHI-NVR4116HS-4KS2",
        "DHI-NVR4208-4KS2/L",
        "DHI-NVR1104HS-S3/H",
    ],
    "04. XVR/03. XVR5XXX": ["DH-XVR5108HS-I3", "DH-XVR5104HS-I3", "DH-XVR5108HS-4KL-I3"],
    "05. Домофония/01. VTO": ["DHI-VTO2202F-P", "DHI-VTO2202F-P-S2", "DHI-VTO3211D-P2"],
    "06. Коммутаторы/02. SG": ["DH-SG1008P", "DH-SG1016P", "DH-PFS3008-8ET-96"],
    "07. ATIX/01. IP": ["AT-NC-2B2M-2.8", "AT-NC-4B4M-2.8", "AT-NC-4B4M-2.7-13.5", "AT-NC-4B4MZS-2.7-13.5"],
    "07. ATIX/02. NVR": ["AT-NVR-1104"],
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue([(model, folder) for folder, models in MODELS.items() for model in models])


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def top(result) -> str | None:
    return result.candidates[0].model if result.candidates else None


# --- loading messy files ---------------------------------------------------------------------------------


def test_reads_every_model_list_name_in_any_letter_case(tmp_path: Path) -> None:
    write(tmp_path / "a" / "model list", "DH-SG1008P\n")
    write(tmp_path / "b" / "model list.txt", "DH-SG1016P\n")
    write(tmp_path / "c" / "Model List.TXT", "DH-SG1005P\n")
    write(tmp_path / "d" / "MODEL LIST", "DH-SG1024P\n")
    write(tmp_path / "e" / "model list.bak", "DH-PFS3008-8ET-96\n")
    write(tmp_path / "e" / "readme.txt", "DH-PFS3010-8ET-96\n")
    catalogue = Catalogue.load(tmp_path)
    assert sorted(catalogue.models) == ["DH-SG1005P", "DH-SG1008P", "DH-SG1016P", "DH-SG1024P"]
    assert catalogue.files_read == 4


def test_utf8_bom_is_not_glued_to_the_first_model(tmp_path: Path) -> None:
    write(tmp_path / "x" / "model list.txt", "\ufeffDHI-NVR4108HS-4KS3\nDHI-NVR4116HS-4KS3\n".encode("utf-8"))
    catalogue = Catalogue.load(tmp_path)
    assert catalogue.models == ("DHI-NVR4108HS-4KS3", "DHI-NVR4116HS-4KS3")
    assert catalogue.match("DHI-NVR4108HS-4KS3").accepted is not None


def test_windows_1251_comments_and_crlf(tmp_path: Path) -> None:
    text = "# Серия Pro: перед обновлением сохраните конфигурацию\r\nDH-IPC-HFW3441EP-AS-0280B\r\n" \
           "DH-IPC-HDW3441TMP-AS-0280B  # снята с производства\r\n"
    write(tmp_path / "pro" / "model list", text.encode("cp1251"))
    catalogue = Catalogue.load(tmp_path)
    assert catalogue.models == ("DH-IPC-HFW3441EP-AS-0280B", "DH-IPC-HDW3441TMP-AS-0280B")
    assert not catalogue.skipped_files


def test_utf16_from_notepad(tmp_path: Path) -> None:
    write(tmp_path / "x" / "model list.txt", "DH-XVR5108HS-I3\r\nDH-XVR5116HS-I3\r\n".encode("utf-16"))
    assert Catalogue.load(tmp_path).models == ("DH-XVR5108HS-I3", "DH-XVR5116HS-I3")


def test_separators_trailing_spaces_blank_lines_and_comments(tmp_path: Path) -> None:
    text = (
        "# list of models\n"
        "\n"
        "DH-SG1008P, DH-SG1016P;DH-SG1005P\tDH-SG1024P   \n"
        "   DH-PFS3008-8ET-96 ;  DH-PFS3010-8ET-96 ,\n"
        "Модели:\n"  # a heading without "#": not a model
        "DH-SD49425XB-HNR (снят с производства)\n"
        "   # indented comment DH-NOT-A-MODEL-1\n"
    )
    write(tmp_path / "sw" / "model list", text)
    catalogue = Catalogue.load(tmp_path)
    assert catalogue.models == (
        "DH-SG1008P", "DH-SG1016P", "DH-SG1005P", "DH-SG1024P", "DH-PFS3008-8ET-96", "DH-PFS3010-8ET-96",
        "DH-SD49425XB-HNR",
    )
    assert catalogue.ignored_pieces == 1


def test_duplicates_and_prefix_spellings_become_one_entry(tmp_path: Path) -> None:
    write(tmp_path / "wiz" / "model list", "DH-IPC-HFW2441SP-S-0280B\nDHI-IPC-HFW2441SP-S-0280B\n"
          "dh-ipc-hfw2441sp-s-0280b\nDH-IPC-HFW2441SP-S-0280B\n")
    write(tmp_path / "wiz" / "model list.txt", "DH-IPC-HFW2441SP-S-0280B\n")
    catalogue = Catalogue.load(tmp_path)
    assert catalogue.models == ("DH-IPC-HFW2441SP-S-0280B",)
    assert catalogue.folders_for("DHI-IPC-HFW2441SP-S-0280B") == ("wiz",)


def test_one_model_in_two_folders(tmp_path: Path) -> None:
    write(tmp_path / "05. Домофония" / "02. VTH" / "model list", "DHI-VTH2421FW-P\nDHI-VTH2621G-P\n")
    write(tmp_path / "05. Домофония" / "03. Комплекты" / "model list", "DHI-KTP01(S)\nDHI-VTH2421FW-P\n")
    catalogue = Catalogue.load(tmp_path)
    assert catalogue.folders_for("vth2421fw-p") == ("05. Домофония/02. VTH", "05. Домофония/03. Комплекты")
    assert catalogue.match("VTH2421FW-P").accepted.folders == catalogue.folders_for("DHI-VTH2421FW-P")
    assert sorted(catalogue.models_in("05. Домофония/03. Комплекты")) == ["DHI-KTP01(S)", "DHI-VTH2421FW-P"]
    assert len(catalogue) == 3


def test_binary_file_is_skipped_and_the_rest_loads(tmp_path: Path, caplog) -> None:
    write(tmp_path / "ok" / "model list", "DH-SG1008P\n")
    write(tmp_path / "bad" / "model list", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    write(tmp_path / "noise" / "model list.txt", bytes(range(1, 32)) * 20)
    catalogue = Catalogue.load(tmp_path)
    assert catalogue.models == ("DH-SG1008P",)
    assert {s.path for s in catalogue.skipped_files} == {"bad/model list", "noise/model list.txt"}
    assert all("binary" in s.reason for s in catalogue.skipped_files)
    assert "bad/model list" in caplog.text


def test_unreadable_files_are_skipped_and_the_rest_loads(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path / "ok" / "model list", "DH-SG1008P\n")
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "model list").symlink_to(tmp_path / "nowhere")
    locked = write(tmp_path / "locked" / "model list.txt", "DH-SG1016P\n")
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == locked:  # root reads anything, so the permission error is simulated
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    catalogue = Catalogue.load(tmp_path)
    assert catalogue.models == ("DH-SG1008P",)
    reasons = {s.path: s.reason for s in catalogue.skipped_files}
    assert set(reasons) == {"gone/model list", "locked/model list.txt"}
    assert "Permission denied" in reasons["locked/model list.txt"]


def test_cyrillic_look_alikes_typed_into_a_list(tmp_path: Path) -> None:
    write(tmp_path / "x" / "model list", "DH-IPC-НFW2431S-S-S2\n")  # Cyrillic Н
    catalogue = Catalogue.load(tmp_path)
    assert catalogue.models == ("DH-IPC-HFW2431S-S-S2",)


def test_hidden_and_nas_service_folders_are_ignored(tmp_path: Path) -> None:
    write(tmp_path / "ok" / "model list", "DH-SG1008P\n")
    write(tmp_path / ".git" / "model list", "DH-SG1016P\n")
    write(tmp_path / "ok" / "@eaDir" / "model list", "DH-SG1005P\n")
    assert Catalogue.load(tmp_path).models == ("DH-SG1008P",)


def test_folder_paths_stay_real_and_titles_lose_ordering_prefixes(tmp_path: Path) -> None:
    write(tmp_path / "01. IP-камеры" / "02. Серия Lite 2 (IPC-HX2XXX)" / "model list", "DH-IPC-HFW2431S-S-S2\n")
    catalogue = Catalogue.load(tmp_path)
    folder = "01. IP-камеры/02. Серия Lite 2 (IPC-HX2XXX)"
    assert catalogue.folders == (folder,)
    assert folder_title(folder) == "IP-камеры / Серия Lite 2 (IPC-HX2XXX)"
    assert folder_title("4K камеры/1) Старые/03_Архив") == "4K камеры / Старые / Архив"
    assert folder_url("https://fw.example/firmware", folder) == (
        "https://fw.example/firmware/01.%20IP-%D0%BA%D0%B0%D0%BC%D0%B5%D1%80%D1%8B/"
        "02.%20%D0%A1%D0%B5%D1%80%D0%B8%D1%8F%20Lite%202%20%28IPC-HX2XXX%29/"
    )


def test_model_list_at_the_root(tmp_path: Path) -> None:
    write(tmp_path / "model list", "DH-SG1008P\n")
    catalogue = Catalogue.load(tmp_path)
    assert catalogue.folders_for("sg1008p") == (".",)
    assert folder_url("https://fw.example/", ".") == "https://fw.example/"


def test_missing_or_odd_roots_raise(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError) as missing:
        Catalogue.load(tmp_path / "absent")
    assert missing.value.reason == "missing" and "absent" in str(missing.value)
    with pytest.raises(CatalogueError) as not_dir:
        Catalogue.load(write(tmp_path / "file", "x"))
    assert not_dir.value.reason == "not_a_directory"


def test_decode_and_parse_helpers() -> None:
    assert decode_model_list("# Комментарий\nDH-SG1008P".encode("cp1251")).startswith("# Комментарий")
    with pytest.raises(ValueError):
        decode_model_list(b"\x00\x01binary")
    assert parse_model_list("A, B;C\tDH-SG1008P") == (["DH-SG1008P"], 3)


def test_the_sample_catalogue_loads_cleanly() -> None:
    catalogue = Catalogue.load(SAMPLE)
    assert len(catalogue) >= 300
    assert not catalogue.skipped_files
    assert len(catalogue.folders) >= 20
    # The messy files: BOM + CRLF, commas, cp1251, tabs and duplicates, semicolons, capital file name.
    for model in ("DH-IPC-HFW2231SP-S-0280B", "DH-IPC-HFW2241SP-S-0280B", "DH-IPC-HFW3241EP-AS-0280B",
                  "DH-IPC-HFW5241EP-ZE-27135", "DHI-NVR4108HS-4KS3", "DH-HAC-HFW2241TP-Z-A-27135",
                  "DH-XVR5108HS-I3", "DHI-VTO2202F-P", "DH-SG1008P", "AT-NC-2B2M-2.8"):
        result = catalogue.match(model)
        assert result.accepted is not None and result.accepted.model == model, model
    assert len(catalogue.folders_for("DHI-VTH2421FW-P")) == 2


# --- matching what partners type --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "model"),
    [
        ("DH-IPC-HFW2431SP-S-0280B", "DH-IPC-HFW2431SP-S-0280B"),  # as listed
        ("dh-ipc-hfw2431sp-s-0280b", "DH-IPC-HFW2431SP-S-0280B"),  # lower case
        ("IPC-HFW2431SP-S-0280B", "DH-IPC-HFW2431SP-S-0280B"),  # DH- left out
        ("NVR4108HS-4KS3", "DHI-NVR4108HS-4KS3"),  # DHI- left out
        ("DH-NVR4108HS-4KS3", "DHI-NVR4108HS-4KS3"),  # the other prefix
        ("ipc hfw2431sp s 0280b", "DH-IPC-HFW2431SP-S-0280B"),  # spaces instead of dashes
        ("ipchfw2431sps0280b", "DH-IPC-HFW2431SP-S-0280B"),  # no dashes at all
        ("dhinvr4108hs4ks3", "DHI-NVR4108HS-4KS3"),  # and no dash after the prefix
        ("hfw2431sp-s-0280b", "DH-IPC-HFW2431SP-S-0280B"),  # IPC- left out too
        ("DH-IPC-НFW2431SР-S-0280В", "DH-IPC-HFW2431SP-S-0280B"),  # Cyrillic Н, Р, В
        ("ХVR5108НS-I3", "DH-XVR5108HS-I3"),  # Cyrillic Х, Н
        ("АТ-NС-2В2М-2.8", "AT-NC-2B2M-2.8"),  # Cyrillic А Т С В М
        ("нвр4108хс-4кс3", "DHI-NVR4108HS-4KS3"),  # by sound
        ("хвр5108хс-и3", "DH-XVR5108HS-I3"),  # by sound
        ("ипц-хфв2431сп-с-0280б", "DH-IPC-HFW2431SP-S-0280B"),  # by sound, C as с
        ("ипц хфв2431с с с2", "DH-IPC-HFW2431S-S-S2"),
        ("вто2202ф-п", "DHI-VTO2202F-P"),
        ("шзс-рац2431ыз-ы-0280и", "DH-IPC-HFW2431SP-S-0280B"),  # wrong keyboard layout
        ("тмк4108ры-4лы3", "DHI-NVR4108HS-4KS3"),
        ("тмк1104ры-ы3.р", "DHI-NVR1104HS-S3/H"),  # "/" is "." on the Russian layout
        ("фе-тс-2и2ь-2ю8", "AT-NC-2B2M-2.8"),  # "." is "ю"
        ("камера DH-IPC-HFW2431S-S-S2", "DH-IPC-HFW2431S-S-S2"),  # words around it
        ("прошивка для nvr4108hs-4ks3 пожалуйста", "DHI-NVR4108HS-4KS3"),
        ("у меня hfw2431s-s-s2 не видит карту", "DH-IPC-HFW2431S-S-S2"),
        ("  DH-SG1008P\t", "DH-SG1008P"),
        ("ＤＨ－ＳＧ１００８Ｐ", "DH-SG1008P"),  # full-width characters from a phone keyboard
    ],
)
def test_spellings_of_a_listed_model_are_accepted(catalogue: Catalogue, query: str, model: str) -> None:
    result = catalogue.match(query)
    assert result.accepted is not None, result
    assert result.accepted.model == model
    assert result.candidates[0] is result.accepted
    assert result.accepted.score == ACCEPTED_SCORE
    assert all(c.score < ACCEPTED_SCORE for c in result.candidates[1:])


@pytest.mark.parametrize(
    ("query", "model"),
    [
        ("DH-IPC-HFW2431SP-S-028B", "DH-IPC-HFW2431SP-S-0280B"),  # missing character
        ("ipc-hfw2431p-s-0280b", "DH-IPC-HFW2431SP-S-0280B"),
        ("DHI-NVR41088HS-4KS3", "DHI-NVR4108HS-4KS3"),  # extra character
        ("xvr5108hss-i3", "DH-XVR5108HS-I3"),
        ("DH-IPC-HFW2431SO-S-0280B", "DH-IPC-HFW2431SP-S-0280B"),  # wrong character (neighbour key)
        ("sg1009p", "DH-SG1008P"),
        ("DH-PFC3008-8ET-96", "DH-PFS3008-8ET-96"),  # wrong letter that sounds alike
        ("ipc-hfw2413sp-s-0280b", "DH-IPC-HFW2431SP-S-0280B"),  # swapped characters
        ("nvr4108sh-4ks3", "DHI-NVR4108HS-4KS3"),
        ("sg1080p", "DH-SG1008P"),
        ("hfw2413sp-s", "DH-IPC-HFW2431SP-S-0280B"),  # swapped, and the tail left out
        ("ipc-hfw2413sp-s-0208b", "DH-IPC-HFW2431SP-S-0280B"),  # two typos
        ("нвр4108хс-4кс", "DHI-NVR4108HS-4KS2"),  # by sound, last character missing (either is right)
    ],
)
def test_one_typo_offers_the_model_first_without_accepting(catalogue: Catalogue, query: str, model: str) -> None:
    result = catalogue.match(query)
    assert result.accepted is None
    if query == "нвр4108хс-4кс":
        assert {c.model for c in result.candidates[:2]} == {"DHI-NVR4108HS-4KS2", "DHI-NVR4108HS-4KS3"}
        return
    assert top(result) == model, result
    assert 0 < result.candidates[0].score < ACCEPTED_SCORE


def test_a_missing_tail_is_accepted_when_only_one_model_has_it(catalogue: Catalogue) -> None:
    assert catalogue.match("IPC-HFW2431T-ZS-27135").accepted.model == "DH-IPC-HFW2431T-ZS-27135-S2"  # generation
    assert catalogue.match("IPC-HFW2431T-ZS").accepted.model == "DH-IPC-HFW2431T-ZS-27135-S2"
    assert catalogue.match("hac-hfw1200tp").accepted.model == "DH-HAC-HFW1200TP-0280B"  # lens code
    assert catalogue.match("vto3211d").accepted.model == "DHI-VTO3211D-P2"


def test_a_missing_tail_shared_by_several_models_offers_them(catalogue: Catalogue) -> None:
    result = catalogue.match("ipc-hfw2431sp-s")  # 0280B and 0360B
    assert result.accepted is None
    assert [c.model for c in result.candidates[:2]] == ["DH-IPC-HFW2431SP-S-0280B", "DH-IPC-HFW2431SP-S-0360B"]
    assert result.common_folders == ("01. IP-камеры/02. Lite 2 (IPC-HX2XXX)",)
    result = catalogue.match("NVR4108HS")
    assert result.accepted is None
    assert {c.model for c in result.candidates} == {"DHI-NVR4108HS-4KS2", "DHI-NVR4108HS-4KS3"}


def test_a_family_prefix_is_never_accepted(catalogue: Catalogue) -> None:
    result = catalogue.match("hfw2431")
    assert result.accepted is None
    assert 1 <= len(result.candidates) <= 3
    assert all(c.model.startswith("DH-IPC-HFW2431") for c in result.candidates)
    # Even a family prefix only one model has is a family: "hfw2231s" stops inside "HFW2231SP".
    assert catalogue.match("hdw2431").accepted is None
    assert top(catalogue.match("hdw2431")) == "DH-IPC-HDW2431TP-AS-0280B"


def test_the_same_model_in_two_device_types_is_a_choice(catalogue: Catalogue) -> None:
    result = catalogue.match("hfw1200tp-0280b")  # IPC- or HAC-?
    assert result.accepted is None
    assert {c.model for c in result.candidates[:2]} == {"DH-IPC-HFW1200TP-0280B", "DH-HAC-HFW1200TP-0280B"}
    assert catalogue.match("hac-hfw1200tp-0280b").accepted.model == "DH-HAC-HFW1200TP-0280B"


def test_a_shortened_spelling_that_also_begins_another_model_is_a_choice(catalogue: Catalogue) -> None:
    # ATIX's AT-NVR-1104 without "AT-" is also how Dahua's NVR1104HS-S3/H begins.
    result = catalogue.match("nvr1104")
    assert result.accepted is None
    assert top(result) == "AT-NVR-1104"
    assert catalogue.match("at-nvr-1104").accepted.model == "AT-NVR-1104"
    assert catalogue.match("nc-2b2m-2.8").accepted.model == "AT-NC-2B2M-2.8"


def test_a_typo_that_reads_as_another_models_beginning_is_not_accepted(catalogue: Catalogue) -> None:
    # "-2.7" begins "-2.7-13.5", but "4B4M-2.7" is also one typo from "4B4M-2.8".
    result = catalogue.match("at-nc-4b4m-2.7")
    assert result.accepted is None
    assert [c.model for c in result.candidates[:2]] == ["AT-NC-4B4M-2.7-13.5", "AT-NC-4B4M-2.8"]
    # Without the near miss, the same cut tail is accepted.
    assert catalogue.match("at-nc-4b4mzs-2.7").accepted.model == "AT-NC-4B4MZS-2.7-13.5"


@pytest.mark.parametrize(
    "query",
    [
        "DHI-NVR4108HS-4KS4",  # a real-looking model one character from two listed ones
        "DH-IPC-HFW2431SP-S-0600B",  # a lens variant that is not listed
        "DH-IPC-HFW2441SP-S-0280B",  # a neighbouring series
        "DH-XVR5108HS-I2",
        "DH-SG1024P",
    ],
)
def test_a_model_not_in_the_catalogue_is_never_accepted(catalogue: Catalogue, query: str) -> None:
    result = catalogue.match(query)
    assert result.accepted is None
    assert all(c.score < ACCEPTED_SCORE for c in result.candidates)


@pytest.mark.parametrize("query", ["", "   ", "камера", "привет, не работает", "zzzz", "hfw", "12", "🙂", "DH-"])
def test_nothing_close_is_not_found(catalogue: Catalogue, query: str) -> None:
    result = catalogue.match(query)
    assert result.candidates == () and result.accepted is None and not result.found


def test_the_limit_and_the_ordering(catalogue: Catalogue) -> None:
    result = catalogue.match("hfw2431", limit=1)
    assert len(result.candidates) == 1
    result = catalogue.match("nvr41", limit=10)
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert catalogue.match("DH-SG1008P", limit=1).candidates == (catalogue.match("DH-SG1008P").accepted,)


def test_lookup_is_exact_only(catalogue: Catalogue) -> None:
    assert catalogue.lookup("dhi-nvr4108hs-4ks3").model == "DHI-NVR4108HS-4KS3"
    assert catalogue.lookup("nvr4108hs-4ks") is None
    assert catalogue.folders_for("unknown") == ()
    assert catalogue.folders_for("DH-SG1008P") == ("06. Коммутаторы/02. SG",)
    assert len(catalogue.entries) == len(catalogue) == len(catalogue.models)


_SAMPLE = Catalogue.load(SAMPLE)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=st.sampled_from(sorted(_SAMPLE.models)),
    lower=st.booleans(),
    separator=st.sampled_from(["-", " ", "", "_"]),
    drop_vendor=st.booleans(),
)
def test_any_normalised_spelling_of_any_sample_model_is_accepted(model, lower, separator, drop_vendor) -> None:
    text = model
    if drop_vendor:
        text = text.removeprefix("DHI-").removeprefix("DH-")
    text = text.replace("-", separator)
    if lower:
        text = text.lower()
    result = _SAMPLE.match(text)
    assert result.accepted is not None and result.accepted.model == model


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_answered_within_the_contract(text: str) -> None:
    result = _SAMPLE.match(text, limit=3)
    assert len(result.candidates) <= 3
    assert all(0 <= c.score <= 100 for c in result.candidates)
    assert [c for c in result.candidates if c.score == ACCEPTED_SCORE] == ([result.accepted] if result.accepted else [])
    assert all(c.folders for c in result.candidates)


# --- the service: reload without a restart ---------------------------------------------------------------


async def test_reload_swaps_in_a_new_index_and_reports_the_difference(tmp_path: Path) -> None:
    write(tmp_path / "a" / "model list", "DH-SG1008P\nDH-SG1016P\n")
    service = CatalogueService(tmp_path)
    assert len(service.current) == 0 and not service.match("DH-SG1008P").found
    first = await service.reload()
    assert first.ok and first.reason is None
    assert (first.models_before, first.models_after, first.added, first.removed) == (0, 2, 2, 0)
    assert service.match("sg1008p").accepted.model == "DH-SG1008P"

    write(tmp_path / "a" / "model list", "DH-SG1008P\nDH-SG1005P\n")
    write(tmp_path / "b" / "model list", "DHI-VTO2202F-P\n")
    second = await service.reload()
    assert second.ok
    assert (second.models_before, second.models_after) == (2, 3)
    assert (second.folders_before, second.folders_after) == (1, 2)
    assert (second.added, second.removed) == (2, 1)
    assert second.added_examples == ("DH-SG1005P", "DHI-VTO2202F-P")
    assert second.removed_examples == ("DH-SG1016P",)
    assert service.folders_for("vto2202f-p") == ("b",)


@pytest.mark.parametrize("breakage", ["missing", "not_a_directory", "empty", "only_binary"])
async def test_a_broken_tree_keeps_the_old_index_and_says_why(tmp_path: Path, breakage: str) -> None:
    root = tmp_path / "firmware"
    write(root / "a" / "model list", "DH-SG1008P\n")
    service = CatalogueService(root)
    assert (await service.reload()).ok
    old = service.current

    if breakage == "missing":
        (root / "a" / "model list").unlink()
        (root / "a").rmdir()
        root.rmdir()
    elif breakage == "not_a_directory":
        (root / "a" / "model list").unlink()
        (root / "a").rmdir()
        root.rmdir()
        root.write_text("oops")
    elif breakage == "empty":
        write(root / "a" / "model list", "# nothing yet\n")
    else:
        write(root / "a" / "model list", b"\x00\x01\x02")
    report = await service.reload()
    assert not report.ok
    assert report.reason == {"only_binary": "empty"}.get(breakage, breakage)
    assert str(root) in report.detail
    assert service.current is old
    assert (report.models_before, report.models_after, report.added, report.removed) == (1, 1, 0, 0)
    assert service.match("DH-SG1008P").accepted is not None
    if breakage == "only_binary":
        assert report.skipped_files[0].path == "a/model list" and "skipped" in report.detail


async def test_the_old_index_serves_while_the_new_one_is_built(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path / "a" / "model list", "DH-SG1008P\n")
    service = CatalogueService(tmp_path)
    await service.reload()
    old = service.current
    write(tmp_path / "a" / "model list", "DH-SG1016P\n")

    started, release = threading.Event(), threading.Event()
    real_load = Catalogue.load

    def slow_load(root):
        started.set()
        release.wait(5)
        return real_load(root)

    monkeypatch.setattr(Catalogue, "load", staticmethod(slow_load))
    reload = asyncio.create_task(service.reload())
    while not started.is_set():  # the loop keeps running: the build happens in a worker thread
        await asyncio.sleep(0.01)
    assert service.current is old
    assert service.match("DH-SG1008P").accepted is not None
    release.set()
    report = await reload
    assert report.ok and service.current is not old
    assert service.match("DH-SG1016P").accepted is not None
    assert service.match("DH-SG1008P").accepted is None


async def test_concurrent_reloads_run_one_after_another(tmp_path: Path) -> None:
    write(tmp_path / "a" / "model list", "DH-SG1008P\n")
    service = CatalogueService(tmp_path)
    reports = await asyncio.gather(service.reload(), service.reload())
    assert [r.models_before for r in reports] == [0, 1]
    assert all(r.ok for r in reports)


# --- lenses, series and near misses -------------------------------------------------------------------

LENS_MODELS = [
    *(f"DH-IPC-HFW5241TP-ASE-{code}" for code in ("0280B", "0360B", "0600B", "0800B", "1200B")),
    "DH-IPC-HFW5241EP-ZE-27135",
    "DH-IPC-HFW1230S1-0280B-S5",
    "DH-IPC-HFW1230S1-0360B-S5",
    "DH-IPC-HFW1431S1-0280B-S4",
    "DH-IPC-HFW3441T-ZS-27135",
    "DH-IPC-HFW3441TP-ZAS",
    "DH-IPC-HFW1431T1-ZS-2812-S4",
    "DH-IPC-HFW5241EP-Z12E-5364",
    "DH-IPC-HDBW3441R-ZS",
    "DH-IPC-HFW2431T-ZS-S2",
    "DH-IPC-HFW2431T-ZS-27135-S2",
    "DH-HAC-HDW4441DS-A-LED-0360B-S2",
    "DHI-HAC-HDW4441DS-A-LED-S2-0360B",
    "DH-HAC-EB5131F-A-S2-0280B-S2",
    "DHI-HAC-EB5131F-A-0280B-S2",
    "AT-NC-4B4M-2.8",
    "AT-NC-4B4M-3.6",
    "AT-NC-4B4M-2.7-13.5",
    "AT-NC-4B4MZS-2.7-13.5",
    "DHI-NVR4108HS-4KS3",
    "DHI-NVR4108HS-EI",
    "DHI-NVR4108HS-8P-4KS2/L",
    "DHI-NVR4108HS-4KS2/L",
    "AT-NVR-1108",
]


@pytest.fixture(scope="module")
def lenses() -> Catalogue:
    return Catalogue([(model, "IP") for model in LENS_MODELS])


@pytest.mark.parametrize(
    ("written", "wide", "tele"),
    [
        ("2.8mm", 2.8, 2.8),
        ("2,8 мм", 2.8, 2.8),
        ("2.8 mm", 2.8, 2.8),
        ("2.8 MM", 2.8, 2.8),
        ("2,8мм.", 2.8, 2.8),
        ("f2.8", 2.8, 2.8),
        ("F=3.6", 3.6, 3.6),
        ("f 6", 6.0, 6.0),
        ("3.6", 3.6, 3.6),
        ("3,6", 3.6, 3.6),
        ("6мм", 6.0, 6.0),
        ("8 mm", 8.0, 8.0),
        ("12мм", 12.0, 12.0),
        ("(2.8 мм)", 2.8, 2.8),
        ("2.7-13.5", 2.7, 13.5),
        ("2.7~13.5", 2.7, 13.5),
        ("2,7–13,5 мм", 2.7, 13.5),
        ("2.7 - 13.5mm", 2.7, 13.5),
        ("2.8-12мм", 2.8, 12.0),
    ],
)
def test_every_written_form_of_a_focal_length_is_read(written: str, wide: float, tele: float) -> None:
    for query in (f"HFW2431SP-S {written}", f"{written} HFW2431SP-S", f"камера HFW2431SP-S {written} для улицы"):
        rest, lens, marked = split_lens(query)
        assert marked == any(mark in written.lower() for mark in ("mm", "мм", "f"))
        assert (lens.wide, lens.tele, lens.varifocal) == (wide, tele, tele != wide), query
        assert "HFW2431SP-S" in rest and written.strip("()") not in rest
    # Glued to the model with a dash, at the very end: also a lens (the whole name is tried first anyway).
    assert split_lens(f"HFW2431SP-S-{written.strip('()')}").lens.wide == wide


@pytest.mark.parametrize("query", ["HFW2431SP-S", "NVR4108HS 16", "PFS3005-4ET-60", "HFW2431SP-S-6", "3.6", "2.8mm",
                                   "VTO2202F-P 2", "IPC-HFW2431SP-S 99mm", "HFW2431 13.5-2.7"])
def test_no_focal_length_is_read_where_there_is_none(query: str) -> None:
    assert split_lens(query) is None


@pytest.mark.parametrize(
    ("code", "lens"),
    [
        ("0210B", Lens(2.1, 2.1)),
        ("0280B", Lens(2.8, 2.8)),
        ("0360B", Lens(3.6, 3.6)),
        ("0400B", Lens(4.0, 4.0)),
        ("0600B", Lens(6.0, 6.0)),
        ("0800B", Lens(8.0, 8.0)),
        ("1200B", Lens(12.0, 12.0)),
        ("1600B", Lens(16.0, 16.0)),
        ("27135", Lens(2.7, 13.5, varifocal=True)),
        ("2712", Lens(2.7, 12.0, varifocal=True)),
        ("2812", Lens(2.8, 12.0, varifocal=True)),
        ("7035", Lens(7.0, 35.0, varifocal=True)),
        ("5364", Lens(5.3, 64.0, varifocal=True)),
    ],
)
def test_every_lens_code_both_ways(code: str, lens: Lens) -> None:
    assert lens.dahua_code() == code
    for name in (f"DH-IPC-HFW5241TP-ASE-{code}", f"DH-IPC-HFW1230S1-{code}-S5", f"DH-IPC-HFW5241E-ZE-{code}"):
        found = model_lens(name)
        assert found.lens == lens and found.code == code, name
        assert model_keys(name).key[found.offset : found.offset + len(code)] == code


def test_lenses_a_name_can_say_nothing_about() -> None:
    assert model_lens("DH-IPC-HFW2431TP-ZS").lens == Lens(None, None, varifocal=True)  # motorised, range unsaid
    assert model_lens("DH-IPC-HFW3441T-ZS-27135").lens == Lens(2.7, 13.5, varifocal=True)
    assert model_lens("AT-NC-4B4M-2.8").lens == Lens(2.8, 2.8) and model_lens("AT-NC-2B2M-6").lens == Lens(6.0, 6.0)
    assert model_lens("AT-NC-4B4MZS-2.7-13.5").lens == Lens(2.7, 13.5, varifocal=True)
    for name in ("DHI-NVR4108HS-4KS2", "DH-PFS3005-4ET-60", "DH-SD49225XA-HNR", "DH-IPC-EBW81242", "DH-XVR5108HS-I3",
                 "AT-XVR-1116", "AT-NVR-2432"):
        assert model_lens(name) is None, name


@pytest.mark.parametrize("lens", ["2.8mm", "2,8 мм", "f2.8", "2.8"])
@pytest.mark.parametrize("where", ["after", "before"])
def test_a_lens_picks_its_variant_wherever_it_is_written(lenses: Catalogue, lens: str, where: str) -> None:
    query = f"IPC-HFW5241TP-ASE {lens}" if where == "after" else f"{lens} IPC-HFW5241TP-ASE"
    result = lenses.match(query)
    assert result.accepted is not None and result.accepted.model == "DH-IPC-HFW5241TP-ASE-0280B", result
    assert result.lens == Lens(2.8, 2.8)


@pytest.mark.parametrize(
    ("query", "model"),
    [
        ("hfw5241tp-ase 6мм", "DH-IPC-HFW5241TP-ASE-0600B"),
        ("HFW5241TP-ASE объектив 6 мм", "DH-IPC-HFW5241TP-ASE-0600B"),
        ("HFW5241TP-ASE 8 mm", "DH-IPC-HFW5241TP-ASE-0800B"),
        ("HFW5241TP-ASE f12", "DH-IPC-HFW5241TP-ASE-1200B"),
        ("HFW3441T-ZS 2.7-13.5", "DH-IPC-HFW3441T-ZS-27135"),
        ("HFW5241EP-ZE 2.7~13.5", "DH-IPC-HFW5241EP-ZE-27135"),
        ("IPC-HFW1431T1-ZS 2,8-12 мм", "DH-IPC-HFW1431T1-ZS-2812-S4"),
        ("HFW1230S1-S5 3.6мм", "DH-IPC-HFW1230S1-0360B-S5"),  # the lens goes in the middle of the name
        ("AT-NC-4B4M 3,6 мм", "AT-NC-4B4M-3.6"),  # ATIX writes the lens as it is said
        ("AT-NC-4B4M 2.7-13.5", "AT-NC-4B4M-2.7-13.5"),
        ("AT-NC-4B4M-2.8", "AT-NC-4B4M-2.8"),
        # Without its lens the name is another listed model: the lens decides.
        ("HFW2431T-ZS-S2 2.7-13.5", "DH-IPC-HFW2431T-ZS-27135-S2"),
        ("у меня HFW2431T-ZS-S2 2,7-13,5 мм не видит карту", "DH-IPC-HFW2431T-ZS-27135-S2"),
        ("HFW2431T-ZS-S2", "DH-IPC-HFW2431T-ZS-S2"),
        ("at nc 4b4mzs 2.7 13.5", "AT-NC-4B4MZS-2.7-13.5"),  # a bare "2.7" that is part of the name
        # Both begin so and have 2.8 mm; with the lens put in, the second is the whole name typed.
        ("2.8 dhi-hac-eb5131f-a-s2", "DHI-HAC-EB5131F-A-0280B-S2"),
    ],
)
def test_a_lens_written_out_is_matched_to_its_code(lenses: Catalogue, query: str, model: str) -> None:
    result = lenses.match(query)
    assert result.accepted is not None and result.accepted.model == model, result


def test_a_lens_with_a_series_puts_that_lens_first_without_accepting(lenses: Catalogue) -> None:
    result = lenses.match("HFW5241 3,6 мм", limit=8)
    assert result.accepted is None and result.family
    assert top(result) == "DH-IPC-HFW5241TP-ASE-0360B"
    assert all(c.model.startswith("DH-IPC-HFW5241") for c in result.candidates)


@pytest.mark.parametrize("query", ["IPC-HFW5241TP-ASE 4мм", "IPC-HFW5241TP-ASE 2.7-13.5", "HFW1230S1-S5 6 мм",
                                   "IPC-HFW5241TP-ASE-0280B 6 мм"])
def test_a_lens_variant_that_is_not_listed_is_never_accepted(lenses: Catalogue, query: str) -> None:
    result = lenses.match(query)
    assert result.accepted is None and result.candidates, result


def test_a_model_typed_without_its_lens_offers_every_variant_never_one(lenses: Catalogue) -> None:
    result = lenses.match("IPC-HFW5241TP-ASE", limit=8)
    assert result.accepted is None and result.family
    assert [c.model[-5:] for c in result.candidates] == ["0280B", "0360B", "0600B", "0800B", "1200B"]
    assert [c.lens.wide for c in result.candidates] == [2.8, 3.6, 6.0, 8.0, 12.0]
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True) and max(scores) < ACCEPTED_SCORE
    # The lens left out of the middle of the name ("-0280B-S5"): the same choice.
    result = lenses.match("IPC-HFW1230S1-S5", limit=8)
    assert result.accepted is None and result.family
    assert [c.model for c in result.candidates] == ["DH-IPC-HFW1230S1-0280B-S5", "DH-IPC-HFW1230S1-0360B-S5"]
    # One begins so, the other is it without its lens: neither is picked.
    result = lenses.match("hac-hdw4441ds-a-led-s2", limit=8)
    assert result.accepted is None and result.family
    assert {c.model for c in result.candidates} == {"DH-HAC-HDW4441DS-A-LED-0360B-S2", "DHI-HAC-HDW4441DS-A-LED-S2-0360B"}
    # With only one lens variant listed, it is that one.
    assert lenses.match("IPC-HFW1431S1-S4").accepted.model == "DH-IPC-HFW1431S1-0280B-S4"


def test_a_series_gives_its_family_most_common_first(lenses: Catalogue) -> None:
    result = lenses.match("NVR4108", limit=8)
    assert result.accepted is None and result.family
    # AT-NVR-1108 is one typo away, but the partner typed the beginning of a whole family; fewer options
    # first ("/L", "-8P" count one each), then the order of the list.
    assert [c.model for c in result.candidates] == [
        "DHI-NVR4108HS-4KS3", "DHI-NVR4108HS-EI", "DHI-NVR4108HS-4KS2/L", "DHI-NVR4108HS-8P-4KS2/L"]
    assert lenses.match("NVR4108", limit=2).candidates == result.candidates[:2]


def test_near_misses_get_the_closest_models_and_no_model_gets_nothing() -> None:
    result = _SAMPLE.match("IPC-HFW2439SP-SA-LED")
    assert result.accepted is None and result.near_miss
    assert top(result) == "DH-IPC-HFW2449SP-S-LED-0280B"
    assert 0 < len(result.candidates) <= 3
    for query in ("qwertyzzz", "привет, не работает", "камера не включается", "12"):
        assert _SAMPLE.match(query).candidates == (), query
