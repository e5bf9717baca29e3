"""Structured API errors: every error is ``{"code", "message", "field"}`` with a French message.

Routers raise :class:`ApiError` (or Django's ``Http404``); validation errors from django-ninja
and pydantic are translated here, one entry per problem, the first one also at the top level::

    {"code": "max_value", "message": "La valeur doit être inférieure ou égale à 100.",
     "field": "size", "errors": [{"code": "max_value", "message": "…", "field": "size"}]}
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("cybercantal.api")


class ApiError(Exception):
    """An error answered as JSON: ``status``, an English ``code``, a French ``message``, a ``field``."""

    def __init__(self, *, status: int, code: str, message: str, field: str | None = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        super().__init__(message)


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field, **extra}


# pydantic error type -> (our code, French message template using the error's ``ctx``)
_VALIDATION_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("required", "Ce paramètre est obligatoire."),
    "int_parsing": ("invalid", "Saisissez un nombre entier."),
    "int_type": ("invalid", "Saisissez un nombre entier."),
    "int_from_float": ("invalid", "Saisissez un nombre entier."),
    "float_parsing": ("invalid", "Saisissez un nombre (point décimal : 45.03)."),
    "float_type": ("invalid", "Saisissez un nombre (point décimal : 45.03)."),
    "finite_number": ("invalid", "Saisissez un nombre fini."),
    "bool_parsing": ("invalid", "Saisissez true ou false."),
    "string_type": ("invalid", "Saisissez un texte."),
    "greater_than_equal": ("min_value", "La valeur doit être supérieure ou égale à {ge}."),
    "greater_than": ("min_value", "La valeur doit être strictement supérieure à {gt}."),
    "less_than_equal": ("max_value", "La valeur doit être inférieure ou égale à {le}."),
    "less_than": ("max_value", "La valeur doit être strictement inférieure à {lt}."),
    "string_too_short": ("min_length", "Saisissez au moins {min_length} caractère(s)."),
    "string_too_long": ("max_length", "Saisissez au plus {max_length} caractère(s)."),
    "string_pattern_mismatch": ("invalid", "Le format n'est pas valide."),
    "enum": ("invalid_choice", "Valeur non autorisée ; valeurs possibles : {expected}."),
    "literal_error": ("invalid_choice", "Valeur non autorisée ; valeurs possibles : {expected}."),
    "json_invalid": ("invalid_json", "Le corps de la requête n'est pas un JSON valide."),
    "model_attributes_type": ("invalid", "Le corps de la requête doit être un objet JSON."),
    "dict_type": ("invalid", "Un objet JSON est attendu."),
    "list_type": ("invalid", "Une liste est attendue."),
    "date_parsing": ("invalid", "Saisissez une date au format AAAA-MM-JJ."),
    "date_from_datetime_parsing": ("invalid", "Saisissez une date au format AAAA-MM-JJ."),
    "datetime_parsing": ("invalid", "Saisissez une date et une heure au format ISO 8601."),
    "datetime_from_date_parsing": ("invalid", "Saisissez une date et une heure au format ISO 8601."),
}


def _field_name(loc: Any) -> str | None:
    """("query", "size") -> "size"; ("body", "payload", "a", 0) -> "a.0"."""
    parts = [str(p) for p in (loc or ()) if p not in ("query", "path", "body", "form", "header", "cookie", "file")]
    if len(parts) > 1 and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or None


def translate_validation_error(error: dict[str, Any]) -> dict[str, Any]:
    """One pydantic/ninja error dict -> ``{"code", "message", "field"}`` in French."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    field = _field_name(error.get("loc"))
    if kind == "value_error" and ctx.get("error"):
        # Our own validators raise ValueError with a French message.
        return error_body("invalid", str(ctx["error"]), field)
    code, template = _VALIDATION_MESSAGES.get(kind, ("invalid", "Valeur non valide."))
    try:
        message = _(template).format(**{k: _plain(v) for k, v in ctx.items()})
    except (KeyError, IndexError):
        message = _(template)
    return error_body(code, message, field)


def _plain(value: Any) -> str:
    """90.0 -> "90"; other values as Python prints them (0.5 keeps its point, as typed in URLs)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _respond(api: NinjaAPI, request: HttpRequest, body: dict[str, Any], status: int) -> HttpResponse:
    return api.create_response(request, body, status=status)


def install(api: NinjaAPI) -> None:
    """Replace django-ninja's default handlers with the structured French ones."""

    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return _respond(api, request, error_body(exc.code, exc.message, exc.field), exc.status)

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [translate_validation_error(e) for e in exc.errors] or [
            error_body("invalid", _("Requête non valide."))
        ]
        return _respond(api, request, {**errors[0], "errors": errors}, 422)

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _respond(api, request, error_body("not_found", _("Ressource introuvable.")), 404)

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _respond(
            api,
            request,
            error_body("authentication_required", _("Authentification requise : connectez-vous.")),
            401,
        )

    def on_authorization(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return _respond(
            api, request, error_body("permission_denied", _("Vous n'avez pas le droit de faire cela.")), 403
        )

    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        wait = math.ceil(exc.wait) if exc.wait else None
        message = (
            _("Trop de requêtes : réessayez dans %(seconds)s secondes.") % {"seconds": wait}
            if wait
            else _("Trop de requêtes : réessayez un peu plus tard.")
        )
        return _respond(api, request, error_body("rate_limited", message), 429)

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        messages = {
            400: ("bad_request", _("Requête non valide.")),
            401: ("authentication_required", _("Authentification requise : connectez-vous.")),
            403: ("permission_denied", _("Vous n'avez pas le droit de faire cela.")),
            404: ("not_found", _("Ressource introuvable.")),
            405: ("method_not_allowed", _("Méthode non autorisée.")),
            409: ("conflict", _("Conflit avec l'état actuel de la ressource.")),
        }
        code, message = messages.get(exc.status_code, ("error", _("La requête n'a pas pu aboutir.")))
        return _respond(api, request, error_body(code, message), exc.status_code)

    def on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Logged (and reported to Django's signal, so the test client re-raises it), then a
        # JSON 500: an API client never receives an HTML error page.
        logger.exception("Erreur interne de l'API", exc_info=exc)
        got_request_exception.send(sender=None, request=request)
        return _respond(
            api, request, error_body("server_error", _("Erreur interne du serveur. Réessayez plus tard.")), 500
        )

    handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
        (ApiError, on_api_error),
        (ValidationError, on_validation),
        (Http404, on_not_found),
        (AuthenticationError, on_authentication),
        (AuthorizationError, on_authorization),
        (Throttled, on_throttled),
        (HttpError, on_http_error),
        (Exception, on_exception),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)
