"""Build aiogram's pydantic validators when a type is first used, not all at import.

aiogram declares its ~300 Telegram types with pydantic's `defer_build=True`, but the end of
`aiogram/types/__init__.py` then calls `model_rebuild()` on every one of them to resolve their
forward references, which builds every validator at once. Each top-level validator carries its
own copy of everything nested in it (Message is nested in dozens of types), so the import takes
about 2 s and 150 MB on the 2-core machine, most of it for types a support desk never sees
(payments, passports, games, inline results...).

`install()` makes that one loop only remember the namespace it passes and leave the types
deferred. When a type (or an aiogram method model) is first validated, pydantic rebuilds it
through `model_rebuild()`, and this module supplies the same namespace then, so the validator
that results is the very one the eager loop would have built. Nothing outside `aiogram.*` is
touched, and if aiogram was imported before `install()` everything simply stays eager.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_TYPES_MODULE = "aiogram.types"
_installed = False
# The namespace aiogram.types hands to model_rebuild: every type by name, plus typing helpers.
_aiogram_namespace: dict[str, Any] | None = None


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    eager = BaseModel.model_rebuild.__func__  # the classmethod's function

    def model_rebuild(cls, *args: Any, **kwargs: Any):
        global _aiogram_namespace
        if not cls.__module__.startswith("aiogram.") or args:
            return eager(cls, *args, **kwargs)
        namespace = kwargs.get("_types_namespace")
        if namespace is not None and cls.__module__.startswith(_TYPES_MODULE) and not kwargs.get("force"):
            if not cls.__pydantic_complete__:
                # aiogram.types' import-time loop: remember its namespace, build nothing yet.
                _aiogram_namespace = namespace
                return None
        elif namespace is None and _aiogram_namespace is not None:
            # A first use (pydantic's own rebuild on demand): resolve names as the loop would have.
            kwargs["_types_namespace"] = _aiogram_namespace
        return eager(cls, *args, **kwargs)

    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[method-assign]
