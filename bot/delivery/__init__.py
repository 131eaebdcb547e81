"""The Telegram side of the services: the outbox sender and the group's membership look-ups (aiogram lives here)."""
