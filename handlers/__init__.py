"""The bot's routers, built afresh for each Dispatcher, in the order they are tried."""

from __future__ import annotations

from aiogram import Router


def get_routers() -> list[Router]:
    """New routers from every module's recipe (bot/routing.py): a Dispatcher built after another one
    (tests, the sandbox's restarts) gets routers of its own, since aiogram gives a router one parent."""
    # Imported here so that importing a single handler module stays cheap and free of the dialogs.
    from dialogs import broadcast, firmware, info_request, intake, rating
    from handlers import admin, common, errors, fallback, group, partner

    # Order matters: the group first (its filter is narrow), dialogs before one-step partner
    # handlers, and the fallback last.
    modules = (errors, group, admin, broadcast, common, intake, firmware, info_request, rating, partner, fallback)
    return [module.router.build() for module in modules]
