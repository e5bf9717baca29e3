"""Keep a kiosk session inside the kiosk (issue 5 §2: the kiosk mode cannot reach back-office
pages).

A browser session that carries the kiosk marker (``session["kiosk_code"]``, set by every
kiosk page) is sent back to its kiosk home for any address outside ``/borne/``, ``/static/``
and ``/demarches/`` (the public catalogue the kiosk's QR codes point to), and for the
catalogue's editing pages ``/demarches/gestion/`` (back office, even under ``/demarches/``).
Other visitors are not touched, and a request without a session cookie costs nothing (the
session is not read).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse

SESSION_KEY = "kiosk_code"
ALLOWED_PREFIXES = ("/borne/", "/static/", "/demarches/")
# Back-office pages under an allowed prefix.
BLOCKED_PREFIXES = ("/demarches/gestion/",)


class KioskSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        path = request.path_info
        if settings.SESSION_COOKIE_NAME in request.COOKIES and (
            not path.startswith(ALLOWED_PREFIXES) or path.startswith(BLOCKED_PREFIXES)
        ):
            code = request.session.get(SESSION_KEY)
            if isinstance(code, str) and code:
                response = HttpResponseRedirect(reverse("kiosks:kiosk_mode_home", args=[code]))
                response["Cache-Control"] = "no-store"
                return response
        return self.get_response(request)
