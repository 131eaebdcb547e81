"""Telegram adapters shared by handlers/ and dialogs/: role filters, button helpers, relaying."""
