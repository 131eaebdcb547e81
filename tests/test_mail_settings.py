"""The HelpDesk bridge's settings: off when HELPDESK_EMAIL is empty, complete or refused with one line."""

from __future__ import annotations

import pytest

from bot.config import SettingsError, load_settings
from tests.test_foundation import run_cli

FULL = {
    "helpdesk_email": "911@tdtorus.ru",
    "mail_from": "bot@tdtorus.ru",
    "smtp_host": "smtp.tdtorus.ru",
    "imap_host": "imap.tdtorus.ru",
    "imap_user": "bot@tdtorus.ru",
    "imap_password": "secret",
    "mail_allowed_senders": "911@tdtorus.ru, @helpdesk.tdtorus.ru",
}


def settings(**values):
    return load_settings(_env_file=None, **values)


def test_bridge_is_off_by_default():
    s = settings()
    assert s.mail_enabled is False
    assert s.imap_folder == "INBOX" and s.smtp_security == "starttls" and s.imap_security == "tls"


def test_complete_bridge_parses_and_picks_ports():
    s = settings(**FULL)
    assert s.mail_enabled is True
    assert s.mail_allowed_senders == ("911@tdtorus.ru", "@helpdesk.tdtorus.ru")
    assert s.smtp_port_or_default == 587 and s.imap_port_or_default == 993
    s = settings(**FULL, smtp_security="TLS", imap_security="none", smtp_port="2525", imap_port="")
    assert s.smtp_security == "tls" and s.smtp_port_or_default == 2525 and s.imap_port_or_default == 143
    assert settings(**FULL, smtp_security="none").smtp_port_or_default == 25


@pytest.mark.parametrize(
    "missing, named",
    [("mail_from", "MAIL_FROM"), ("smtp_host", "SMTP_HOST"), ("imap_host", "IMAP_HOST"),
     ("imap_user", "IMAP_USER"), ("imap_password", "IMAP_PASSWORD"), ("mail_allowed_senders", "MAIL_ALLOWED_SENDERS")],
)
def test_half_configured_bridge_names_what_is_missing(missing, named):
    values = {**FULL, missing: ""}
    with pytest.raises(SettingsError) as info:
        settings(**values)
    message = str(info.value)
    assert message.startswith(f"{named}: not set") and "HELPDESK_EMAIL" in message and "\n" not in message


def test_mail_settings_without_helpdesk_email_are_refused():
    with pytest.raises(SettingsError) as info:
        settings(smtp_host="smtp.tdtorus.ru", imap_user="bot@tdtorus.ru")
    assert str(info.value).startswith("HELPDESK_EMAIL: not set, but SMTP_HOST, IMAP_USER is")


def test_smtp_login_needs_both_halves():
    with pytest.raises(SettingsError, match=r"^SMTP_PASSWORD: not set"):
        settings(**FULL, smtp_user="bot")
    with pytest.raises(SettingsError, match=r"^SMTP_USER: not set"):
        settings(**FULL, smtp_password="pw")
    s = settings(**FULL, smtp_user="bot", smtp_password="pw")
    assert s.smtp_password.get_secret_value() == "pw"


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("helpdesk_email", "911 at tdtorus", "HELPDESK_EMAIL: '911 at tdtorus' is not an e-mail address"),
        ("mail_from", "bot@", "MAIL_FROM: 'bot@' is not an e-mail address"),
        ("smtp_security", "ssl", "SMTP_SECURITY: must be none, starttls or tls"),
        ("imap_security", "yes", "IMAP_SECURITY: must be none, starttls or tls"),
        ("smtp_port", "70000", "SMTP_PORT:"),
        ("imap_port", "imap", "IMAP_PORT:"),
        ("imap_folder", "  ", "IMAP_FOLDER: must name a folder"),
        ("mail_allowed_senders", "911@tdtorus.ru, helpdesk", "MAIL_ALLOWED_SENDERS: 'helpdesk' is neither"),
        ("mail_allowed_senders", "@localhost", "MAIL_ALLOWED_SENDERS: '@localhost' is not a domain entry"),
        ("smtp_host", "smtp tdtorus", "SMTP_HOST: must not contain spaces"),
    ],
)
def test_malformed_mail_setting_names_itself(field, value, fragment):
    with pytest.raises(SettingsError) as info:
        settings(**{**FULL, field: value})
    assert str(info.value).startswith(fragment)
    assert "\n" not in str(info.value)


def test_imap_starttls_is_refused_with_the_alternatives():
    with pytest.raises(SettingsError, match=r"^IMAP_SECURITY: starttls is not available"):
        settings(**FULL, imap_security="starttls")


def test_run_with_a_half_configured_bridge_stops_with_one_line(tmp_path):
    result = run_cli("run", cwd=tmp_path, env={"HELPDESK_EMAIL": "911@tdtorus.ru", "MAIL_FROM": "bot@tdtorus.ru"})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].endswith("SMTP_HOST: not set, and the HelpDesk bridge (HELPDESK_EMAIL) needs it"
                             " (also missing: IMAP_HOST, IMAP_USER, IMAP_PASSWORD, MAIL_ALLOWED_SENDERS)"), lines[0]
