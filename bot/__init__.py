"""Torus support desk bot: the application core (no Telegram routing here)."""
