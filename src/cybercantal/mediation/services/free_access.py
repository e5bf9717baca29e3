"""Every write of the free-access part: public computers, their bookings by slot, and the
anonymous visit counts by day and time slot.

Double bookings: on PostgreSQL the ``computer_booking_no_overlap`` exclusion constraint
refuses them; the insert runs in a savepoint and its ``IntegrityError`` becomes a
``BookingConflictError`` proposing the nearest free slots. On SQLite the write transaction is
``BEGIN IMMEDIATE`` (writers are serialised) and the overlap query below, run inside it,
gives the same guarantee (ADR 0007). The query also runs on PostgreSQL: most conflicts are
found there, the constraint catches the races.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.core import journal
from cybercantal.core.db import is_postgres, lock_for_update
from cybercantal.core.tasks import email_on_commit
from cybercantal.mediation.models import (
    ComputerBooking,
    Equipment,
    EquipmentKind,
    FreeAccessVisit,
    PublicComputer,
    VisitSlot,
)
from cybercantal.mediation.queries import free_access as queries
from cybercantal.places.models import Place

MAX_VISITS = 10_000
COMPUTER_KINDS = (EquipmentKind.DESKTOP, EquipmentKind.LAPTOP, EquipmentKind.TABLET)


class BookingConflictError(ValidationError):
    """The slot is taken; ``alternatives`` are the nearest free ones of the same place."""

    def __init__(self, *, computer: PublicComputer, alternatives: list[dict[str, Any]]) -> None:
        self.computer = computer
        self.alternatives = alternatives
        if alternatives:
            proposals = " ; ".join(
                queries.describe_slot(a["computer"], a["starts_at"], a["ends_at"]) for a in alternatives
            )
            message = _(
                "Ce créneau vient d'être réservé par quelqu'un d'autre. Créneaux libres les plus proches : %(slots)s."
            ) % {"slots": proposals}
        else:
            message = _(
                "Ce créneau vient d'être réservé par quelqu'un d'autre et aucun autre créneau n'est libre "
                "dans les jours qui suivent : appelez le lieu."
            )
        super().__init__(message, code="conflict")


def can_manage(actor: Any, place: Place) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False)) and actor.has_perm(
        "mediation.manage_free_access", place
    )


# --- public computers ------------------------------------------------------------------------


def _clean_computer(
    *, place: Place, label: str, features: str, equipment: Equipment | None, computer: PublicComputer | None
) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    label = (label or "").strip()
    features = (features or "").strip()
    if not label:
        errors.setdefault("label", []).append(_("Donnez un nom au poste, par exemple « Poste 1 »."))
    elif len(label) > 60:
        errors.setdefault("label", []).append(_("Le nom du poste ne peut pas dépasser 60 caractères."))
    if len(features) > 200:
        errors.setdefault("features", []).append(_("Les particularités ne peuvent pas dépasser 200 caractères."))
    if equipment is not None:
        if equipment.place_id != place.pk:
            errors.setdefault("equipment", []).append(_("Cet équipement n'est pas inventorié dans ce lieu."))
        elif equipment.kind not in COMPUTER_KINDS:
            errors.setdefault("equipment", []).append(_("Choisissez un ordinateur ou une tablette de l'inventaire."))
        else:
            taken = PublicComputer.objects.filter(equipment=equipment)
            if computer is not None:
                taken = taken.exclude(pk=computer.pk)
            if taken.exists():
                errors.setdefault("equipment", []).append(_("Cet équipement est déjà rattaché à un autre poste."))
    if label and "label" not in errors:
        same = PublicComputer.objects.filter(place=place, label__iexact=label)
        if computer is not None:
            same = same.exclude(pk=computer.pk)
        if same.exists():
            errors.setdefault("label", []).append(_("Un poste porte déjà ce nom dans ce lieu."))
    if errors:
        raise ValidationError(errors)
    return label, features


def _save_computer(computer: PublicComputer) -> None:
    try:
        with transaction.atomic():
            computer.save()
    except IntegrityError as exc:  # a race on the unique name or on the equipment
        raise ValidationError(
            {"label": [_("Un poste porte déjà ce nom dans ce lieu, ou l'équipement est déjà pris.")]}
        ) from exc


@transaction.atomic
def public_computer_create(
    *, actor: Any, place: Place, label: str, features: str = "", equipment: Equipment | None = None
) -> PublicComputer:
    """Add a bookable computer to a place."""
    label, features = _clean_computer(place=place, label=label, features=features, equipment=equipment, computer=None)
    computer = PublicComputer(place=place, label=label, features=features, equipment=equipment)
    _save_computer(computer)
    journal.record(actor=actor, action="mediation.public_computer.created", target=computer, data={"place": place.pk})
    return computer


@transaction.atomic
def public_computer_update(
    *,
    actor: Any,
    computer: PublicComputer,
    label: str,
    features: str = "",
    equipment: Equipment | None = None,
    is_active: bool = True,
) -> PublicComputer:
    """Rename, describe, link to the inventory, or stop offering a computer for booking
    (existing bookings are kept: the mediator tells the people concerned)."""
    computer = lock_for_update(PublicComputer.objects.filter(pk=computer.pk)).select_related("place").get()
    label, features = _clean_computer(
        place=computer.place, label=label, features=features, equipment=equipment, computer=computer
    )
    before = {"label": computer.label, "is_active": computer.is_active}
    computer.label, computer.features, computer.equipment, computer.is_active = label, features, equipment, is_active
    _save_computer(computer)
    journal.record(
        actor=actor,
        action="mediation.public_computer.updated",
        target=computer,
        data={"before": before, "after": {"label": label, "is_active": is_active}},
    )
    return computer


# --- bookings ----------------------------------------------------------------------------------

_PHONE_CHARS = re.compile(r"[\s.\-/()]")
_PHONE = re.compile(r"^(?:0[1-9]\d{8}|\+\d{8,15})$")


def normalise_phone(phone: str) -> str:
    """``04 71 00 00 00`` -> ``0471000000``; ``+33 4 71…`` -> ``0471…`` (compared as stored)."""
    compact = _PHONE_CHARS.sub("", phone or "")
    if compact.startswith("+33") and len(compact) == 12:
        compact = "0" + compact[3:]
    if compact.startswith("0033") and len(compact) == 13:
        compact = "0" + compact[4:]
    return compact


def _clean_person(*, name: str, phone: str, email: str, staff: bool, user: Any) -> tuple[str, str, str]:
    errors: dict[str, list[str]] = {}
    name = " ".join((name or "").split())
    phone_raw = (phone or "").strip()
    email = (email or "").strip().lower()
    if not name and user is not None:
        name = user.get_full_name() or ""
    if not name:
        errors["name"] = [_("Indiquez votre nom (ou celui de la personne) pour que le médiateur vous accueille.")]
    elif len(name) > 120:
        errors["name"] = [_("Le nom ne peut pas dépasser 120 caractères.")]
    phone_value = normalise_phone(phone_raw)
    if phone_raw and (len(phone_raw) > 30 or not _PHONE.match(phone_value)):
        errors["phone"] = [_("Numéro de téléphone invalide : 10 chiffres, par exemple 04 71 00 00 00.")]
    if email:
        try:
            if len(email) > 254:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Adresse électronique invalide, par exemple prenom.nom@exemple.fr.")]
    if not phone_raw and not email and not staff:
        errors["phone"] = [
            _("Indiquez un numéro de téléphone ou une adresse électronique : le lieu doit pouvoir vous prévenir.")
        ]
    if errors:
        raise ValidationError(errors)
    return name, phone_value, email


def _check_window(*, place: Place, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime, staff: bool) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValidationError({"starts_at": [_("Heure de début ou de fin incomplète (fuseau horaire manquant).")]})
    minutes = (ends_at - starts_at).total_seconds() / 60
    if minutes not in queries.DURATIONS:
        raise ValidationError({"starts_at": [_("Un créneau dure 30 minutes ou 1 heure.")]})
    if ends_at <= now or (starts_at < now and not staff):
        raise ValidationError({"starts_at": [_("Ce créneau est déjà passé : choisissez un créneau à venir.")]})
    day = timezone.localtime(starts_at).date()
    if day > timezone.localdate(now) + dt.timedelta(days=queries.MAX_DAYS_AHEAD):
        raise ValidationError(
            {
                "starts_at": [
                    _("On ne peut réserver que %(days)s jours à l'avance au plus.") % {"days": queries.MAX_DAYS_AHEAD}
                ]
            }
        )
    if not queries.is_bookable_range(place, starts_at, ends_at):
        raise ValidationError(
            {
                "starts_at": [
                    _(
                        "Ce créneau est en dehors des horaires d'ouverture de %(place)s : choisissez un créneau "
                        "proposé dans le tableau du jour."
                    )
                    % {"place": place.name}
                ]
            }
        )


def _check_daily_limit(
    *, place: Place, starts_at: dt.datetime, minutes: int, name: str, phone: str, email: str, user: Any
) -> None:
    """At most two hours a day per person, whichever computer and place."""
    who = Q()
    if user is not None:
        who |= Q(user=user)
    if email:
        who |= Q(email__iexact=email)
    if phone:
        who |= Q(phone=phone)
    if not who:  # booked at the desk with neither contact nor account: the name at this place
        who = Q(name__iexact=name, computer__place=place)
    day = timezone.localtime(starts_at).date()
    start = queries._aware(day, 0)
    end = queries._aware(day + dt.timedelta(days=1), 0)
    taken = ComputerBooking.objects.filter(
        who, status=ComputerBooking.Status.CONFIRMED, starts_at__gte=start, starts_at__lt=end
    ).values_list("starts_at", "ends_at")
    already = sum(int((b - a).total_seconds() // 60) for a, b in taken)
    if already + minutes > queries.MAX_MINUTES_PER_DAY:
        raise ValidationError(
            {
                "starts_at": [
                    _(
                        "Deux heures de réservation par personne et par jour au plus : vous avez déjà "
                        "%(minutes)s minutes réservées le %(date)s."
                    )
                    % {"minutes": already, "date": queries.long_date(day)}
                ]
            },
            code="daily_limit",
        )


def _lock_place_and_person(*, place: Place, phone: str, email: str, user: Any) -> None:
    """Serialise the bookings that the daily limit compares: those of ``place`` (its row
    locked), and on PostgreSQL those of the same person anywhere (transaction-scoped advisory
    locks on their phone, email and account, taken in one order so two bookings never wait
    for each other crosswise)."""
    lock_for_update(Place.objects.filter(pk=place.pk)).values_list("pk", flat=True).first()
    if not is_postgres(ComputerBooking.objects.db):
        return
    keys = sorted(
        {f"booking-person:{kind}:{value}" for kind, value in (("phone", phone), ("email", email)) if value}
        | ({f"booking-person:user:{user.pk}"} if getattr(user, "pk", None) else set())
    )
    if keys:
        with connections[ComputerBooking.objects.db].cursor() as cursor:
            for key in keys:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def _site_url(site_url: str) -> str:
    return (site_url or settings.SITE_URL).rstrip("/")


def _check_computer(computer: PublicComputer) -> None:
    if computer.pk is None or not computer.is_active:
        raise ValidationError({"computer": [_("Ce poste n'est plus proposé à la réservation.")]})


def computer_booking_check(
    *, actor: Any, computer: PublicComputer, starts_at: dt.datetime, ends_at: dt.datetime
) -> None:
    """The checks of ``computer_booking_create`` about the slot only (no write): lets the
    booking page say at once that a slot is past, outside the hours or already taken."""
    place = computer.place
    _check_computer(computer)
    _check_window(place=place, starts_at=starts_at, ends_at=ends_at, now=timezone.now(), staff=can_manage(actor, place))
    if queries.overlapping(computer, starts_at, ends_at).exists():
        minutes = int((ends_at - starts_at).total_seconds() // 60)
        raise BookingConflictError(
            computer=computer, alternatives=queries.nearest_free_slots(place, starts_at, minutes)
        )


@transaction.atomic
def computer_booking_create(
    *,
    actor: Any,
    computer: PublicComputer,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    name: str,
    phone: str = "",
    email: str = "",
    user: Any = None,
    site_url: str = "",
) -> ComputerBooking:
    """Book ``computer`` from ``starts_at`` to ``ends_at`` for a person.

    By the person (``actor`` anonymous or themself: a phone or an email is required) or by a
    mediator of the place (``booked_by``; the slot under way may still be booked for a
    walk-in). Raises ``ValidationError`` keyed by field, or ``BookingConflictError`` with the
    nearest free slots when the computer is taken.
    """
    now = timezone.now()
    place = computer.place
    staff = can_manage(actor, place)
    _check_computer(computer)
    name, phone, email = _clean_person(name=name, phone=phone, email=email, staff=staff, user=user)
    _check_window(place=place, starts_at=starts_at, ends_at=ends_at, now=now, staff=staff)
    minutes = int((ends_at - starts_at).total_seconds() // 60)
    # The two-hours-a-day rule reads several rows: the bookings of the place wait for each
    # other (place row locked), and so do the bookings of the same person at other places
    # (advisory locks on PostgreSQL; SQLite serialises every writer already).
    _lock_place_and_person(place=place, phone=phone, email=email, user=user)
    fresh = PublicComputer.objects.filter(pk=computer.pk, is_active=True).first()  # withdrawn meanwhile?
    if fresh is None:
        raise ValidationError({"computer": [_("Ce poste n'est plus proposé à la réservation.")]})
    fresh.place = place
    computer = fresh
    _check_daily_limit(
        place=place, starts_at=starts_at, minutes=minutes, name=name, phone=phone, email=email, user=user
    )
    if queries.overlapping(computer, starts_at, ends_at).exists():
        raise BookingConflictError(
            computer=computer, alternatives=queries.nearest_free_slots(place, starts_at, minutes)
        )
    try:
        with transaction.atomic():  # savepoint: the outer transaction survives the refusal
            booking = ComputerBooking.objects.create(
                computer=computer,
                starts_at=starts_at,
                ends_at=ends_at,
                user=user,
                name=name,
                phone=phone,
                email=email,
                booked_by=actor if staff else None,
            )
    except IntegrityError as exc:  # computer_booking_no_overlap (PostgreSQL): a parallel booking won
        raise BookingConflictError(
            computer=computer, alternatives=queries.nearest_free_slots(place, starts_at, minutes)
        ) from exc
    journal.record(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action="mediation.computer_booking.created",
        target=booking,
        data={
            "computer": computer.pk,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "by_staff": staff,
        },
    )
    if email:
        _send_confirmation(booking, site_url=_site_url(site_url))
    return booking


def _send_confirmation(booking: ComputerBooking, *, site_url: str) -> None:
    computer = booking.computer
    place = computer.place
    cancel = site_url + reverse("mediation:free_access_cancel", kwargs={"token": booking.token})
    slot = queries.describe_slot(computer, booking.starts_at, booking.ends_at)
    body = _(
        "Bonjour %(name)s,\n\n"
        "Votre réservation est confirmée : %(slot)s.\n"
        "Lieu : %(place)s, %(address)s, %(postal_code)s %(commune)s.\n\n"
        "Si vous ne pouvez pas venir, annulez en suivant ce lien pour libérer le poste :\n%(cancel)s\n\n"
        "À bientôt,\n%(place)s"
    ) % {
        "name": booking.name,
        "slot": slot,
        "place": place.name,
        "address": place.address,
        "postal_code": place.postal_code,
        "commune": place.commune.name if place.commune_id else "",
        "cancel": cancel,
    }
    email_on_commit(
        subject=_("Réservation d'un poste : %(slot)s") % {"slot": slot},
        body=body,
        to=[booking.email],
    )


@transaction.atomic
def computer_booking_cancel(*, actor: Any, booking: ComputerBooking) -> ComputerBooking:
    """Cancel a booking (the person through the link of the email, or the place's staff).

    Idempotent: a booking already cancelled is returned as it is. A booking whose slot has
    ended cannot be cancelled any more (it is the history of the place).
    """
    booking = lock_for_update(ComputerBooking.objects.filter(pk=booking.pk)).select_related("computer__place").get()
    if booking.status == ComputerBooking.Status.CANCELLED:
        return booking
    if booking.ends_at <= timezone.now():
        raise ValidationError(_("Ce créneau est terminé : la réservation ne peut plus être annulée."), code="past")
    booking.status = ComputerBooking.Status.CANCELLED
    booking.save(update_fields=["status"])
    staff = can_manage(actor, booking.computer.place)
    journal.record(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action="mediation.computer_booking.cancelled",
        target=booking,
        data={"by_staff": staff},
    )
    if staff and booking.email:
        slot = queries.describe_slot(booking.computer, booking.starts_at, booking.ends_at)
        email_on_commit(
            subject=_("Réservation annulée : %(slot)s") % {"slot": slot},
            body=_(
                "Bonjour %(name)s,\n\nVotre réservation (%(slot)s) a été annulée par %(place)s. "
                "Contactez le lieu pour en choisir une autre.\n"
            )
            % {"name": booking.name, "slot": slot, "place": booking.computer.place.name},
            to=[booking.email],
        )
    return booking


# --- visit counts ------------------------------------------------------------------------------


def _check_visit(*, day: dt.date, slot: str) -> None:
    if slot not in VisitSlot.values:
        raise ValidationError({"slot": [_("Créneau inconnu : matin, après-midi ou soirée.")]})
    if not isinstance(day, dt.date) or day > timezone.localdate():
        raise ValidationError({"date": [_("On ne compte pas les visites d'un jour à venir.")]})


def _visit_row(place: Place, day: dt.date, slot: str) -> FreeAccessVisit:
    """The (place, date, slot) row, created if missing. ``get_or_create`` runs the insert in a
    savepoint and reads the row back when a parallel request created it first."""
    row, _created = FreeAccessVisit.objects.get_or_create(place=place, date=day, slot=slot)
    return row


@transaction.atomic
def free_access_visit_add(*, actor: Any, place: Place, date: dt.date, slot: str, delta: int = 1) -> FreeAccessVisit:
    """Add ``delta`` visits (``-1`` to correct a mistaken tap); the count never goes below 0."""
    _check_visit(day=date, slot=slot)
    if not isinstance(delta, int) or delta == 0 or abs(delta) > 100:
        raise ValidationError({"delta": [_("On ajoute ou retire entre 1 et 100 visites à la fois.")]})
    row = _visit_row(place, date, slot)
    FreeAccessVisit.objects.filter(pk=row.pk).update(
        count=Greatest(F("count") + Value(delta), Value(0)), updated_at=timezone.now()
    )
    row.refresh_from_db(fields=["count", "updated_at"])
    journal.record(
        actor=actor,
        action="mediation.free_access_visit.added",
        target=row,
        data={"place": place.pk, "date": date.isoformat(), "slot": slot, "delta": delta},
    )
    return row


@transaction.atomic
def free_access_visit_set(*, actor: Any, place: Place, date: dt.date, slot: str, count: int) -> FreeAccessVisit:
    """Correct the count of a day and slot (entered afterwards, from a paper sheet…)."""
    _check_visit(day=date, slot=slot)
    if not isinstance(count, int) or count < 0 or count > MAX_VISITS:
        raise ValidationError({"count": [_("Le nombre de visites doit être compris entre 0 et 10 000.")]})
    row = lock_for_update(FreeAccessVisit.objects.filter(pk=_visit_row(place, date, slot).pk)).get()
    before = row.count
    row.count = count
    row.save(update_fields=["count", "updated_at"])
    journal.record(
        actor=actor,
        action="mediation.free_access_visit.set",
        target=row,
        data={"place": place.pk, "date": date.isoformat(), "slot": slot, "before": before, "after": count},
    )
    return row


# --- retention ---------------------------------------------------------------------------------

RETENTION = dt.timedelta(days=31)


@transaction.atomic
def computer_bookings_anonymise_old(*, now: dt.datetime | None = None) -> int:
    """Blank the name and contact of bookings whose slot ended more than a month ago (the
    booking form says so); the rows stay for the place's statistics. Returns how many."""
    limit = (now or timezone.now()) - RETENTION
    old = ComputerBooking.objects.filter(ends_at__lt=limit).exclude(name="", phone="", email="", user=None)
    count = old.update(name="", phone="", email="", user=None)
    if count:
        journal.record(actor=None, action="mediation.computer_booking.anonymised", data={"count": count})
    return count
