"""The kiosks part of the JSON API, mounted at ``/api/bornes/``: the heartbeat.

``POST /api/bornes/signal`` with ``Authorization: Bearer <jeton>`` (the kiosk's own secret,
issued on its staff page) and an optional body ``{"version": "..."}``: 204 when accepted.
A missing, unknown or revoked token gets a 401 with the API's structured French error and is
logged (token prefix and address only, never the token).

Rate limits (fixed one-minute windows in the Django cache, as ``api/throttling.py``), checked
before the token so that a flood costs no database query:

- per presented token: ``KIOSK_HEARTBEAT_TOKEN_RATE`` (default 10/m; a kiosk sends 1/m);
- per address, refused attempts: ``KIOSK_HEARTBEAT_REFUSAL_RATE`` (default 10/m): past it,
  every heartbeat from that address waits for the next window (guessing tokens is pointless);
- per address, all heartbeats: ``KIOSK_HEARTBEAT_IP_RATE`` (default 600/m: kiosks behind one
  shared address stay well under it).

Past a limit: 429 with ``Retry-After``, logged. The API-wide anonymous limit does not apply
here (kiosks are not anonymous visitors). No session or CSRF: the token is the credential.
"""

# No ``from __future__ import annotations``: django-ninja compares the ``response`` annotation
# with ``HttpResponse`` itself to inject the temporal response (headers).

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import pydantic
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import ValidationError
from ninja.security import HttpBearer

from cybercantal.api.errors import error_body
from cybercantal.api.throttling import client_ip, parse_rate

from .services import fleet as services

logger = logging.getLogger("cybercantal.kiosks")

router = Router(tags=["Bornes"])

CACHE_PREFIX = "api:throttle:kiosk"


class ErrorOut(Schema):
    code: str = Field(..., description="Code de l'erreur (anglais, stable).")
    message: str = Field(..., description="Message en français.")
    field: str | None = Field(None, description="Paramètre en cause, s'il y en a un.")


class HeartbeatIn(Schema):
    version: str = Field(
        "", max_length=40, description="Version du logiciel de la borne (facultatif), par exemple « 2.4.1 »."
    )


def _hit(key: str, rate: str, *, count: bool = True) -> float | None:
    """Count one hit on ``key`` (or only read it); the seconds to wait if over the limit, else None."""
    if not rate:
        return None
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    full_key = f"{CACHE_PREFIX}:{key}:{period}:{window}"
    if count:
        cache.add(full_key, 0, timeout=period + 1)
        try:
            hits = cache.incr(full_key)
        except ValueError:  # expired between add and incr
            cache.add(full_key, 1, timeout=period + 1)
            hits = 1
    else:  # reading only: the next hit would be one too many
        hits = int(cache.get(full_key, 0)) + 1
    return (window + 1) * period - now if hits > limit else None


def _rates() -> tuple[str, str, str]:
    return (
        getattr(settings, "KIOSK_HEARTBEAT_TOKEN_RATE", "10/m"),
        getattr(settings, "KIOSK_HEARTBEAT_REFUSAL_RATE", "10/m"),
        getattr(settings, "KIOSK_HEARTBEAT_IP_RATE", "600/m"),
    )


@dataclass
class Attempt:
    """What the bearer scheme read: the token (maybe empty), the address, a wait if limited."""

    token: str
    ip: str
    wait: float | None = None


class KioskToken(HttpBearer):
    """The kiosk's secret, ``Authorization: Bearer <jeton>``.

    Never fails by itself: it reads the header and applies the rate limits; the view answers
    401 or 429 with the structured error (and the right headers)."""

    def __call__(self, request: HttpRequest) -> Attempt:
        header = request.headers.get("Authorization", "")
        scheme, _sep, value = header.partition(" ")
        token = value.strip() if scheme.lower() == "bearer" else ""
        ip = client_ip(request)
        token_rate, refusal_rate, ip_rate = _rates()
        token_key = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:32] if token else f"none:{ip}"
        waits = [
            _hit(f"refused:{ip}", refusal_rate, count=False),
            _hit(f"ip:{ip}", ip_rate),
            _hit(f"token:{token_key}", token_rate),
        ]
        wait = max((w for w in waits if w is not None), default=None)
        return Attempt(token=token, ip=ip, wait=wait)

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover - __call__ does it all
        return None


@router.post(
    "/signal",
    auth=KioskToken(),
    throttle=[],
    response={204: None, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Signal de vie d'une borne",
    description=(
        "Chaque borne appelle cette adresse une fois par minute avec son propre jeton secret "
        "(en-tête « Authorization: Bearer <jeton> », jeton créé sur la fiche de la borne). "
        'Le corps JSON est facultatif : {"version": "2.4.1"}. Réponse 204 sans contenu. '
        "Un jeton absent, inconnu ou révoqué reçoit une erreur 401 (tentative journalisée). "
        "Plus de 10 signaux par minute pour un même jeton, ou plus de 10 refus par minute depuis "
        "une même adresse : erreur 429 avec l'en-tête Retry-After. Un seul signal est compté par "
        "minute : la disponibilité des bornes se mesure en minutes."
    ),
    operation_id="bornes_signal",
    openapi_extra={
        "requestBody": {
            "required": False,
            "description": "Facultatif : la version du logiciel de la borne.",
            "content": {"application/json": {"schema": HeartbeatIn.json_schema()}},
        }
    },
)
def heartbeat(request: HttpRequest, response: HttpResponse) -> Any:
    """The kiosk's heartbeat (see the module docstring). The optional body is read here, after
    the rate limits and never before: a flood costs no parsing."""
    attempt: Attempt = request.auth  # type: ignore[attr-defined]
    if attempt.wait is not None:
        seconds = max(1, math.ceil(attempt.wait))
        logger.warning(
            "Signaux de borne limités : adresse %s, jeton « %s… »", attempt.ip, services.token_prefix(attempt.token)
        )
        response["Retry-After"] = str(seconds)
        return Status(
            429,
            error_body(
                "rate_limited", _("Trop de signaux : réessayez dans %(seconds)s secondes.") % {"seconds": seconds}
            ),
        )
    version = ""
    if attempt.token and request.content_type == "application/json" and request.body.strip():
        try:
            version = HeartbeatIn.model_validate_json(request.body).version
        except pydantic.ValidationError as exc:
            raise ValidationError([dict(e) for e in exc.errors(include_url=False)]) from exc
    try:
        services.heartbeat_record(token=attempt.token, app_version=version, ip=attempt.ip)
    except services.HeartbeatRefusedError as exc:
        _hit(f"refused:{attempt.ip}", _rates()[1])
        response["WWW-Authenticate"] = 'Bearer realm="bornes"'
        message = {
            "missing": _("Jeton de borne absent : envoyez l'en-tête « Authorization: Bearer <jeton> »."),
            "unknown": _("Jeton de borne inconnu."),
            "revoked": _("Ce jeton de borne a été révoqué : créez-en un nouveau sur la fiche de la borne."),
        }[exc.reason]
        return Status(401, error_body("invalid_token", message))
    return Status(204, None)
