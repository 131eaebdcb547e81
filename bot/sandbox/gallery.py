"""Every text the bot can send, rendered with sample values, for reading on a phone-sized screen.

The sandbox page's /texts view shows them as the bot's messages at 390 px; the browser test keeps a
screenshot of each part. Constants come as they are (placeholders filled with samples); functions
are called with sample arguments chosen by parameter name and annotation; the few that take a
service's report get a small stand-in with the fields they read."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from bot import texts
from bot.clock import MSK
from bot.domain import Case, Partner, RequestType, Status

AT = datetime(2026, 11, 24, 10, 0, tzinfo=MSK)  # a working Tuesday morning

# Audiences by module: who reads the texts of a module.
AUDIENCE = {"partner": "партнёр", "intake": "партнёр", "firmware": "партнёр", "hours": "партнёр",
            "common": "все", "engineers": "инженеры", "knowledge": "инженеры и партнёр", "admin": "админ",
            "commands": "меню команд", "mail": "HelpDesk"}


# Texts of the e-mails to the HelpDesk (plain text or a mail's HTML), not Telegram messages.
MAIL_ONLY = ("mail_subject", "case_mail_", "event_mail_", "MAIL_FILE_LIMIT_NOTE", "MEDIA_NAMES")


@dataclass(frozen=True)
class Sample:
    module: str
    name: str
    text: str | None  # None: could not be rendered (`problem` says why)
    problem: str | None = None


def sample_case(**changes: Any) -> Case:
    base = dict(
        id=1001, partner_id=1001, request_type=RequestType.CONFIG, brand="Dahua", model="DH-IPC-HFW2431SP-S-0280B",
        model_matched=True, model_folders=("01. IP-камеры/02. Серия Lite 2 (IPC-HX2XXX)",), serial="7J0123456789ABC",
        description="Камера не отправляет события детектора движения на регистратор.", web_access=True,
        contact_name="Иван Петров", contact_company="ООО «Ромашка»", contact_phone="+79991234567",
        status=Status.CLAIMED, level=2, after_hours=False, created_at=AT, due_at=AT + timedelta(hours=21),
        claimed_by=2001, claimed_by_name="Алексей", claimed_at=AT + timedelta(minutes=5), thread_id=7,
        card_message_id=8, delivered_at=AT, rating=5, rating_comment="Быстро и понятно",
    )
    base.update(changes)
    return Case(**base)


PARTNER = Partner(user_id=1001, first_name="Иван", username="ivan_montazh", name="Иван Петров",
                  company="ООО «Ромашка»", phone="+79991234567", banned=False, ban_reason=None,
                  ban_notified=False, blocked_bot=False, created_at=AT, last_seen_at=AT)

# Values by parameter name: what the texts are called with in the bot.
BY_NAME: dict[str, Any] = {
    "number": "№1001", "name": "Алексей", "first_name": "Иван", "engineer_name": "Алексей",
    "engineer_first_name": "Алексей", "by": "Мария", "model": "DH-IPC-HFW2431SP-S-0280B",
    "serial": "7J0123456789ABC", "phone": "+79991234567", "company": "ООО «Ромашка»", "brand": "Dahua",
    "what": "фото раздела «Сеть» и журнал", "summary": "Включили отправку событий на регистратор",
    "button": "Прошивку обновляет партнёр", "key": "firmware", "text": "Камера не пишет архив",
    "comment": "Быстро и понятно", "rating": 5, "level": 2, "levels": "1, 2, 3", "before": 2, "after": 3,
    "count": 3, "partner_id": 1001, "group_id": -1001234567890, "new_id": -1009876543210, "thread_id": 7,
    "case_id": 1001, "update_id": 4242, "held_back": 1, "years": [2027], "years_before": [2026],
    "years_after": [2026, 2027], "reason": "спам", "title": "Инженеры Торус", "problem": "not_admin",
    "error": "Bad Request: chat not found", "update_type": "message", "kind": RequestType.CONFIG,
    "status": Status.CLAIMED, "case": sample_case(), "partner": PARTNER, "cases": [sample_case(), sample_case(
        id=1002, status=Status.NEW, claimed_by=None, claimed_by_name=None, model="DHI-NVR4108HS-4KS2")],
    "attachment_count": 3, "notes": ["Вложений: 3"], "lines": ["<b>Тип:</b> Проблема с настройкой"],
    "contact": {"name": "Иван Петров", "company": "ООО «Ромашка»", "phone": "+79991234567"},
    "allowed": True, "matched": True, "by_partner": True, "chosen": True, "description": "Не пишет архив",
    "moment": AT, "at": AT, "now": AT, "due": AT + timedelta(hours=21), "base_url": "https://firmware.tdtorus.ru",
    "folder": "01. IP-камеры/02. Серия Lite 2 (IPC-HX2XXX)", "hours_line": "", "exclusions": ["firmware"],
    "counts": {"sent": 120, "failed": 2, "blocked": 3}, "file_name": "журнал.log", "sender": "helpdesk@tdtorus.ru",
    "subject": "Re: [Торус №1001] DH-IPC-HFW2431SP-S-0280B — ООО «Ромашка»", "body_html": "Проверьте питание PoE.",
    "names": ["record.mp4"], "limit_mb": 50, "found": [], "target": "@someone", "period": "неделя",
    "bad": "З", "length": 14, "limit": 10, "value": "7J0123456789AB", "rejected": 2, "query": "hfw2431",
    "example": "/info фото раздела «Сеть»", "year": 2027, "file": "calendar-2027.xml", "reports": [],
}


SATURDAY_NIGHT = datetime(2026, 11, 28, 23, 0, tzinfo=MSK)  # the desk is closed


def per_function(schedule) -> dict[str, dict[str, Any]]:
    """Arguments for the texts that take a service's data: real records where they are plain, small
    stand-ins with the fields the text reads where they are reports."""
    from bot.services.catalogue import CatalogueMatch, MatchResult
    from bot.services.intake_rules import Check
    from bot.services.model_normalize import Lens
    from bot.services import stats as statistics

    lens = Lens(2.8, 2.8)
    match = CatalogueMatch("DH-IPC-HFW2431SP-S-0280B", 100.0, ("01. IP-камеры/02. Серия Lite 2 (IPC-HX2XXX)",), lens)
    other = CatalogueMatch("DH-IPC-HFW2431SP-S-0360B", 91.0, match.folders, Lens(3.6, 3.6))
    week = statistics.Period(datetime(2026, 11, 23, tzinfo=MSK), datetime(2026, 11, 30, tzinfo=MSK))
    stats = (statistics.compute(BY_NAME["cases"], week, schedule, AT + timedelta(days=2),
                                helpdesk_copies={1001: "done"}, bulletin_answers=3) if schedule is not None else None)
    engineer = SimpleNamespace(user_id=2001, first_name="Алексей", username="alexey_eng")
    closed = {"at": SATURDAY_NIGHT}
    report = SimpleNamespace(ok=True, seconds=0.4, models_before=1200, models_after=1210, folders_before=80,
                             folders_after=81, added=10, removed=0, added_examples=["DH-IPC-HFW3441E-AS-0280B"],
                             removed_examples=[], skipped_files=[], detail="")
    return {
        "*": {"schedule": schedule},
        "after_hours_notice": closed, "closed_reason": closed, "after_hours_label": closed,
        "catalogue_report": {"report": report},
        "broadcast_report": {"counts": {"delivered": 120, "blocked": 3, "failed": 2}},
        "engineers_list": {"rows": [(engineer, "administrator", 2)]},
        "group_unreachable": {"problem": "rights"}, "helpdesk_copy_label": {"state": "done"},
        "setup_fixed": {"problems": ["not_admin"]},
        "stats_bad_period": {"error": SimpleNamespace(problem="bad_date", values={"text": "32.13.2026"})},
        "stats_report": {"stats": stats},
        "canned_preview": {"reply": "Прошивку вы обновляете сами: папка с прошивками — по ссылке из /firmware."},
        "out_of_scope_notice": {"exclusions": [SimpleNamespace(key="firmware")]},
        "lens_label": {"lens": lens},
        "model_button": {"match": match},
        "firmware_answer": {"result": MatchResult("hfw2431 0280", match, (match, other))},
        "check_problem": {"check": Check(False, problem="dahua_length", details={"length": 14})},
        "bulletins_report": {"report": SimpleNamespace(missing_dir=False, indexed=5, unchanged=0, removed=0,
                                                       failed=[])},
        "bulletins_offer": {"bulletins": [{"title": "Регистратор не пишет архив после обновления",
                                           "excerpt": "Проверьте расписание записи и диски в разделе «Хранилище»."}]},
        "case_mail_text": {"attached": ["detector.png"], "listed": []},
        "case_mail_html": {"attached": ["detector.png"], "listed": []},
        "event_mail_text": {"event": "claimed", "payload": {"engineer": "Алексей"}},
        "event_mail_html": {"event": "claimed", "payload": {"engineer": "Алексей"}},
    }


def _call(func: Callable[..., str], overrides: dict[str, Any]) -> str:
    kwargs = {}
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.name in overrides:
            kwargs[param.name] = overrides[param.name]
        elif param.name in BY_NAME:
            kwargs[param.name] = BY_NAME[param.name]
        elif param.default is not param.empty:
            continue
        else:
            raise LookupError(f"нет образца для параметра {param.name!r}")
    return func(**kwargs)


# Placeholders of constants whose name means something else in a function's signature.
FILL = {"problem": "у Dahua серийный номер из 15 знаков, а здесь 14",
        "contact": "Иван Петров, ООО «Ромашка», +79991234567", "error": "дата «32.13.2026» не распознана"}


def _fill(template: str) -> str:
    """A constant with {placeholders}: each filled with the sample of its name."""
    names = [field for _, field, _, _ in string.Formatter().parse(template) if field]
    if not names:
        return template
    values = {n: FILL.get(n, BY_NAME.get(n, f"‹{n}›")) for n in names}
    return template.format(**values)


def _top_level_names(module) -> list[str]:
    tree = ast.parse(inspect.getsource(module))
    names = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
        elif isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            names.append(node.name)
    return names


def samples(schedule=None) -> list[Sample]:
    """Every text of bot.texts, module by module in source order; `schedule`: the desk's (the sandbox's)."""
    special = per_function(schedule)
    found: list[Sample] = []
    for info in pkgutil.iter_modules(texts.__path__):
        module = importlib.import_module(f"{texts.__name__}.{info.name}")
        for name in _top_level_names(module):
            if name.startswith("_") or name == "__all__":
                continue
            value = getattr(module, name)
            if isinstance(value, str):
                found.append(Sample(info.name, name, _fill(value)))
            elif isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
                found += [Sample(info.name, f"{name}[{k!r}]", _fill(v)) for k, v in value.items()]
            elif inspect.isfunction(value) and value.__module__ == module.__name__:
                try:
                    text = _call(value, {**special["*"], **special.get(name, {})})
                except Exception as exc:  # shown on the page, counted by the test
                    found.append(Sample(info.name, name, None, f"{type(exc).__name__}: {exc}"))
                    continue
                if isinstance(text, str):
                    found.append(Sample(info.name, name, text))
    return found
