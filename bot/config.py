"""The bot's settings: one pydantic-settings class read from the environment and `.env`."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Telegram tokens are "<bot id>:<35 url-safe characters>"; accept any length from 30 up to be
# tolerant of future formats while still catching obvious typos and placeholders.
TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{30,}$")
DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$")
EMAIL_RE = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
MAIL_SECURITY = ("none", "starttls", "tls")
# The port each kind of connection usually has when SMTP_PORT / IMAP_PORT is left empty.
SMTP_PORTS = {"none": 25, "starttls": 587, "tls": 465}
IMAP_PORTS = {"none": 143, "tls": 993}


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    engineers_chat_id: int | None = None
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    database_path: Path = Path("data/bot.sqlite3")
    firmware_catalogue_dir: Path = Path("data/firmware")
    firmware_base_url: str = ""
    calendar_dir: Path = Path("data/calendar")
    # Bulletins (.md, .txt, .pdf) the knowledge index offers; re-read on /reload.
    bulletins_dir: Path = Path("data/bulletins")
    log_level: str = "INFO"
    # Reading a label photo's printed text when its barcodes leave something unknown (needs the [ocr] extra).
    label_ocr: bool = True

    work_start: time = time(7, 0)
    work_end: time = time(18, 0)
    shortened_day_hours: int = Field(default=1, ge=0, le=8)
    # Reaction time of each complexity level, in working time ("4h", "8h", "5d").
    reaction_levels: Annotated[dict[int, str], NoDecode] = Field(
        default_factory=lambda: {1: "4h", 2: "8h", 3: "5d"}
    )
    # The level a new case gets from its request type.
    default_levels: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=lambda: {"general": 1, "docs": 1, "config": 2, "malfunction": 1, "wish": 3}
    )

    # Webhook mode (`python -m bot run --webhook`): Telegram posts updates to WEBHOOK_URL, which
    # a reverse proxy forwards to WEBHOOK_HOST:WEBHOOK_PORT; WEBHOOK_SECRET is checked on each.
    webhook_url: str = ""
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)

    # Outbox pacing: Telegram allows about 1 message a second per chat and 20 a minute per group.
    outbox_group_per_minute: int = Field(default=20, ge=1, le=1000)
    outbox_chat_interval: float = Field(default=1.0, ge=0, le=10)
    # Telegram's overall limit is about 30 messages a second; 0 switches the pacing off (sandbox).
    outbox_global_per_second: int = Field(default=30, ge=0, le=1000)

    # The HelpDesk bridge (e-mail): HELPDESK_EMAIL empty turns it off. See `check_mail`.
    helpdesk_email: str = ""
    mail_from: str = ""
    smtp_host: str = ""
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: SecretStr | None = None
    smtp_security: str = "starttls"
    imap_host: str = ""
    imap_port: int | None = Field(default=None, ge=1, le=65535)
    imap_user: str = ""
    imap_password: SecretStr | None = None
    imap_security: str = "tls"
    imap_folder: str = "INBOX"
    mail_allowed_senders: Annotated[tuple[str, ...], NoDecode] = ()
    # Seconds between two mails (the mail server's own pacing) and between two looks into a
    # mailbox without IDLE.
    mail_send_interval: float = Field(default=1.0, ge=0, le=600)
    mail_poll_interval: float = Field(default=60.0, gt=0, le=3600)

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        if not TOKEN_RE.match(text):
            raise ValueError("the token is malformed (expected '123456789:AA…' as given by @BotFather)")
        return text

    @field_validator("telegram_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        return value

    @field_validator("firmware_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^(https?|ftp)://[^\s/]+", value):
            raise ValueError("must be an http(s) or ftp URL, or empty")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^https://[^\s/]+", value):
            raise ValueError("must be an https:// URL (Telegram delivers webhooks over HTTPS only)")
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        # Telegram's own rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", text):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and - only")
        return text

    def require_for_webhook(self) -> None:
        self.require_for_run()
        if not self.webhook_url:
            raise SettingsError("WEBHOOK_URL: not set (the public https:// address Telegram should post to)")
        if self.webhook_secret is None:
            raise SettingsError("WEBHOOK_SECRET: not set (a random string; Telegram sends it back in a header)")

    @field_validator("engineers_chat_id", mode="before")
    @classmethod
    def _chat_id(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError("must be a whole number such as -1001234567890") from None
        if number >= 0:
            raise ValueError("must be the negative id of a group such as -1001234567890")
        return number

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return tuple(int(v) for v in value)
        text = str(value or "").strip()
        if not text:
            return ()
        ids = []
        for part in re.split(r"[,\s;]+", text):
            if not part:
                continue
            if not part.isdigit():
                raise ValueError(f"'{part}' is not a user id (comma-separated positive numbers expected)")
            ids.append(int(part))
        return tuple(ids)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("work_start", "work_end", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        if isinstance(value, time):
            return value
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(value))
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValueError("must be a time of day such as 07:00")
        return time(int(match[1]), int(match[2]))

    @field_validator("reaction_levels", mode="before")
    @classmethod
    def _levels(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        levels: dict[int, str] = {}
        for part in filter(None, (p.strip() for p in str(value).split(","))):
            level, _, duration = part.partition("=")
            if not level.strip().isdigit() or not DURATION_RE.match(duration):
                raise ValueError(f"'{part}' should look like 1=4h (level=duration with m, h or d)")
            levels[int(level)] = duration.strip()
        if not levels:
            raise ValueError("at least one level is needed, e.g. 1=4h,2=8h,3=5d")
        return levels

    @field_validator("default_levels", mode="before")
    @classmethod
    def _default_levels(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        result: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in str(value).split(","))):
            kind, _, level = part.partition("=")
            if not kind.strip() or not level.strip().isdigit():
                raise ValueError(f"'{part}' should look like config=2 (request type=level)")
            result[kind.strip()] = int(level)
        return result

    @field_validator("helpdesk_email", "mail_from")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        if value and not EMAIL_RE.match(value):
            raise ValueError(f"'{value}' is not an e-mail address (expected name@example.ru)")
        return value

    @field_validator("smtp_host", "imap_host", "smtp_user", "imap_user")
    @classmethod
    def _stripped(cls, value: str) -> str:
        value = value.strip()
        if any(ch.isspace() for ch in value):
            raise ValueError("must not contain spaces")
        return value

    @field_validator("smtp_port", "imap_port", mode="before")
    @classmethod
    def _port(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("smtp_password", "imap_password", mode="before")
    @classmethod
    def _password(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value):
            return None
        return value

    @field_validator("smtp_security", "imap_security")
    @classmethod
    def _security(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in MAIL_SECURITY:
            raise ValueError("must be none, starttls or tls")
        return value

    @field_validator("imap_folder")
    @classmethod
    def _folder(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must name a folder, e.g. INBOX")
        return value

    @field_validator("mail_allowed_senders", mode="before")
    @classmethod
    def _senders(cls, value: Any) -> Any:
        parts = value if isinstance(value, (list, tuple)) else re.split(r"[,\s;]+", str(value or ""))
        senders = []
        for part in (str(p).strip().lower() for p in parts):
            if not part:
                continue
            if part.startswith("@"):
                if not re.fullmatch(r"@[^@\s]+\.[^@\s]+", part):
                    raise ValueError(f"'{part}' is not a domain entry (expected @example.ru)")
            elif not EMAIL_RE.match(part):
                raise ValueError(f"'{part}' is neither an address nor an @domain entry")
            senders.append(part)
        return tuple(senders)

    @property
    def mail_enabled(self) -> bool:
        return bool(self.helpdesk_email)

    @property
    def smtp_port_or_default(self) -> int:
        return self.smtp_port or SMTP_PORTS[self.smtp_security]

    @property
    def imap_port_or_default(self) -> int:
        return self.imap_port or IMAP_PORTS.get(self.imap_security, 143)

    def check_mail(self) -> None:
        """A bridge is either off (no HELPDESK_EMAIL and no other mail setting) or complete."""
        others = {
            "MAIL_FROM": self.mail_from, "SMTP_HOST": self.smtp_host, "SMTP_USER": self.smtp_user,
            "SMTP_PASSWORD": self.smtp_password, "IMAP_HOST": self.imap_host, "IMAP_USER": self.imap_user,
            "IMAP_PASSWORD": self.imap_password, "MAIL_ALLOWED_SENDERS": self.mail_allowed_senders,
        }
        if not self.helpdesk_email:
            given = [name for name, value in others.items() if value]
            if given:
                raise SettingsError(
                    f"HELPDESK_EMAIL: not set, but {', '.join(given)} is; set it to the HelpDesk's address "
                    "or clear the mail settings"
                )
            return
        missing = [name for name in ("MAIL_FROM", "SMTP_HOST", "IMAP_HOST", "IMAP_USER", "IMAP_PASSWORD",
                                     "MAIL_ALLOWED_SENDERS") if not others[name]]
        if missing:
            raise SettingsError(f"{missing[0]}: not set, and the HelpDesk bridge (HELPDESK_EMAIL) needs it"
                                + (f" (also missing: {', '.join(missing[1:])})" if missing[1:] else ""))
        if bool(self.smtp_user) != bool(self.smtp_password):
            name = "SMTP_PASSWORD" if self.smtp_user else "SMTP_USER"
            raise SettingsError(f"{name}: not set, but its pair is (give both SMTP_USER and SMTP_PASSWORD, or neither)")
        if self.imap_security == "starttls":
            raise SettingsError("IMAP_SECURITY: starttls is not available for IMAP here; use tls (port 993) or none")

    def check_levels(self) -> None:
        unknown = {t: lvl for t, lvl in self.default_levels.items() if lvl not in self.reaction_levels}
        if unknown:
            raise SettingsError(
                f"DEFAULT_LEVELS: level(s) {sorted(set(unknown.values()))} are not defined in REACTION_LEVELS"
            )
        if self.work_start >= self.work_end:
            raise SettingsError("WORK_END: must be later than WORK_START")

    @property
    def token(self) -> str:
        if self.bot_token is None:
            raise SettingsError("BOT_TOKEN: not set (get one from @BotFather and put it into .env)")
        return self.bot_token.get_secret_value()

    def require_for_run(self) -> None:
        """Settings a real (non-sandbox) run cannot do without."""
        _ = self.token
        if self.engineers_chat_id is None:
            raise SettingsError(
                "ENGINEERS_CHAT_ID: not set (the id of the engineers' supergroup, e.g. -1001234567890)"
            )
        self.check_levels()


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning pydantic's report into one line that names the setting."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error.get("loc") else "settings"
        message = str(error.get("msg", "invalid value"))
        message = message.removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
    settings.check_levels()
    settings.check_mail()
    return settings
