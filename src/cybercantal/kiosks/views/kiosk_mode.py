"""The kiosk itself, ``/borne/<code>/`` (issue 5 §2): public, touch first, no sign-in.

Every page is anonymous and stores nothing about the person: the session only holds the
kiosk marker (``kiosk_code``, read by ``kiosks.middleware`` to keep the kiosk away from the
back office), the two display options and whether help was asked. ``/fin/`` (idle reset or
"Terminer") flushes it all. Every response carries a strict Content-Security-Policy,
``Cache-Control: no-store``, ``Referrer-Policy: no-referrer`` and ``X-Robots-Tag: noindex``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import qrcode
import qrcode.image.svg
from csp.constants import NONCE, NONE, SELF
from csp.decorators import csp
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, re_path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cybercantal.core.links import absolute_url
from cybercantal.kiosks.forms.kiosk_mode import DISPLAY_OPTIONS, DisplayOptionForm, HelpRequestForm
from cybercantal.kiosks.models import Kiosk, Procedure, UsageMetric
from cybercantal.kiosks.queries import kiosk_mode as queries
from cybercantal.kiosks.services import kiosk_mode as services

# The session marker of a kiosk session (kiosks.middleware reads it).
SESSION_KEY = "kiosk_code"
HELP_SESSION_KEY = "kiosk_help"
# Seconds of the "Vous êtes toujours là ?" countdown before the reset.
WARNING_SECONDS = 20
# A form sent by the kiosk script (fetch) gets 204 + this header instead of a redirect, so
# that the script can *replace* the history entry (the Back button never shows a previous page).
FETCH_HEADER = "HTTP_X_KIOSK_FETCH"
LOCATION_HEADER = "X-Kiosk-Location"

KIOSK_CSP = {
    "default-src": [SELF],
    "script-src": [SELF, NONCE],
    "style-src": [SELF],
    "img-src": [SELF],
    "connect-src": [SELF],
    "frame-ancestors": [NONE],
    "form-action": [SELF],
    "base-uri": [NONE],
    "object-src": [NONE],
}

View = Callable[..., HttpResponseBase]


def _secure(response: HttpResponseBase) -> HttpResponseBase:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _not_found(request: HttpRequest, kiosk: Kiosk | None) -> HttpResponse:
    """The kiosk's own French 404 page: no link anywhere but (for a real kiosk) its home."""
    return render(request, "kiosks/kiosk_mode/not_found.html", {"kiosk": kiosk, "idle": False}, status=404)


