"""Staff roles must use TOTP: until they have set it up, they are sent to do so.

A person with admin access (``is_staff``/superuser) or an active staff role
(``models.STAFF_ROLES``) who has no TOTP authenticator is redirected to the TOTP
activation page from every page but a short list: signing in and out, the password
reset and email confirmation links, the two-factor pages themselves (allauth asks for the
password again before activation), and the person's own "Mes données" pages and email
addresses. The list names pages, not a path prefix: a page added later under ``/compte/``
is protected unless it is added here on purpose.

The check reads the memberships cached for the request (shared with the header menu) and,
for staff only, one indexed query on authenticators.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

# Pages (URL names) reachable without TOTP; each covers the addresses below it
# (``mfa_index`` is /compte/2fa/, under which activation and recovery codes live).
ALLOWED_URL_NAMES = (
    "account_login",
    "account_logout",
    "account_reauthenticate",
    "account_inactive",
    "account_reset_password",
    "account_email_verification_sent",
    "account_email",
    "mfa_index",
    "accounts:my_data",
)
# Files and technical endpoints, compared with the path inside the application.
ALLOWED_PATH_PREFIXES = ("/static/", "/media/", "/i18n/", "/sante/")


def _allowed(request: HttpRequest) -> bool:
    if request.path_info.startswith(ALLOWED_PATH_PREFIXES):
        return True
    for name in ALLOWED_URL_NAMES:
        try:
            prefix = reverse(name)  # with the script prefix, as request.path
        except NoReverseMatch:  # pragma: no cover - allauth without one of its pages
            continue
        if request.path.startswith(prefix):
            return True
    return False


class StaffMfaRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not _allowed(request):
            from .queries import needs_mfa_setup

            if needs_mfa_setup(user):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        return self.get_response(request)
