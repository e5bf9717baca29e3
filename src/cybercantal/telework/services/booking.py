"""Booking a seat, an office or a meeting room, and cancelling it.

No double booking, ever (ADR 0007, ADR 0010):
- offices and rooms: the ``booking_no_overlap`` exclusion constraint (PostgreSQL) refuses an
  overlapping confirmed booking, buffer included; the insert runs in a savepoint and its
  ``IntegrityError`` becomes a ``BookingConflictError`` with the nearest free alternatives;
- seat pools: the resource row is locked, the seats taken are counted and the booking is
  written in the same transaction;
- on SQLite the write transaction is ``BEGIN IMMEDIATE``: writers are serialised, and the
  checks below, run inside it, are the guarantee.

Prices never come from a form: credits first (``credits.debit``), else the usage price of the
member's plan, of the employer agreement, or of the telecentre's day pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.links import absolute_url
from cybercantal.core.money import round_cents
from cybercantal.core.tasks import email_on_commit
from cybercantal.places import hours

from ..models import (
    AgreementEmployee,
    AgreementStatus,
    Booking,
    BookingSeries,
    BookingStatus,
    DayPart,
    Membership,
    Plan,
    PlanKind,
    Resource,
    ResourceAccess,
    ResourceKind,
    Telecentre,
    TelecentreStatus,
)
from ..queries import availability
from . import credits, slots

ZERO = Decimal("0")


class BookingError(ValidationError):
    """A booking refused for a rule (French message, keyed by field when it concerns one).
    ``code`` says which rule, whatever the shape of the message (``quota``, ``duplicate``,
    ``forbidden``, ``no_credits``, ``conflict``...)."""

    def __init__(self, message: Any, code: str | None = None, params: Any = None) -> None:
        super().__init__(message, code=code, params=params)
        self.code = code


class BookingConflictError(BookingError):
    """The period is taken. ``alternatives``: the nearest free ones; ``can_wait``: a full seat
    pool, where the person may join the waiting list."""

    def __init__(
        self, *, resource: Resource, alternatives: list[availability.Alternative], can_wait: bool = False
    ) -> None:
        self.resource = resource
        self.alternatives = alternatives
        self.can_wait = can_wait
        if resource.kind == ResourceKind.SEAT_POOL:
            head = _("Tous les postes de « %(resource)s » sont réservés sur ce créneau.") % {"resource": resource.name}
        else:
            head = _("« %(resource)s » est déjà réservé sur ce créneau.") % {"resource": resource.name}
        if alternatives:
            message = (
                head
                + " "
                + _("Créneaux libres les plus proches : %(slots)s.")
                % {"slots": " ; ".join(a.describe() for a in alternatives)}
            )
        else:
            message = head + " " + _("Aucun autre créneau libre dans les deux semaines qui suivent.")
        super().__init__(message, code="conflict")


@dataclass(frozen=True)
class Terms:
    """Who pays and how much, decided before the booking is written."""

    membership: Membership | None
    agreement_id: int | None
    plan: Plan | None
    usage_price: Decimal | None  # price excl. tax if not covered by credits; None: credits only
    vat_rate: Decimal


# --- describing -----------------------------------------------------------------------------


def describe_period(starts_at: dt.datetime, ends_at: dt.datetime, part: str = "") -> str:
    """« mardi 3 mars 2026, matin (8 h – 13 h) » or « mardi 3 mars 2026, 14 h – 16 h »."""
    start = timezone.localtime(starts_at)
    end = timezone.localtime(ends_at)
    day = date_format(start.date(), "l j F Y")
    span = f"{hours.format_time(start.time())} – {hours.format_time(end.time())}"
    if part:
        return f"{day}, {DayPart(part).label.lower()} ({span})"
    return f"{day}, {span}"


# --- the rules ------------------------------------------------------------------------------


def _can_book_for_others(actor: Any, telecentre: Telecentre) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and actor.has_perm("telework.book_for_others", telecentre)


def resolve_period(
    *, resource: Resource, starts_at: dt.datetime | None, ends_at: dt.datetime | None, day: dt.date | None, part: str
) -> tuple[dt.datetime, dt.datetime, str]:
    """A seat pool is booked by day and part; offices and rooms by start and end."""
    if resource.kind == ResourceKind.SEAT_POOL:
        if day is None and starts_at is not None:
            day = timezone.localtime(starts_at).date()
        if day is None:
            raise BookingError({"day": [_("Choisissez un jour.")]})
        if part not in DayPart.values:
            raise BookingError({"part": [_("Choisissez le matin, l'après-midi ou la journée.")]})
        try:
            period = slots.pool_period(resource, day, part)
        except OverflowError:  # a day at the end of the calendar (9999-12-31): no hours to compute
            raise BookingError({"day": [_("Date invalide.")]}) from None
        if period is None:
            raise BookingError(
                {"day": [_("Le télécentre est fermé ce %(moment)s.") % {"moment": _describe_day_part(day, part)}]}
            )
        return period[0], period[1], part
    if starts_at is None or ends_at is None:
        raise BookingError({"starts_at": [_("Indiquez l'heure de début et l'heure de fin.")]})
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise BookingError({"starts_at": [_("Heure invalide.")]})
    if ends_at <= starts_at:
        raise BookingError({"ends_at": [_("L'heure de fin doit suivre l'heure de début.")]})
    return starts_at, ends_at, ""


def _describe_day_part(day: dt.date, part: str) -> str:
    return f"{date_format(day, 'l j F Y')} ({DayPart(part).label.lower()})"


def check_rules(
    *, resource: Resource, starts_at: dt.datetime, ends_at: dt.datetime, staff: bool, now: dt.datetime
) -> None:
    """Window, duration, step, hours and closures. Staff may book the slot under way."""
    telecentre = resource.telecentre
    if not resource.is_active:
        raise BookingError({"resource": [_("Cette ressource n'est plus proposée à la réservation.")]})
    day = timezone.localtime(starts_at).date()
    if telecentre.status != TelecentreStatus.OPEN or (telecentre.opens_on and day < telecentre.opens_on):
        when = date_format(telecentre.opens_on, "j F Y") if telecentre.opens_on else None
        if telecentre.status == TelecentreStatus.CLOSED:
            raise BookingError({"resource": [_("Ce télécentre est fermé.")]})
        if when:
            raise BookingError(
                {"day": [_("Ce télécentre ouvre le %(date)s : réservez à partir de ce jour.") % {"date": when}]}
            )
        raise BookingError({"resource": [_("Ce télécentre n'est pas encore ouvert.")]})
    if (ends_at if staff else starts_at) <= now:
        raise BookingError({"starts_at": [_("Ce créneau est déjà passé.")]})
    if day > timezone.localdate(now) + dt.timedelta(days=resource.booking_window_days):
        raise BookingError(
            {
                "day": [
                    _("Cette ressource se réserve au plus %(days)s jours à l'avance.")
                    % {"days": resource.booking_window_days}
                ]
            }
        )
    if resource.kind != ResourceKind.SEAT_POOL:
        minutes = int((ends_at - starts_at).total_seconds() // 60)
        if minutes < resource.min_minutes:
            raise BookingError(
                {"ends_at": [_("Durée minimale : %(minutes)s minutes.") % {"minutes": resource.min_minutes}]}
            )
        if minutes > resource.max_minutes:
            raise BookingError(
                {"ends_at": [_("Durée maximale : %(minutes)s minutes.") % {"minutes": resource.max_minutes}]}
            )
        local_start = timezone.localtime(starts_at)
        start_minute = local_start.hour * 60 + local_start.minute
        if start_minute % resource.step_minutes or minutes % resource.step_minutes or local_start.second:
            raise BookingError(
                {
                    "starts_at": [
                        _("Les réservations se font par tranches de %(step)s minutes.")
                        % {"step": resource.step_minutes}
                    ]
                }
            )
        if not slots.within_hours(resource, starts_at, ends_at):
            closure = slots.closure_on(resource, day)
            if closure is not None:
                reason = f" ({closure.reason})" if closure.reason else ""
                raise BookingError(
                    {"starts_at": [_("Le télécentre est fermé ce jour-là%(reason)s.") % {"reason": reason}]}
                )
            raise BookingError(
                {
                    "starts_at": [
                        _("Ce créneau dépasse les horaires d'ouverture : %(hours)s.")
                        % {"hours": hours.format_slots(slots.open_slots(resource, day))}
                    ]
                }
            )


def active_membership(member: Any, telecentre: Telecentre, on: dt.date) -> Membership | None:
    """The member's membership valid on ``on`` at ``telecentre`` (one open at a time)."""
    return (
        Membership.objects.filter(member=member, telecentre=telecentre, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("plan", "agreement")
        .order_by("-starts_on")
        .first()
    )


def _agreement_valid(membership: Membership, on: dt.date) -> bool:
    agreement = membership.agreement
    if agreement is None:
        return False
    if (
        agreement.status != AgreementStatus.ACTIVE
        or agreement.starts_on > on
        or (agreement.ends_on and agreement.ends_on < on)
    ):
        return False
    if not agreement.telecentres.filter(pk=membership.telecentre_id).exists():
        return False
    return (
        AgreementEmployee.objects.filter(agreement=agreement, user_id=membership.member_id)
        .filter(Q(removed_on__isnull=True) | Q(removed_on__gt=on))
        .exists()
    )


def day_pass_plan(telecentre: Telecentre) -> Plan | None:
    return Plan.objects.filter(telecentre=telecentre, kind=PlanKind.DAY_PASS, is_active=True).order_by("pk").first()


def _usage_price(plan: Plan | None, resource: Resource, units: Decimal) -> Decimal | None:
    if plan is None:
        return None
    unit_price = plan.usage_price_hour if resource.kind == ResourceKind.MEETING_ROOM else plan.usage_price_day
    if unit_price is None and plan.kind == PlanKind.DAY_PASS and resource.kind != ResourceKind.MEETING_ROOM:
        unit_price = plan.price_excl_tax
    return None if unit_price is None else round_cents(unit_price * units)


def decide_terms(*, member: Any, resource: Resource, on: dt.date, units: Decimal) -> Terms:
    """Who pays: the employer (agreement), the member's plan, or the day pass for someone
    without membership on a resource open to anyone. Refuses those the resource is not for."""
    telecentre = resource.telecentre
    membership = active_membership(member, telecentre, on)
    if membership is not None and membership.agreement_id is not None and not _agreement_valid(membership, on):
        membership = None  # the agreement has ended or no longer names the person
    if resource.access == ResourceAccess.PARTNERS and (membership is None or membership.agreement_id is None):
        raise BookingError(
            {"resource": [_("Cette ressource est réservée aux salariés des employeurs conventionnés du télécentre.")]}
        )
    if resource.access == ResourceAccess.MEMBERS and membership is None:
        raise BookingError(
            {
                "resource": [
                    _("Cette ressource est réservée aux membres du télécentre : choisissez d'abord une formule.")
                ]
            }
        )
    if membership is not None and membership.agreement_id is not None:
        agreement = membership.agreement
        if agreement is None:  # pragma: no cover - agreement_id is set
            raise BookingError(_("Convention introuvable."))
        if resource.kind == ResourceKind.MEETING_ROOM:
            price = _usage_price(day_pass_plan(telecentre), resource, units)
        else:
            price = round_cents(agreement.day_price_excl_tax * units)
        return Terms(membership, agreement.pk, None, price, agreement.vat_rate)
    if membership is not None and membership.plan is not None:
        plan = membership.plan
        return Terms(membership, None, plan, _usage_price(plan, resource, units), plan.vat_rate)
    day_pass = day_pass_plan(telecentre)
    price = _usage_price(day_pass, resource, units)
    if price is None or day_pass is None:
        raise BookingError(
            {"resource": [_("Aucun tarif à l'usage n'est prévu pour cette ressource : choisissez une formule.")]}
        )
    return Terms(None, None, day_pass, price, day_pass.vat_rate)


def _check_quota(*, member: Any, terms: Terms, day: dt.date, adding: Decimal) -> None:
    """Days per week from the plan and from the employer agreement."""
    if adding <= 0:
        return
    monday, sunday = slots.week_bounds(day)
    week = availability.confirmed().filter(
        member=member,
        starts_at__gte=slots.local(monday, 0),
        starts_at__lt=slots.local(sunday + dt.timedelta(days=1), 0),
    )
    limits: list[tuple[int, Any, str]] = []
    if terms.plan is not None and terms.plan.days_per_week and terms.membership is not None:
        limits.append((terms.plan.days_per_week, week.filter(membership=terms.membership), "plan"))
    if terms.agreement_id is not None and terms.membership is not None and terms.membership.agreement is not None:
        limits.append(
            (terms.membership.agreement.days_per_week, week.filter(agreement_id=terms.agreement_id), "agreement")
        )
    for limit, queryset, source in limits:
        used = queryset.aggregate(total=Sum("days_counted"))["total"] or ZERO
        if used + adding > limit:
            if source == "agreement":
                message = _(
                    "Votre employeur prend en charge %(limit)s jours par semaine ; vous en avez déjà réservé %(used)s "
                    "la semaine du %(monday)s."
                )
            else:
                message = _(
                    "Votre formule comprend %(limit)s jours par semaine ; vous en avez déjà réservé %(used)s "
                    "la semaine du %(monday)s."
                )
            raise BookingError(
                {"day": [message % {"limit": limit, "used": _number(used), "monday": date_format(monday, "j F")}]},
                code="quota",
            )


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


# --- create ---------------------------------------------------------------------------------


@transaction.atomic
def booking_create(
    *,
    actor: Any,
    resource: Resource,
    member: Any | None = None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    day: dt.date | None = None,
    part: str = "",
    series: BookingSeries | None = None,
    notify: bool = True,
    allow_started: bool = False,
) -> Booking:
    """Book ``resource`` for ``member`` (the actor themself by default; a telecentre manager may
    book for someone else). Raises ``BookingError`` for a rule, ``BookingConflictError`` when taken.
    ``allow_started``: the period may be under way (the waiting list giving a seat freed by a
    no-show or a late cancellation), as for staff."""
    member = member or actor
    now = timezone.now()
    resource = Resource.objects.select_related("telecentre__place").get(pk=resource.pk)
    telecentre = resource.telecentre
    staff = _can_book_for_others(actor, telecentre)
    if getattr(member, "pk", None) != getattr(actor, "pk", None) and not staff:
        raise BookingError(_("Vous ne pouvez réserver que pour vous-même."), code="forbidden")
    starts_at, ends_at, part = resolve_period(
        resource=resource, starts_at=starts_at, ends_at=ends_at, day=day, part=part
    )
    check_rules(resource=resource, starts_at=starts_at, ends_at=ends_at, staff=staff or allow_started, now=now)
    on = timezone.localtime(starts_at).date()
    units = slots.credit_units(resource, starts_at, ends_at, part)
    counted = slots.days_counted(resource, starts_at, ends_at, part)
    terms = decide_terms(member=member, resource=resource, on=on, units=units)

    # Locks, always in this order: the resource, then the membership (credits and quotas of one
    # person), then the credit grants (in credits.debit). The resource is locked whatever its
    # kind: a pool's count is only right under the lock; for an office or a room, inserts that
    # race would wait on each other in the exclusion constraint's check, and PostgreSQL ends
    # that in "deadlock detected" (an OperationalError, not a conflict) — the constraint stays
    # the guarantee, the lock makes the refusal clean.
    # An agreement's weekly quota counts every telecentre it covers: all the person's memberships
    # under it are locked (in pk order), so two bookings at two telecentres wait for each other.
    list(lock_for_update(Resource.objects.filter(pk=resource.pk)))
    if terms.membership is not None:
        held = Q(pk=terms.membership.pk)
        if terms.agreement_id is not None:
            held |= Q(member_id=member.pk, agreement_id=terms.agreement_id)
        list(lock_for_update(Membership.objects.filter(held).order_by("pk")))
        # The terms were read before the locks: a membership ended or an employee removed
        # meanwhile (agreements service) changes who pays; the person tries again.
        if decide_terms(member=member, resource=resource, on=on, units=units) != terms:
            raise BookingError(
                _("Votre adhésion vient de changer : vérifiez la réservation et réessayez."), code="retry"
            )

    if availability.member_overlaps(member.pk, resource, starts_at, ends_at).exists():
        raise BookingError(
            {"starts_at": [_("Vous avez déjà une réservation à ce moment-là dans ce télécentre.")]}, code="duplicate"
        )
    _check_quota(member=member, terms=terms, day=on, adding=counted)
    if not availability.is_free(resource, starts_at, ends_at):
        raise BookingConflictError(
            resource=resource,
            alternatives=availability.nearest_free(resource, starts_at, ends_at, part=part),
            can_wait=resource.kind == ResourceKind.SEAT_POOL,
        )

    buffer = dt.timedelta(minutes=resource.buffer_minutes)
    try:
        with transaction.atomic():  # savepoint: the outer transaction survives the refusal
            booking = Booking.objects.create(
                resource=resource,
                member=member,
                membership=terms.membership,
                agreement_id=terms.agreement_id,
                series=series,
                starts_at=starts_at,
                ends_at=ends_at,
                blocked_until=ends_at + buffer,
                part=part,
                exclusive=resource.is_exclusive,
                price_excl_tax=ZERO,
                vat_rate=terms.vat_rate,
                days_counted=counted,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:  # booking_no_overlap (PostgreSQL): a parallel booking won
        raise BookingConflictError(
            resource=resource, alternatives=availability.nearest_free(resource, starts_at, ends_at, part=part)
        ) from exc

    spent = ZERO
    if terms.membership is not None and terms.agreement_id is None:
        spent = credits.debit(
            actor=actor, membership=terms.membership, booking=booking, units=units, unit=resource.credit_unit
        )
    if spent == ZERO:
        if terms.usage_price is None:
            raise BookingError(
                _(
                    "Vos crédits ne suffisent pas pour cette réservation "
                    "et votre formule ne prévoit pas de tarif au-delà."
                ),
                code="no_credits",
            )
        booking.price_excl_tax = terms.usage_price
    booking.credits_used = spent
    Booking.objects.filter(pk=booking.pk).update(price_excl_tax=booking.price_excl_tax, credits_used=spent)

    journal.record(
        actor=actor,
        action="telework.booking.created",
        target=booking,
        data={
            "resource": resource.pk,
            "member": member.pk,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "credits": str(spent),
            "price_excl_tax": str(booking.price_excl_tax),
            "by_staff": getattr(member, "pk", None) != getattr(actor, "pk", None),
        },
    )
    if notify and bool(getattr(member, "email", "")):
        send_confirmation(booking)
    return booking


def send_confirmation(booking: Booking) -> None:
    resource = booking.resource
    place = resource.telecentre.place
    period = describe_period(booking.starts_at, booking.ends_at, booking.part)
    detail = absolute_url(reverse("telework:booking_detail", kwargs={"pk": booking.pk}))
    body = _(
        "Bonjour,\n\n"
        "Votre réservation est confirmée : %(resource)s, %(period)s.\n"
        "Lieu : %(place)s, %(address)s, %(postal_code)s %(commune)s.\n"
        "Code d'arrivée : %(code)s (ou scannez l'affiche à l'entrée).\n\n"
        "Pour la voir, l'ajouter à votre agenda ou l'annuler :\n%(detail)s\n\n"
        "Annulation gratuite jusqu'à %(hours)s heures avant.\n\n"
        "À bientôt,\n%(place)s"
    ) % {
        "resource": resource.name,
        "period": period,
        "place": place.name,
        "address": place.address,
        "postal_code": place.postal_code,
        "commune": place.commune.name if place.commune_id else "",
        "code": booking.checkin_code,
        "detail": detail,
        "hours": resource.telecentre.cancellation_notice_hours,
    }
    email_on_commit(
        subject=_("Réservation confirmée : %(period)s") % {"period": period}, body=body, to=[booking.member.email]
    )


# --- cancel ---------------------------------------------------------------------------------


def cancellation_is_free(booking: Booking, *, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    notice = dt.timedelta(hours=booking.resource.telecentre.cancellation_notice_hours)
    return now <= booking.starts_at - notice


@transaction.atomic
def booking_cancel(*, actor: Any, booking: Booking, notify: bool = True) -> Booking:
    """Cancel a booking (its member, or the telecentre's managers). Idempotent: a booking that
    is no longer confirmed is returned as it is.

    In time (``cancellation_notice_hours`` before), credits come back and nothing is billed;
    later, the booking stays due (``late_cancellation``) unless a manager cancels it. A freed
    seat goes to the first person on the waiting list."""
    if not (getattr(actor, "is_authenticated", False) and actor.has_perm("telework.cancel_booking", booking)):
        raise BookingError(_("Vous ne pouvez pas annuler cette réservation."), code="forbidden")
    resource = booking.resource
    if resource.kind == ResourceKind.SEAT_POOL:
        list(lock_for_update(Resource.objects.filter(pk=resource.pk)))
    fresh = lock_for_update(Booking.objects.filter(pk=booking.pk)).first()
    if fresh is None or fresh.status != BookingStatus.CONFIRMED:
        return fresh or booking
    now = timezone.now()
    if fresh.ends_at <= now:
        raise BookingError(_("Cette réservation est terminée : elle ne peut plus être annulée."), code="past")
    staff = actor.pk != fresh.member_id and actor.has_perm("telework.book_for_others", resource.telecentre)
    in_time = staff or cancellation_is_free(fresh, now=now)
    refunded = credits.refund(actor=actor, booking=fresh) if in_time else ZERO
    fresh.status = BookingStatus.CANCELLED
    fresh.cancelled_at = now
    fresh.cancelled_by = actor
    fresh.late_cancellation = not in_time
    fresh.save(update_fields=["status", "cancelled_at", "cancelled_by", "late_cancellation"])
    journal.record(
        actor=actor,
        action="telework.booking.cancelled",
        target=fresh,
        data={"in_time": in_time, "refunded": str(refunded), "by_staff": staff},
    )
    if resource.kind == ResourceKind.SEAT_POOL and fresh.starts_at > now - dt.timedelta(hours=1):
        from .waitlist import promote_waiting

        promote_waiting(resource=resource, starts_at=fresh.starts_at, ends_at=fresh.ends_at)
    if notify and fresh.member.email and staff:
        period = describe_period(fresh.starts_at, fresh.ends_at, fresh.part)
        email_on_commit(
            subject=_("Réservation annulée : %(period)s") % {"period": period},
            body=_(
                "Bonjour,\n\nVotre réservation %(resource)s du %(period)s a été annulée par le télécentre. "
                "Vos crédits vous ont été rendus.\n\n%(place)s"
            )
            % {"resource": resource.name, "period": period, "place": resource.telecentre.place.name},
            to=[fresh.member.email],
        )
    booking.status = fresh.status
    booking.cancelled_at = fresh.cancelled_at
    booking.late_cancellation = fresh.late_cancellation
    return fresh
