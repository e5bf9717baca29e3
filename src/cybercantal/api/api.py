"""The JSON API: one NinjaAPI object that mounts each app's ``api.py`` router.

Shared behaviour for every router (see docs/territoire.md, section API):

- errors are JSON ``{"code", "message", "field"}`` with a French message (``errors.py``),
  also for unknown addresses under ``/api/`` and wrong HTTP methods;
- anonymous clients are rate limited per IP (``settings.API_ANONYMOUS_RATE``, 429 with
  ``Retry-After``; ``throttling.py``);
- lists paginate with ``pagination.Page`` / ``pagination.paginate``;
- the API is public for reading: its views are exempt from ``LoginRequiredMiddleware``;
  routers that need a signed-in user declare ``auth=django_auth`` themselves.

The documentation page (/api/docs) is django-ninja's Swagger UI served from the ``ninja``
package's own static files (no CDN), with the online validator badge switched off.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path, reverse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.renderers import JSONRenderer

from . import errors
from .throttling import AnonymousRateThrottle


def _json(body: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Exempt from LoginRequiredMiddleware; turn django-ninja's plain-text 405 into JSON."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            allowed = response.get("Allow", "")
            body = errors.error_body(
                "method_not_allowed",
                _("Méthode %(method)s non autorisée ; méthodes possibles : %(allowed)s.")
                % {"method": request.method, "allowed": allowed or "—"},
            )
            json_response = _json(body, status=405)
            if allowed:
                json_response["Allow"] = allowed
            return json_response
        return response

    return login_not_required(wrapper)


@login_not_required
def api_root(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """Everyone: where the documentation and the OpenAPI description are."""
    return _json(
        {
            "nom": api.title,
            "version": api.version,
            "documentation": request.build_absolute_uri(reverse("api:openapi-view")),
            "openapi": request.build_absolute_uri(reverse("api:openapi-json")),
        }
    )


@login_not_required
def api_not_found(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """Everyone: an unknown address under /api/ is a JSON 404, like every other API error."""
    return _json(
        errors.error_body(
            "not_found", _("Aucune ressource de l'API à cette adresse : %(path)s") % {"path": request.path}
        ),
        status=404,
    )


class Utf8JSONRenderer(JSONRenderer):
    """JSON in UTF-8 ("Riom-ès-Montagnes"), not \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


class CyberCantalAPI(NinjaAPI):
    """NinjaAPI with public views, a JSON root and a JSON 404 for unknown addresses."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        result: list[URLResolver | URLPattern] = []
        for pattern in super()._get_urls():
            if isinstance(pattern, URLPattern) and pattern.name == "api-root":
                continue
            if isinstance(pattern, URLPattern):
                pattern = URLPattern(pattern.pattern, _public(pattern.callback), pattern.default_args, pattern.name)
            result.append(pattern)
        result.append(path("", api_root, name="api-root"))
        result.append(re_path(r"^.*$", api_not_found, name="api-not-found"))
        return result


api = CyberCantalAPI(
    title="CyberCantal API",
    version="1",
    description=(
        "Lieux, territoire et services de la plateforme CyberCantal. Lecture libre ; les clients "
        "anonymes sont limités en nombre de requêtes par minute (réponse 429 avec Retry-After). "
        'Toutes les erreurs ont la forme {"code", "message", "field"}.'
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs=Swagger(settings={"validatorUrl": None}),
    docs_decorator=login_not_required,
    throttle=[AnonymousRateThrottle()],
    renderer=Utf8JSONRenderer(),
)
errors.install(api)

# --- Routers ------------------------------------------------------------------------------
# One line per app, each app's router lives in its own ``<app>/api.py``.
from cybercantal.territory.api import router as territory_router  # noqa: E402

api.add_router("/territoire/", territory_router)

api.add_router("/lieux/", "cybercantal.places.api.router")
api.add_router("/bornes/", "cybercantal.kiosks.api.router")
api.add_router("/aides/", "cybercantal.grants.api.router")
api.add_router("/telecentres/", "cybercantal.telework.api.router")
