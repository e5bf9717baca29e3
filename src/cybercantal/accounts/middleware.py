"""Staff roles must use TOTP: until they have set it up, they are sent to do so."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class StaffMfaRequiredMiddleware:
    ALLOWED_PREFIXES = ("/compte/", "/static/", "/media/", "/i18n/", "/sante/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(self.ALLOWED_PREFIXES):
            from .queries import needs_mfa_setup

            if needs_mfa_setup(user):
                return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")
        return self.get_response(request)
