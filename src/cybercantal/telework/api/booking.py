"""API of part "booking" (``/api/telecentres/``): a telecentre's availability for a week,
booking, cancelling, my bookings.

- ``GET /{slug}/disponibilites?semaine=AAAA-MM-JJ``: everyone (same grid as the page, same
  three queries).
- ``POST /reservations``, ``DELETE /reservations/{id}`` (or ``POST /reservations/{id}/annuler``),
  ``GET /mes-reservations``: signed in through the site's session (``django_auth``; writes
  carry the ``X-CSRFToken`` header like any form of the site); anonymous: 401.

The rules are the booking service's (``services.booking``): the API turns its errors into
``{"code", "message", "field"}`` with the service's French message: 400 for a rule, 403 when
booking for someone else without being the telecentre's manager, 409 when the period is taken
(``code: "conflict"`` with the nearest free ``alternatives``) or when the person already holds
a booking at that time (``code: "duplicate"`` with its id: a retried request is harmless).
Amounts are strings in euros (``"18.00"``), never floats. Prices come from the plan or the
agreement, never from the request.
"""

# No ``from __future__ import annotations``: django-ninja reads the annotations at runtime.

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth
from pydantic import field_validator

from cybercantal.api.errors import ApiError, error_body
from cybercantal.api.pagination import Page, PageParams, paginate
from cybercantal.core.links import absolute_url
from cybercantal.core.money import round_cents
from cybercantal.places.models import PlaceStatus

from ..models import Booking, BookingStatus, DayPart, Resource, ResourceKind, Telecentre
from ..queries import availability as availability_queries
from ..queries import booking as queries
from ..services import booking as service

router = Router()

MAX_ID = 2**31 - 1
# Service argument -> API field.
API_FIELDS = {"resource": "ressource", "day": "jour", "part": "moment", "starts_at": "debut", "ends_at": "fin"}
GRID_RANGE_DAYS = 2 * 366


# --- schemas ------------------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str = Field(..., description="Code de l'erreur (anglais, stable).")
    message: str = Field(..., description="Message en français.")
    field: str | None = Field(None, description="Champ en cause, s'il y en a un.")


class TelecentreRefOut(Schema):
    slug: str
    nom: str


class ResourceOut(Schema):
    id: int
    nom: str
    type: str = Field(..., description="seat_pool (espace partagé), office (bureau) ou meeting_room (salle).")
    type_libelle: str
    capacite: int = Field(..., description="Postes d'un espace partagé, ou personnes d'un bureau ou d'une salle.")


class HalfDayOut(Schema):
    moment: str = Field(..., description="morning ou afternoon.")
    debut: dt.datetime | None
    fin: dt.datetime | None
    etat: str = Field(..., description="free, full, closed, past ou later (pas encore réservable).")
    postes_libres: int
    texte: str = Field(..., description="« 3 postes libres sur 8 », « Complet », « Fermé »…")


class IntervalOut(Schema):
    debut: dt.datetime
    fin: dt.datetime


class ResourceDayOut(Schema):
    ressource: int = Field(..., description="Identifiant de la ressource (voir « ressources »).")
    etat: str = Field(..., description="free, full, closed, past ou later.")
    texte: str
    demi_journees: list[HalfDayOut] = Field(..., description="Espace partagé : le matin et l'après-midi.")
    creneaux_libres: list[IntervalOut] = Field(..., description="Bureau ou salle : les plages libres réservables.")


class DayOut(Schema):
    date: dt.date
    ferme: bool = Field(..., description="Tout le télécentre est fermé ce jour.")
    motif: str | None = Field(None, description="Pourquoi il est fermé (fermeture, ouverture à venir).")
    ressources: list[ResourceDayOut]


class WeekOut(Schema):
    telecentre: TelecentreRefOut
    semaine: dt.date = Field(..., description="Le lundi de la semaine.")
    semaine_precedente: dt.date
    semaine_suivante: dt.date
    ressources: list[ResourceOut]
    jours: list[DayOut]


class WeekParams(Schema):
    semaine: dt.date | None = Field(
        None, description="Un jour de la semaine voulue (AAAA-MM-JJ) ; par défaut, la semaine en cours."
    )


