"""The firmware finder: questions, the answer with folders, lens labels on buttons."""

from __future__ import annotations

from html import escape
from urllib.parse import quote


# --- firmware -------------------------------------------------------------------------------------

FIRMWARE_ASK = (
    "Напишите модель устройства (как на наклейке), и мы подскажем папку с проверенными прошивками "
    "и документацией. Например: <code>/firmware DHI-NVR4108HS-4KS3</code>."
)
FIRMWARE_WARNING = (
    "⚠️ <b>Прошивку вы обновляете сами</b>: служба поддержки не прошивает оборудование "
    "ни удалённо, ни по запросу. Перед обновлением прочитайте описание к прошивке в папке и "
    "соблюдайте порядок шагов: ошибка в последовательности или пропадание питания во время "
    "обновления могут вывести устройство из строя."
)
FIRMWARE_NOT_FOUND = (
    "Модель «{query}» не нашлась в каталоге прошивок. Сверьте название с наклейкой на корпусе "
    "и пришлите ещё раз. Если не получается найти — оформите заявку, инженеры подскажут."
)
FIRMWARE_SIMILAR = "Точного совпадения нет. Похожие модели:"
FIRMWARE_FAMILY = "Под «{query}» подходят несколько моделей:"
FIRMWARE_PICK = "Нажмите на свою модель, чтобы увидеть её папку."
FIRMWARE_BUTTON_STALE = "Каталог обновился. Пришлите модель ещё раз."
FIRMWARE_SAME_FOLDER = "Прошивки для них лежат в одной папке:"
FIRMWARE_HINT = "Пришлите модель текстом или /cancel, чтобы выйти."


def folder_url(base_url: str, folder: str) -> str:
    """The address of a folder on the file server: base URL plus the percent-encoded relative path."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    if folder in ("", "."):
        return base
    return base + quote(folder, safe="/") + "/"


def firmware_folder_line(folder: str, base_url: str) -> str:
    """The folder as it is named on the file server (partners look for exactly that), linked
    when the server's address is configured."""
    title = escape(folder)
    if not base_url:
        return f"📁 {title}"
    return f'📁 <a href="{escape(folder_url(base_url, folder), quote=True)}">{title}</a>'


def _millimetres(value: float) -> str:
    return f"{value:g}"


def lens_label(lens) -> str:
    """A lens as a partner reads it on the box: "2.8 мм", "2.7–13.5 мм", "мотор-зум"."""
    if lens is None:
        return ""
    if lens.wide is None:
        return "мотор-зум"
    if lens.varifocal:
        return f"{_millimetres(lens.wide)}–{_millimetres(lens.tele)} мм"
    return f"{_millimetres(lens.wide)} мм"


def model_button(match) -> str:
    """A candidate on a button: the focal length first, where the eye looks for it."""
    label = lens_label(match.lens)
    return f"{label} · {match.model}" if label else match.model


def firmware_answer(result, base_url: str) -> str:
    if not result.candidates:
        return FIRMWARE_NOT_FOUND.format(query=escape(result.query[:100]))
    lines = []
    if result.accepted is not None:
        lines.append(f"<b>{escape(result.accepted.model)}</b>")
        lines.extend(firmware_folder_line(folder, base_url) for folder in result.accepted.folders)
    else:
        if result.family:
            lines.append(FIRMWARE_FAMILY.format(query=escape(result.query[:100])))
        else:
            lines.append(FIRMWARE_SIMILAR)
        shared = result.common_folders if len(result.candidates) > 1 else ()
        for match in result.candidates:
            lines.append(f"• {escape(model_button(match))}")
            if not shared:
                lines.extend("  " + firmware_folder_line(folder, base_url) for folder in match.folders)
        if shared:
            # Lens or suffix variants of one model live in one folder: no need to choose.
            lines.append(FIRMWARE_SAME_FOLDER)
            lines.extend(firmware_folder_line(folder, base_url) for folder in shared)
        lines.append(FIRMWARE_PICK)
    lines.append("\n" + FIRMWARE_WARNING)
    return "\n".join(lines)
