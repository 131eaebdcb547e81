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
}


def _schedule():
    from bot.services.calendar import ProductionCalendar  # noqa: F401  (the sandbox's own)
    return None


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


def _fill(template: str) -> str:
    """A constant with {placeholders}: each filled with the sample of its name."""
    names = [field for _, field, _, _ in string.Formatter().parse(template) if field]
    if not names:
        return template
    values = {n: BY_NAME.get(n, f"‹{n}›") for n in names}
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


def samples(overrides: dict[str, Any] | None = None) -> list[Sample]:
    """Every text of bot.texts, module by module in source order."""
    overrides = overrides or {}
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
                    text = _call(value, overrides)
                except Exception as exc:  # shown on the page, counted by the test
                    found.append(Sample(info.name, name, None, f"{type(exc).__name__}: {exc}"))
                    continue
                if isinstance(text, str):
                    found.append(Sample(info.name, name, text))
    return found
