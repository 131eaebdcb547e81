"""`python -m bot firmware`: the JSON contract other tools rely on, and the human table."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import firmware

PROJECT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT / "data" / "firmware"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "fw"
    for folder, text in {
        "01. IP-камеры/02. Lite 2 (IPC-HX2XXX)": "DH-IPC-HFW2431SP-S-0280B\nDH-IPC-HFW2431SP-S-0360B\n"
        "DH-IPC-HFW2431S-S-S2\nDH-IPC-HFW2231S-S-S2\n",
        "03. NVR/NVR4XXX": "DHI-NVR4108HS-4KS3, DHI-NVR4108HS-4KS2; DHI-NVR4116HS-4KS2\n",
        "05. Домофония/02. VTH": "DHI-VTH2421FW-P\n",
        "05. Домофония/03. Комплекты": "DHI-VTH2421FW-P\nDHI-KTP01(S)\n",
    }.items():
        (root / folder).mkdir(parents=True)
        (root / folder / "model list").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def no_catalogue_env(monkeypatch) -> None:
    monkeypatch.delenv("FIRMWARE_CATALOGUE_DIR", raising=False)


def run_main(argv: list[str], capsys, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = firmware.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def check_contract(obj: dict, query: str, limit: int = 3) -> None:
    assert set(obj) == {"query", "matches"}
    assert obj["query"] == query
    assert len(obj["matches"]) <= limit
    for match in obj["matches"]:
        assert set(match) == {"model", "score", "folders"}
        assert isinstance(match["model"], str) and match["model"]
        assert 0 <= match["score"] <= 100
        assert match["folders"] and all("\\" not in f and not f.startswith("/") for f in match["folders"])
    scores = [m["score"] for m in obj["matches"]]
    assert scores == sorted(scores, reverse=True)
    assert all(score < 100 for score in scores[1:])  # only an accepted match, always first, scores 100


def test_json_prints_exactly_one_object(tree: Path, capsys) -> None:
    code, out, err = run_main(["ipc hfw2431s s s2", "--catalogue", str(tree), "--json"], capsys)
    assert code == 0
    assert out.endswith("\n") and out.count("\n") == 1
    obj = json.loads(out)
    check_contract(obj, "ipc hfw2431s s s2")
    assert obj["matches"][0] == {
        "model": "DH-IPC-HFW2431S-S-S2",
        "score": 100,
        "folders": ["01. IP-камеры/02. Lite 2 (IPC-HX2XXX)"],
    }


def test_candidates_never_score_100(tree: Path, capsys) -> None:
    _, out, _ = run_main(["hfw2431", "--catalogue", str(tree), "--json"], capsys)
    obj = json.loads(out)
    check_contract(obj, "hfw2431")
    assert obj["matches"] and all(m["score"] < 100 for m in obj["matches"])
    assert all(m["model"].startswith("DH-IPC-HFW2431") for m in obj["matches"])


def test_limit(tree: Path, capsys) -> None:
    _, out, _ = run_main(["nvr41", "--catalogue", str(tree), "--json", "--limit", "2"], capsys)
    check_contract(json.loads(out), "nvr41", limit=2)
    assert len(json.loads(out)["matches"]) == 2
    _, out, _ = run_main(["dhi-nvr4108hs-4ks3", "--catalogue", str(tree), "--json", "--limit", "1"], capsys)
    assert [m["model"] for m in json.loads(out)["matches"]] == ["DHI-NVR4108HS-4KS3"]
    with pytest.raises(SystemExit):
        firmware.main(["x", "--catalogue", str(tree), "--limit", "0"])


def test_not_found_gives_empty_matches(tree: Path, capsys) -> None:
    code, out, _ = run_main(["привет", "--catalogue", str(tree), "--json"], capsys)
    assert code == 0
    assert json.loads(out) == {"query": "привет", "matches": []}


def test_a_model_in_two_folders_lists_both(tree: Path, capsys) -> None:
    _, out, _ = run_main(["vth2421fw-p", "--catalogue", str(tree), "--json"], capsys)
    assert json.loads(out)["matches"][0]["folders"] == ["05. Домофония/02. VTH", "05. Домофония/03. Комплекты"]


def test_stdin_gives_one_object_per_line_in_order(tree: Path, capsys, monkeypatch) -> None:
    queries = ["nvr4108hs-4ks3", "", "нвр4108хс-4кс2", "nothing like it", "hfw2431"]
    code, out, _ = run_main(["-", "--catalogue", str(tree), "--json"], capsys, "\r\n".join(queries) + "\n", monkeypatch)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(queries)
    objects = [json.loads(line) for line in lines]
    for obj, query in zip(objects, queries):
        check_contract(obj, query)
    assert objects[0]["matches"][0]["model"] == "DHI-NVR4108HS-4KS3"
    assert objects[1]["matches"] == [] and objects[3]["matches"] == []
    assert objects[2]["matches"][0] == {"model": "DHI-NVR4108HS-4KS2", "score": 100, "folders": ["03. NVR/NVR4XXX"]}


def test_catalogue_from_the_environment_and_the_default(tree: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("FIRMWARE_CATALOGUE_DIR", str(tree))
    _, out, _ = run_main(["ktp01s", "--json"], capsys)
    assert json.loads(out)["matches"][0]["model"] == "DHI-KTP01(S)"
    # --catalogue wins over the environment.
    code, _, err = run_main(["ktp01s", "--json", "--catalogue", str(tmp_path / "elsewhere")], capsys)
    assert code == 2 and "elsewhere" in err

    monkeypatch.delenv("FIRMWARE_CATALOGUE_DIR")
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    tree.rename(work / "data" / "firmware")
    monkeypatch.chdir(work)
    _, out, _ = run_main(["ktp01s", "--json"], capsys)
    assert json.loads(out)["matches"][0]["model"] == "DHI-KTP01(S)"


def test_a_missing_catalogue_prints_one_line_and_exits_2(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "no-such-dir"
    code, out, err = run_main(["hfw2431", "--catalogue", str(missing), "--json"], capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and str(missing) in err


def test_the_human_table(tree: Path, capsys) -> None:
    code, out, _ = run_main(["hfw2431", "--catalogue", str(tree)], capsys)
    assert code == 0
    assert "hfw2431" in out and "DH-IPC-HFW2431" in out
    assert "01. IP-камеры/02. Lite 2 (IPC-HX2XXX)" in out and "IP-камеры / Lite 2 (IPC-HX2XXX)" in out
    _, out, _ = run_main(["DHI-NVR4108HS-4KS3", "--catalogue", str(tree)], capsys)
    assert "accepted" in out and "100.0" in out
    _, out, _ = run_main(["nothing", "--catalogue", str(tree)], capsys)
    assert "not found" in out


def test_register_adds_the_subcommand(tree: Path, capsys) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot")
    firmware.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["firmware", "dhi-vth2421fw-p", "--catalogue", str(tree), "--json"])
    assert args.func is firmware.run
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["matches"][0]["model"] == "DHI-VTH2421FW-P"


def _subprocess(argv: list[str], stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "PYTHONIOENCODING": "utf-8"}
    env.pop("FIRMWARE_CATALOGUE_DIR", None)
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, encoding="utf-8", env=env,
                          cwd=PROJECT, timeout=60)


def test_subprocess_against_the_sample_catalogue() -> None:
    done = _subprocess([sys.executable, "-m", "bot.cli.firmware", "-", "--json"],
                       "DH-IPC-HFW2431S-S-S2\nшзс-рац2431ы-ы-ы2\nhfw2431\n")
    assert done.returncode == 0, done.stderr
    objects = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["matches"][0]["model"] for o in objects] == ["DH-IPC-HFW2431S-S-S2"] * 2 + [objects[2]["matches"][0]["model"]]
    assert [o["matches"][0]["score"] for o in objects[:2]] == [100, 100]
    assert objects[2]["matches"][0]["score"] < 100
    for obj in objects:
        check_contract(obj, obj["query"])
    missing = _subprocess([sys.executable, "-m", "bot.cli.firmware", "x", "--catalogue", "/no/such/dir"])
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip().count("\n") == 0 and "/no/such/dir" in missing.stderr


@pytest.mark.skipif(not (PROJECT / "bot" / "__main__.py").exists(), reason="bot/__main__.py is not written yet")
def test_python_dash_m_bot_firmware() -> None:
    done = _subprocess([sys.executable, "-m", "bot", "firmware", "nvr4108hs-4ks3", "--json", "--limit", "2"])
    assert done.returncode == 0, done.stderr
    obj = json.loads(done.stdout)
    check_contract(obj, "nvr4108hs-4ks3", limit=2)
    assert obj["matches"][0] == {
        "model": "DHI-NVR4108HS-4KS3",
        "score": 100,
        "folders": ["03. Видеорегистраторы NVR/03. NVR4XXX"],
    }