class BookingIn(Schema):
    ressource: int = Field(..., ge=1, le=MAX_ID, description="Identifiant de la ressource.")
    jour: dt.date | None = Field(None, description="Espace partagé : le jour (AAAA-MM-JJ).")
    moment: Literal["morning", "afternoon", "day"] | None = Field(
        None, description="Espace partagé : morning (matin), afternoon (après-midi) ou day (journée)."
    )
    debut: dt.datetime | None = Field(
        None, description="Bureau ou salle : début, ISO 8601 avec fuseau (2026-03-03T09:00:00+01:00)."
    )
    fin: dt.datetime | None = Field(None, description="Bureau ou salle : fin, ISO 8601 avec fuseau.")
    membre: int | None = Field(
        None, ge=1, le=MAX_ID, description="Gestionnaire du télécentre : réserver pour ce membre (identifiant)."
    )

    @field_validator("debut", "fin")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        if timezone.is_naive(value):
            raise ValueError(_("Indiquez le fuseau horaire, par exemple 2026-03-03T09:00:00+01:00."))
        _within_range(value.date())
        return value

    @field_validator("jour")
    @classmethod
    def _in_range(cls, value: dt.date | None) -> dt.date | None:
        if value is not None:
            _within_range(value)
        return value


def _within_range(day: dt.date) -> None:
    if abs((day - timezone.localdate()).days) > GRID_RANGE_DAYS:
        raise ValueError(_("Choisissez une date à moins de deux ans d'aujourd'hui."))


class BookingOut(Schema):
    id: int
    telecentre: TelecentreRefOut
    ressource: ResourceOut
    debut: dt.datetime
    fin: dt.datetime
    moment: str | None = Field(..., description="Espace partagé : morning, afternoon ou day ; sinon null.")
    periode: str = Field(..., description="La période en français.")
    statut: str = Field(..., description="confirmed, cancelled ou released (libérée pour absence).")
    statut_libelle: str
    code_arrivee: str = Field(..., description="Code à saisir (ou QR code) à l'arrivée.")
    credits_utilises: str = Field(..., description="Crédits pris sur le solde (jours, ou heures de salle).")
    prix_ht: str = Field(..., description="Prix HT facturé en plus des crédits, en euros (« 18.00 »).")
    taux_tva: str
    prix_ttc: str
    pris_en_charge_par_employeur: bool
    annulation_gratuite_jusqu_au: dt.datetime
    annulee_hors_delai: bool
    url: str = Field(..., description="La page de la réservation.")


class AlternativeOut(Schema):
    ressource: ResourceOut
    debut: dt.datetime
    fin: dt.datetime
    moment: str | None
    texte: str


class ConflictOut(ErrorOut):
    alternatives: list[AlternativeOut] = Field(..., description="Les créneaux libres les plus proches.")
    liste_attente: bool = Field(..., description="Espace partagé complet : la liste d'attente est possible.")


class DuplicateOut(ErrorOut):
    reservation: int | None = Field(None, description="La réservation déjà enregistrée à ce moment-là.")


class MyBookingsParams(PageParams):
    periode: Literal["a_venir", "passees"] = Field(
        "a_venir", description="a_venir (par défaut, la plus proche d'abord) ou passees (passées et annulées)."
    )


# --- helpers ------------------------------------------------------------------------------------


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    """Date-times in French time, with their offset (``2026-03-03T09:00:00+01:00``)."""
    return timezone.localtime(moment) if moment is not None else None


def _money(value: Decimal) -> str:
    return f"{round_cents(value):.2f}"


def _resource_out(resource: Resource) -> dict[str, Any]:
    return {
        "id": resource.pk,
        "nom": resource.name,
        "type": resource.kind,
        "type_libelle": str(ResourceKind(resource.kind).label),
        "capacite": resource.capacity,
    }


def _telecentre_out(telecentre: Telecentre) -> dict[str, str]:
    return {"slug": telecentre.slug, "nom": telecentre.name}


