"""Every user-facing string of the bot, in Russian; `texts.X` reaches any of them.

Values that come from people (names, companies, descriptions) are escaped in this package, the
one place that builds HTML, so handlers cannot forget it. The package imports nothing of the bot
but `bot.domain` and `bot.clock`: services hand it data and it renders, never the other way."""

from html import escape  # noqa: F401  (texts.escape: handlers quote values they put in a text)

from bot.texts.admin import *  # noqa: F401,F403
from bot.texts.commands import *  # noqa: F401,F403
from bot.texts.common import *  # noqa: F401,F403
from bot.texts.engineers import *  # noqa: F401,F403
from bot.texts.firmware import *  # noqa: F401,F403
from bot.texts.hours import *  # noqa: F401,F403
from bot.texts.intake import *  # noqa: F401,F403
from bot.texts.knowledge import *  # noqa: F401,F403
from bot.texts.partner import *  # noqa: F401,F403
from bot.texts.mail import *  # noqa: F401,F403
