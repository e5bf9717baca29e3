"""The header menu, built from the signed-in person's active roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def menu(request: HttpRequest) -> dict[str, Any]:
    from .menu import menu_for  # imported late: the menu module reads URLs

    user = getattr(request, "user", None)
    return {"role_menu": menu_for(user) if user is not None and user.is_authenticated else []}