def booking_out(booking: Booking) -> dict[str, Any]:
    resource = booking.resource
    telecentre = resource.telecentre
    notice = dt.timedelta(hours=telecentre.cancellation_notice_hours)
    return {
        "id": booking.pk,
        "telecentre": _telecentre_out(telecentre),
        "ressource": _resource_out(resource),
        "debut": _local(booking.starts_at),
        "fin": _local(booking.ends_at),
        "moment": booking.part or None,
        "periode": service.describe_period(booking.starts_at, booking.ends_at, booking.part),
        "statut": booking.status,
        "statut_libelle": str(BookingStatus(booking.status).label),
        "code_arrivee": booking.checkin_code,
        "credits_utilises": f"{booking.credits_used:.1f}",
        "prix_ht": _money(booking.price_excl_tax),
        "taux_tva": f"{booking.vat_rate:.2f}",
        "prix_ttc": _money(booking.price_excl_tax * (1 + booking.vat_rate / 100)),
        "pris_en_charge_par_employeur": booking.agreement_id is not None,
        "annulation_gratuite_jusqu_au": _local(booking.starts_at - notice),
        "annulee_hors_delai": booking.late_cancellation,
        "url": absolute_url(reverse("telework:booking_detail", kwargs={"pk": booking.pk})),
    }


def _public_telecentre(request: HttpRequest, slug: str) -> Telecentre:
    telecentre = (
        Telecentre.objects.select_related("place").filter(place__slug=slug).first() if len(slug) <= 160 else None
    )
    if telecentre is None:
        raise Http404
    if telecentre.place.status != PlaceStatus.PUBLISHED and not request.user.has_perm(
        "telework.manage_telecentre", telecentre
    ):
        raise Http404
    return telecentre


def _service_error_body(exc: service.BookingError) -> dict[str, Any]:
    """The service's first message, with the API's name of the field it concerns."""
    error_dict = getattr(exc, "error_dict", None)
    field = None
    if error_dict:
        name = next(iter(error_dict))
        field = API_FIELDS.get(name, name)
        message = error_dict[name][0].messages[0]
    else:
        message = exc.messages[0]
    return error_body(exc.code or "invalid", message, field)


def _service_error(exc: service.BookingError, status: int = 400) -> Status:
    return Status(status, _service_error_body(exc))


def _booking_for(request: HttpRequest, booking_id: int) -> Booking:
    """The booking if the person may see it; 404 for one that does not exist or is not theirs."""
    if not 1 <= booking_id <= MAX_ID:
        raise Http404
    booking = Booking.objects.select_related("resource__telecentre__place", "member").filter(pk=booking_id).first()
    if booking is None or not request.user.has_perm("telework.view_booking", booking):
        raise Http404
    return booking


# --- availability -------------------------------------------------------------------------------


@router.get(
    "/{slug}/disponibilites",
    response={200: WeekOut, 404: ErrorOut, 422: ErrorOut},
    summary="Disponibilités d'un télécentre pour une semaine",
    description=(
        "Pour chaque jour de la semaine (du lundi au dimanche) et chaque ressource réservable : les postes "
        "libres par demi-journée d'un espace partagé, les plages libres d'un bureau ou d'une salle de réunion "
        "(pendant les horaires d'ouverture, fermetures exceptionnelles déduites). Lecture libre, sans "
        "connexion. Paramètre « semaine » : un jour quelconque de la semaine voulue (AAAA-MM-JJ), au plus "
        "deux ans avant ou après aujourd'hui. Télécentre inconnu : 404."
    ),
    operation_id="telecentres_disponibilites",
)
def week_availability(request: HttpRequest, slug: str, params: Query[WeekParams]) -> Any:
    telecentre = _public_telecentre(request, slug)
    today = timezone.localdate()
    day = params.semaine or today
    if abs((day - today).days) > GRID_RANGE_DAYS:
        raise ApiError(
            status=422,
            code="out_of_range",
            message=_("Choisissez une semaine à moins de deux ans d'aujourd'hui."),
            field="semaine",
        )
    grid = queries.week_grid(telecentre, day)
    days = []
    for row in grid.rows:
        per_resource: dict[int, dict[str, Any]] = {}
        for cell in row.cells:
            entry = per_resource.setdefault(
                cell.resource.pk,
                {"ressource": cell.resource.pk, "demi_journees": [], "creneaux_libres": [], "etats": []},
            )
            entry["etats"].append(cell.state)
            if isinstance(cell, queries.PoolCell):
                entry["demi_journees"].append(
                    {
                        "moment": cell.part,
                        "debut": _local(cell.starts_at),
                        "fin": _local(cell.ends_at),
                        "etat": cell.state,
                        "postes_libres": cell.free if cell.state in (queries.FREE, queries.FULL) else 0,
                        "texte": cell.text,
                    }
                )
            else:
                entry["creneaux_libres"] = [
                    {"debut": _local(i.starts_at), "fin": _local(i.ends_at)} for i in cell.intervals
                ]
                entry["texte"] = cell.text
        resources_out = []
        for entry in per_resource.values():
            states = entry.pop("etats")
            state = _overall(states)
            entry["etat"] = state
            if "texte" not in entry:
                entry["texte"] = " ; ".join(
                    f"{DayPart(h['moment']).label!s} : {h['texte']}" for h in entry["demi_journees"]
                )
            resources_out.append(entry)
        days.append({"date": row.day, "ferme": row.closed, "motif": row.closed_reason, "ressources": resources_out})
    return {
        "telecentre": _telecentre_out(telecentre),
        "semaine": grid.monday,
        "semaine_precedente": grid.previous,
        "semaine_suivante": grid.next,
        "ressources": [_resource_out(r) for r in grid.resources],
        "jours": days,
    }


