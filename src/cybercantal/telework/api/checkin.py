"""API of part "checkin": the member's calendar feed link, and a new one.

``GET /api/telecentres/calendrier`` and ``POST /api/telecentres/calendrier/regenerer``, for the
signed-in person (session; the POST needs the CSRF token, like any form of the site).
Anonymous: 401 with the structured French error.
"""

# No ``from __future__ import annotations``: django-ninja reads the annotations at runtime.

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.security import django_auth

from ..queries.checkin import feed_urls
from ..services import checkin as services

router = Router()


class ErrorOut(Schema):
    code: str = Field(..., description="Code de l'erreur (anglais, stable).")
    message: str = Field(..., description="Message en français.")
    field: str | None = Field(None, description="Paramètre en cause, s'il y en a un.")


class CalendarOut(Schema):
    url: str = Field(
        ...,
        description=(
            "Adresse https secrète du flux iCalendar (RFC 5545) des réservations de la personne : à coller dans "
            "Google Agenda (« À partir de l'URL »), Outlook ou tout agenda qui s'abonne à un calendrier."
        ),
    )
    webcal: str = Field(
        ..., description="La même adresse en webcal://, qu'un téléphone ou un Mac ouvre directement dans son agenda."
    )
    contenu: str = Field(
        ...,
        description=(
            "Ce que le flux contient : les réservations confirmées depuis 90 jours et à venir, et celles "
            "annulées ou libérées depuis 30 jours (STATUS:CANCELLED, pour que les agendas les retirent)."
        ),
    )


def _out(token: str) -> dict[str, Any]:
    urls = feed_urls(token)
    return {
        "url": urls["https"],
        "webcal": urls["webcal"],
        "contenu": (
            "Réservations confirmées depuis 90 jours et à venir ; annulées ou libérées depuis 30 jours, "
            "marquées annulées."
        ),
    }


@router.get(
    "/calendrier",
    auth=django_auth,
    response={200: CalendarOut, 401: ErrorOut},
    summary="Adresse de mon calendrier de réservations",
    description=(
        "Pour la personne connectée : l'adresse secrète de son flux iCalendar (https et webcal). L'adresse suffit "
        "à lire le flux, sans connexion : ne la partagez pas. Sans connexion : 401."
    ),
    operation_id="telecentres_calendrier",
)
def calendar_link(request: HttpRequest) -> Any:
    return _out(services.member_profile(request.user).calendar_token)


@router.post(
    "/calendrier/regenerer",
    auth=django_auth,
    response={200: CalendarOut, 401: ErrorOut, 403: ErrorOut},
    summary="Générer une nouvelle adresse de calendrier",
    description=(
        "Remplace l'adresse secrète du flux iCalendar de la personne connectée : l'ancienne cesse aussitôt de "
        "fonctionner (404) et les agendas abonnés doivent l'être à la nouvelle. Opération journalisée. Session "
        "du site et jeton CSRF requis ; sans connexion : 401."
    ),
    operation_id="telecentres_calendrier_regenerer",
)
def calendar_regenerate(request: HttpRequest) -> Any:
    profile = services.profile_regenerate_calendar_token(actor=request.user)
    return _out(profile.calendar_token)
