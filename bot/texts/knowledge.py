"""What the knowledge index shows: similar solved cases for engineers and the bulletins' reload report."""

from __future__ import annotations

from html import escape

SIMILAR_LIMIT = 8  # /similar lists this many; the card shows three
SIMILAR_NONE = "🔎 Похожих решённых заявок не нашлось."
SIMILAR_CARD_TITLE = "<b>Похожие решённые</b>"
SIMILAR_ON_CARD = 3
SIMILAR_CARD_ROOM = 900  # characters of HTML the card keeps for them: three lines with links
SIMILAR_CARD_TITLE_LIMIT = 90


def topic_link(group_id: int | None, thread_id: int | None) -> str | None:
    """A link to a topic of a supergroup (ids -100…): t.me/c/<id without -100>/<topic>."""
    text = str(group_id or "")
    if not thread_id or not text.startswith("-100"):
        return None
    return f"https://t.me/c/{text[4:]}/{thread_id}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _similar_line(found, group_id: int | None, title_limit: int | None = None) -> str:
    if found.kind == "case":
        label = f"№{escape(found.id)}"
        link = topic_link(group_id, found.thread_id)
        if link:
            label = f'<a href="{escape(link)}">{label}</a>'
    else:
        label = f"HelpDesk {escape(found.id)}"
    model = f" · {escape(_short(found.model, 40))}" if found.model.strip() else ""
    title = _short(found.title, title_limit) if title_limit else found.title
    return f"{label}{model} — {escape(title)}"


def similar_list(number: str, found: list, group_id: int | None) -> str:
    """`/similar` in a case topic: solved cases (with links to their topics) and HelpDesk tickets."""
    if not found:
        return SIMILAR_NONE
    lines = [f"🔎 <b>Похожие решённые</b> к заявке {escape(number)}:"]
    lines += [f"{n}. {_similar_line(item, group_id)}" for n, item in enumerate(found, start=1)]
    return "\n".join(lines)


def similar_block(found: list, group_id: int | None) -> str:
    """The card's few lines (at most SIMILAR_CARD_ROOM characters) above its description."""
    lines = [f"• {_similar_line(item, group_id, SIMILAR_CARD_TITLE_LIMIT)}" for item in found[:SIMILAR_ON_CARD]]
    return "\n".join([SIMILAR_CARD_TITLE, *lines])


def bulletins_report(report) -> str:
    if report.missing_dir:
        return "❌ Папка бюллетеней не найдена; бюллетени не перечитаны."
    line = (f"✅ Бюллетени перечитаны: обновлено {report.indexed}, без изменений {report.unchanged}, "
            f"убрано {report.removed}.")
    if report.failed:
        line += f"\nНе прочитаны ({len(report.failed)}): " + escape(", ".join(name for name, _ in report.failed[:5]))
    return line


# --- bulletins offered to a partner before a case is filed ------------------------------------------

BTN_BULLETIN_HELPED = "👍 Помогло"
BTN_BULLETIN_NOT_HELPED = "Не помогло — отправить заявку"
INTAKE_BULLETINS_HINT = "Пожалуйста, нажмите «Помогло» или «Не помогло — отправить заявку» под списком бюллетеней."
INTAKE_BULLETIN_HELPED = ("Рады, что ответ нашёлся! Заявку не создаём.\n"
                          "Если вопрос останется, нажмите «📝 Новая заявка».")


def bulletins_offer(bulletins) -> str:
    """Bulletins that may answer the partner's question: title and a short excerpt of each."""
    lines = ["📚 Возможно, ответ уже есть в наших бюллетенях:"]
    for n, item in enumerate(bulletins, start=1):
        lines.append(f"\n{n}. <b>{escape(item['title'])}</b>")
        if item.get("excerpt"):
            lines.append(escape(item["excerpt"]))
    lines.append("\nЕсли это не помогло, продолжим оформлять заявку инженерам.")
    return "\n".join(lines)


def bulletin_answers_line(count: int) -> str:
    """In /stats: questions a bulletin answered before any case was filed."""
    return f"Ответ нашли в бюллетенях (без заявки): {count}"