def _overall(states: list[str]) -> str:
    for state in (queries.FREE, queries.FULL, queries.LATER, queries.PAST):
        if state in states:
            return state
    return queries.CLOSED


# --- booking ------------------------------------------------------------------------------------


@router.post(
    "/reservations",
    auth=django_auth,
    response={
        201: BookingOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        409: ConflictOut | DuplicateOut,
        422: ErrorOut,
    },
    summary="Réserver un poste, un bureau ou une salle",
    description=(
        "Pour la personne connectée. Espace partagé : « ressource », « jour » et « moment » (morning, "
        "afternoon ou day) ; bureau ou salle : « ressource », « debut » et « fin » avec leur fuseau horaire. "
        "Le coût est décidé par la plateforme (crédits de la formule, tarif à l'usage ou convention "
        "employeur), jamais par la requête. 201 : la réservation. 400 : une règle n'est pas respectée "
        "(fenêtre de réservation, horaires, durée, quota, accès), message en français et champ en cause. "
        "403 : réserver pour un autre membre sans être gestionnaire du télécentre. 409 avec "
        "code « conflict » : le créneau est pris, avec les créneaux libres les plus proches ; avec code "
        "« duplicate » : vous avez déjà une réservation à ce moment-là (son identifiant est donné : "
        "renvoyer la même requête ne crée pas de doublon). 422 : requête mal formée."
    ),
    operation_id="telecentres_reserver",
)
def booking_create(request: HttpRequest, payload: BookingIn) -> Any:
    resource = Resource.objects.select_related("telecentre__place").filter(pk=payload.ressource, is_active=True).first()
    if resource is None or (
        resource.telecentre.place.status != PlaceStatus.PUBLISHED
        and not request.user.has_perm("telework.manage_telecentre", resource.telecentre)
    ):
        raise ApiError(status=422, code="invalid", message=_("Cette ressource n'existe pas."), field="ressource")
    telecentre = resource.telecentre
    member: Any = request.user
    if payload.membre is not None and payload.membre != request.user.pk:
        if not request.user.has_perm("telework.book_for_others", telecentre):
            return Status(
                403,
                error_body("forbidden", _("Vous ne pouvez réserver que pour vous-même."), "membre"),
            )
        member = queries.current_member(telecentre, payload.membre)
        if member is None:
            raise ApiError(
                status=422,
                code="invalid",
                message=_("Cette personne n'est pas membre de ce télécentre."),
                field="membre",
            )
    day = payload.jour
    if resource.kind == ResourceKind.SEAT_POOL and day is None and payload.debut is not None:
        day = timezone.localtime(payload.debut).date()
    try:
        booking = service.booking_create(
            actor=request.user,
            resource=resource,
            member=member,
            starts_at=payload.debut if resource.is_exclusive else None,
            ends_at=payload.fin if resource.is_exclusive else None,
            day=day if resource.kind == ResourceKind.SEAT_POOL else None,
            part=payload.moment or "",
        )
    except service.BookingConflictError as exc:
        return Status(
            409,
            {
                **error_body("conflict", exc.messages[0]),
                "alternatives": [
                    {
                        "ressource": _resource_out(a.resource),
                        "debut": _local(a.starts_at),
                        "fin": _local(a.ends_at),
                        "moment": a.part or None,
                        "texte": a.describe(),
                    }
                    for a in exc.alternatives
                ],
                "liste_attente": exc.can_wait,
            },
        )
    except service.BookingError as exc:
        if exc.code == "duplicate":
            return Status(409, _duplicate_body(exc, member, resource, payload, day))
        if exc.code == "forbidden":
            return _service_error(exc, 403)
        return _service_error(exc)
    booking = Booking.objects.select_related("resource__telecentre__place").get(pk=booking.pk)
    return Status(201, booking_out(booking))


