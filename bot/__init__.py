"""Torus support desk bot: the application core (no Telegram routing here)."""

# Before anything imports aiogram: its validators are then built on first use (see the module).
from bot.lazy_validators import install as _install_lazy_validators

_install_lazy_validators()
