"""`python -m bot knowledge import` and `... search --json`: the HelpDesk import and the JSON contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.services.knowledge_import import BadRow, HistoryFileError, read_history_file

REPO = Path(__file__).resolve().parents[1]
BULLETINS = REPO / "data" / "bulletins"


@pytest.fixture(autouse=True)
def _environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "kb.sqlite3"))
    monkeypatch.setenv("BULLETINS_DIR", str(BULLETINS))


CSV_ROWS = (
    "id;created;model;question;answer;status\n"
    "HD-1;01.03.2024 12:30;NVR4108HS-4KS2;Регистратор не пишет архив после обновления;Включили расписание записи;closed\n"
    "HD-2;вчера;;Нет звука с камеры;Включили аудио в потоке;closed\n"
    'HD-3;2024-03-02;;"Забыли пароль;\nкак сбросить";Сброс через приложение;closed\n'
    "HD-4;;;;Пустой вопрос;closed\n"
    "HD-1;2024-03-05;;Повтор;Повтор;closed\n"
    "HD-5;2024-03-06;IPC-HFW2431S-S-0280B;Камера не в сети в DMSS;Указали DNS;closed\n"
)


def test_a_cp1251_csv_with_bad_rows_reports_them_by_line_and_keeps_the_rest(tmp_path, capsys):
    path = tmp_path / "helpdesk.csv"
    path.write_bytes(CSV_ROWS.encode("cp1251"))
    assert main(["knowledge", "import", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"knowledge import: {path}: line 3: created 'вчера' is not a date (2024-03-01 or 01.03.2024 12:30); skipped",
        f"knowledge import: {path}: line 6: empty question; skipped",
        f"knowledge import: {path}: line 7: id HD-1 repeats line 2; skipped",
    ]
    assert captured.out == f"{path}: csv (;), 3 good rows: 3 added, 0 already there; 3 bad rows skipped\n"
    # the same file again adds nothing
    assert main(["knowledge", "import", str(path)]) == 1
    assert capsys.readouterr().out == f"{path}: csv (;), 3 good rows: 0 added, 3 already there; 3 bad rows skipped\n"

    assert main(["knowledge", "search", "забыл пароль", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["results"][0] == {"kind": "imported", "id": "HD-3", "title": "Забыли пароль; как сбросить",
                                    "score": result["results"][0]["score"]}


@pytest.mark.parametrize("encoding, bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1251", b"")])
def test_csv_with_commas_in_any_encoding(tmp_path, encoding, bom):
    path = tmp_path / "h.csv"
    path.write_bytes(bom + "ID,Question,Answer,Model\n7,\"Ночью, белая картинка\",Убрали стекло,\n".encode(encoding))
    parsed = read_history_file(path)
    assert parsed.format == "csv (,)" and parsed.bad == []
    assert [(r.id, r.question, r.answer, r.model, r.created) for r in parsed.records] == [
        ("7", "Ночью, белая картинка", "Убрали стекло", "", None)]


def test_jsonl_rows_and_their_errors(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text('{"id": 1, "question": "Нет записи", "answer": "Диск", "created": "2024-01-02T10:00:00+03:00"}\n'
                    "\n"
                    "{broken\n"
                    '["a list"]\n'
                    '{"id": 2, "question": "Нет звука", "answer": "", "extra": 1}\n', encoding="utf-8")
    parsed = read_history_file(path)
    assert [r.id for r in parsed.records] == ["1"]
    assert parsed.records[0].created.isoformat() == "2024-01-02T10:00:00+03:00"
    assert [bad.line for bad in parsed.bad] == [3, 4, 5]
    assert parsed.bad[2] == BadRow(5, "empty answer")


def test_a_file_without_the_needed_columns_is_refused_whole(tmp_path, capsys):
    path = tmp_path / "h.csv"
    path.write_text("number;text\n1;два\n", encoding="utf-8")
    with pytest.raises(HistoryFileError, match="no column id, question, answer"):
        read_history_file(path)
    assert main(["knowledge", "import", str(path)]) == 2
    assert main(["knowledge", "import", str(tmp_path / "missing.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_search_json_contract_from_the_command_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_PATH": str(tmp_path / "kb.sqlite3"),
           "BULLETINS_DIR": str(BULLETINS)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "knowledge", "search", "камера перезагружается ночью от PoE коммутатора",
         "--limit", "2", "--json"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1
    data = json.loads(done.stdout)
    assert list(data) == ["query", "results"]
    assert data["query"] == "камера перезагружается ночью от PoE коммутатора"
    assert len(data["results"]) == 2
    first = data["results"][0]
    assert list(first) == ["kind", "id", "title", "score"]
    assert (first["kind"], first["id"]) == ("bulletin", "poe-camera-reboots.md")
    assert isinstance(first["score"], float) and first["score"] > data["results"][1]["score"] > 0


def test_search_refuses_a_bad_limit_and_a_missing_bulletins_folder(tmp_path, monkeypatch, capsys):
    assert main(["knowledge", "search", "x", "--limit", "0"]) == 2
    monkeypatch.setenv("BULLETINS_DIR", str(tmp_path / "nowhere"))
    assert main(["knowledge", "search", "x", "--json"]) == 2
    err = capsys.readouterr().err
    assert "--limit must be 1-100" in err and "BULLETINS_DIR: folder" in err