def _duplicate_body(
    exc: service.BookingError, member: Any, resource: Resource, payload: BookingIn, day: dt.date | None
) -> dict[str, Any]:
    starts_at, ends_at = payload.debut, payload.fin
    if resource.kind == ResourceKind.SEAT_POOL and day is not None and payload.moment:
        period = service.resolve_period(resource=resource, starts_at=None, ends_at=None, day=day, part=payload.moment)
        starts_at, ends_at = period[0], period[1]
    existing = None
    if starts_at is not None and ends_at is not None:
        existing = (
            availability_queries.member_overlaps(member.pk, resource, starts_at, ends_at)
            .order_by("starts_at")
            .values_list("pk", flat=True)
            .first()
        )
    return {**_service_error_body(exc), "code": "duplicate", "reservation": existing}


# --- cancelling ---------------------------------------------------------------------------------

CANCEL_DESCRIPTION = (
    "Par le membre, ou par un gestionnaire du télécentre. Avant le délai d'annulation gratuite du "
    "télécentre, les crédits sont rendus et rien n'est facturé ; après, la réservation reste due "
    "(« annulee_hors_delai » vrai) sauf annulation par le télécentre. Annuler une réservation déjà annulée "
    "ne change rien (200). 400 (code « past ») : la réservation est terminée. 404 : réservation inconnue "
    "ou d'une autre personne."
)


def _cancel(request: HttpRequest, reservation_id: int) -> Any:
    booking = _booking_for(request, reservation_id)
    if not request.user.has_perm("telework.cancel_booking", booking):
        return Status(403, error_body("forbidden", _("Vous ne pouvez pas annuler cette réservation.")))
    try:
        service.booking_cancel(actor=request.user, booking=booking)
    except service.BookingError as exc:
        return _service_error(exc, 403 if exc.code == "forbidden" else 400)
    booking.refresh_from_db()
    return Status(200, booking_out(booking))


@router.delete(
    "/reservations/{reservation_id}",
    auth=django_auth,
    response={200: BookingOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Annuler une réservation",
    description=CANCEL_DESCRIPTION,
    operation_id="telecentres_annuler",
)
def booking_delete(request: HttpRequest, reservation_id: int) -> Any:
    return _cancel(request, reservation_id)


@router.post(
    "/reservations/{reservation_id}/annuler",
    auth=django_auth,
    response={200: BookingOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Annuler une réservation (variante POST)",
    description=CANCEL_DESCRIPTION + " Même effet que DELETE, pour les clients qui ne savent faire que GET et POST.",
    operation_id="telecentres_annuler_post",
)
def booking_cancel_post(request: HttpRequest, reservation_id: int) -> Any:
    return _cancel(request, reservation_id)


# --- my bookings --------------------------------------------------------------------------------


@router.get(
    "/mes-reservations",
    auth=django_auth,
    response={200: Page[BookingOut], 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Mes réservations",
    description=(
        "Les réservations de la personne connectée, par pages (« page », « size » ≤ 100) : à venir (la plus "
        "proche d'abord) ou, avec periode=passees, passées et annulées (la plus récente d'abord)."
    ),
    operation_id="telecentres_mes_reservations",
)
def my_bookings(request: HttpRequest, params: Query[MyBookingsParams]) -> Any:
    items = queries.upcoming_of(request.user) if params.periode == "a_venir" else queries.past_of(request.user)
    return paginate(request, items, params, transform=booking_out)
