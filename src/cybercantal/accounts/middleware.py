"""Staff roles must use TOTP: until they have set it up, they are sent to do so.

A person with admin access (``is_staff``/superuser) or an active staff role
(``models.STAFF_ROLES``) who has no TOTP authenticator is redirected to the TOTP
activation page from every page outside ``/compte/`` (where the sign-in, the activation
itself and "Mes données" live). The check reads the memberships cached for the request
(shared with the header menu) and, for staff only, one indexed query on authenticators.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode


class StaffMfaRequiredMiddleware:
    ALLOWED_PREFIXES = ("/compte/", "/static/", "/media/", "/i18n/", "/sante/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(self.ALLOWED_PREFIXES):
            from .queries import needs_mfa_setup

            if needs_mfa_setup(user):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        return self.get_response(request)