def kiosk_view(*methods: str) -> Callable[[View], View]:
    """Public kiosk page: finds the kiosk (French 404 otherwise), applies the kiosk CSP and
    headers to every answer (404 and 405 included). The view gets ``kiosk`` instead of ``code``."""

    def decorator(view: View) -> View:
        allowed = require_http_methods(list(methods))(view)

        @login_not_required
        @csp(KIOSK_CSP)  # type: ignore[arg-type]  # django-csp types views as (request) -> response
        @wraps(view)
        def wrapper(request: HttpRequest, code: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            kiosk = queries.kiosk_for_code(code)
            if kiosk is None:
                return _secure(_not_found(request, None))
            return _secure(allowed(request, kiosk, *args, **kwargs))

        return wrapper

    return decorator


def _enter(request: HttpRequest, kiosk: Kiosk) -> bool:
    """Mark the session as this kiosk's; the first page of a kiosk session counts one session.
    Returns True on that first page (the script then clears the browser's storage)."""
    if request.session.get(SESSION_KEY) == kiosk.code:
        return False
    request.session[SESSION_KEY] = kiosk.code
    services.usage_count(kiosk=kiosk, metric=UsageMetric.SESSION)
    return True


def _home_url(kiosk: Kiosk) -> str:
    return reverse("kiosks:kiosk_mode_home", args=[kiosk.code])


def _page(
    request: HttpRequest, kiosk: Kiosk, template: str, context: dict[str, Any], *, fresh: bool = False
) -> HttpResponse:
    base = {
        "kiosk": kiosk,
        "idle": True,
        "fresh": fresh,
        "contrast": bool(request.session.get(DISPLAY_OPTIONS["contrast"])),
        "large": bool(request.session.get(DISPLAY_OPTIONS["large"])),
        "warning_seconds": WARNING_SECONDS,
        "screen_category": "",
        "screen_procedure": "",
    }
    base.update(context)
    return render(request, template, base)


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect; for the kiosk script, 204 with the address (it replaces the history entry)."""
    if request.META.get(FETCH_HEADER) == "1":
        response = HttpResponse(status=204)
        response[LOCATION_HEADER] = url
        return response
    return redirect(url)


# --- pages --------------------------------------------------------------------------------


@kiosk_view("GET", "HEAD")
def home(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    fresh = _enter(request, kiosk)
    return _page(
        request, kiosk, "kiosks/kiosk_mode/home.html", {"categories": queries.categories_on_home()}, fresh=fresh
    )


@kiosk_view("GET", "HEAD")
def category(request: HttpRequest, kiosk: Kiosk, category: str) -> HttpResponse:
    label = queries.category_label(category)
    if label is None:
        return _not_found(request, kiosk)
    procedures = list(queries.procedures_of_category(category))
    fresh = _enter(request, kiosk)
    services.usage_count(kiosk=kiosk, metric=UsageMetric.CATEGORY, key=category)
    context = {
        "category": category,
        "category_label": label,
        "procedures": procedures,
        "screen_category": category,
    }
    return _page(request, kiosk, "kiosks/kiosk_mode/category.html", context, fresh=fresh)


def _procedure_context(procedure: Procedure) -> dict[str, Any]:
    return {
        "procedure": procedure,
        "documents": procedure.document_list(),
        "category_label": queries.category_label(procedure.category) or "",
        "screen_category": procedure.category,
        "screen_procedure": procedure.slug,
    }


@kiosk_view("GET", "HEAD")
def procedure(request: HttpRequest, kiosk: Kiosk, slug: str) -> HttpResponse:
    found = queries.procedure_for_slug(slug)
    if found is None:
        return _not_found(request, kiosk)
    fresh = _enter(request, kiosk)
    services.usage_count(kiosk=kiosk, metric=UsageMetric.PROCEDURE, key=found.slug)
    return _page(request, kiosk, "kiosks/kiosk_mode/procedure.html", _procedure_context(found), fresh=fresh)


def qr_svg(url: str, *, label: str) -> SafeString:
    """An inline SVG QR code of ``url`` (made here: no external request), labelled for
    assistive technologies."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
    svg = image.to_string(encoding="unicode")
    svg = svg.replace('width="', 'data-width="', 1).replace('height="', 'data-height="', 1)
    svg = svg.replace('id="qr-path" ', "", 1)
    escaped = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    svg = svg.replace("<svg ", f'<svg class="kiosk-qr__code" role="img" aria-label="{escaped}" ', 1)
    # Generated by qrcode from our own URL; the only text, the label, is escaped above.
    return mark_safe(svg)


@kiosk_view("GET", "HEAD")
def takeaway(request: HttpRequest, kiosk: Kiosk, slug: str) -> HttpResponse:
    found = queries.procedure_for_slug(slug)
    if found is None:
        return _not_found(request, kiosk)
    fresh = _enter(request, kiosk)
    services.usage_count(kiosk=kiosk, metric=UsageMetric.TAKEAWAY, key=found.slug)
    public_url = absolute_url(f"/demarches/{found.slug}/")
    context = _procedure_context(found)
    context.update(
        {
            "public_url": public_url,
            "qr": qr_svg(public_url, label=_("Code QR de la page « %(title)s »") % {"title": found.title}),
        }
    )
    return _page(request, kiosk, "kiosks/kiosk_mode/takeaway.html", context, fresh=fresh)


@kiosk_view("POST")
def help_request(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    form = HelpRequestForm(request.POST)
    form.is_valid()  # odd values are dropped: the call for help goes through regardless
    data = getattr(form, "cleaned_data", {})
    slug = data.get("demarche", "")
    found = queries.procedure_for_slug(slug) if slug else None
    _enter(request, kiosk)
    try:
        services.help_request_create(actor=None, kiosk=kiosk, category=data.get("categorie", ""), procedure=found)
        request.session[HELP_SESSION_KEY] = "sent"
    except services.HelpAlreadyRequestedError:
        request.session[HELP_SESSION_KEY] = "already"
    return _go(request, reverse("kiosks:kiosk_mode_help_sent", args=[kiosk.code]))


@kiosk_view("GET", "HEAD")
def help_sent(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    state = request.session.get(HELP_SESSION_KEY)
    if state not in ("sent", "already"):
        return redirect(_home_url(kiosk))
    fresh = _enter(request, kiosk)
    return _page(request, kiosk, "kiosks/kiosk_mode/help_sent.html", {"already": state == "already"}, fresh=fresh)


@kiosk_view("POST")
def display_option(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    """Turn "Contraste élevé" or "Texte plus grand" on or off for the current person."""
    form = DisplayOptionForm(request.POST)
    target = _home_url(kiosk)
    if form.is_valid():
        key = DISPLAY_OPTIONS[form.cleaned_data["option"]]
        _enter(request, kiosk)
        request.session[key] = not request.session.get(key, False)
        wanted = form.cleaned_data.get("suivant") or ""
        if (
            wanted.startswith(target)
            and "\x00" not in wanted
            and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()})
        ):
            target = wanted
    return _go(request, target)


@kiosk_view("GET", "POST")
def end(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    """Idle reset or "Terminer": nothing of the previous person stays. The session is flushed
    (a new one starts at the home page), the cookies are expired, and the browser is asked to
    drop its cache, cookies and storage for the site."""
    request.session.flush()
    response = redirect(_home_url(kiosk))
    response.delete_cookie(
        settings.SESSION_COOKIE_NAME,
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
        samesite=settings.SESSION_COOKIE_SAMESITE,  # type: ignore[arg-type]
    )
    response.delete_cookie(
        settings.CSRF_COOKIE_NAME,
        path=settings.CSRF_COOKIE_PATH,
        domain=settings.CSRF_COOKIE_DOMAIN,
        samesite=settings.CSRF_COOKIE_SAMESITE,  # type: ignore[arg-type]
    )
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@login_not_required
@csp(KIOSK_CSP)
def not_found(request: HttpRequest, code: str = "", rest: str = "") -> HttpResponseBase:
    """Any other address under ``/borne/``: the kiosk's 404, never the site's (whose links
    lead out of the kiosk)."""
    kiosk = queries.kiosk_for_code(code) if code else None
    return _secure(_not_found(request, kiosk))


urlpatterns = [
    path("borne/<str:code>/", home, name="kiosk_mode_home"),
    path("borne/<str:code>/categorie/<str:category>/", category, name="kiosk_mode_category"),
    path("borne/<str:code>/demarche/<str:slug>/", procedure, name="kiosk_mode_procedure"),
    path("borne/<str:code>/demarche/<str:slug>/emporter/", takeaway, name="kiosk_mode_takeaway"),
    path("borne/<str:code>/aide/", help_request, name="kiosk_mode_help"),
    path("borne/<str:code>/aide/envoyee/", help_sent, name="kiosk_mode_help_sent"),
    path("borne/<str:code>/affichage/", display_option, name="kiosk_mode_display"),
    path("borne/<str:code>/fin/", end, name="kiosk_mode_end"),
    re_path(r"^borne/(?:(?P<code>[^/]*)/(?P<rest>.*))?$", not_found, name="kiosk_mode_not_found"),
]
