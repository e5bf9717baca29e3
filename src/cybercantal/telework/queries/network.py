"""Reads of part "network": the public list and page of the telecentres, the telecentres a
person manages, the bookings a closure or a deactivation would touch.

Every list here is built with its related rows in a fixed number of queries (prefetches), so
that a page costs the same with 7 telecentres or 70 (query-count tests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cybercantal.accounts.models import Organisation, Role
from cybercantal.accounts.queries import scoped_object_ids
from cybercantal.core.money import round_cents
from cybercantal.places import hours
from cybercantal.places.models import Place, PlaceKind, PlaceStatus

from ..models import (
    Booking,
    BookingStatus,
    Closure,
    Equipment,
    Plan,
    PlanKind,
    Resource,
    ResourceKind,
    Telecentre,
    TelecentreStatus,
)

# Organisations that may run a telecentre (an SCIC, a communauté de communes, a commune...).
OPERATOR_KINDS = (
    Organisation.Kind.TELECENTRE_OPERATOR,
    Organisation.Kind.EPCI,
    Organisation.Kind.COMMUNE,
    Organisation.Kind.ASSOCIATION,
)
# Plans whose price can be said per day ("à partir de 12 € HT/jour").
DAY_PLAN_KINDS = (PlanKind.DAY_PASS, PlanKind.CARNET, PlanKind.PART_TIME, PlanKind.FULL_TIME)


# --- public -----------------------------------------------------------------------------------


def _active_resources() -> Prefetch:
    return Prefetch(
        "resources",
        queryset=Resource.objects.filter(is_active=True).order_by("position", "name"),
        to_attr="active_resources",
    )


def _offered_plans() -> Prefetch:
    return Prefetch(
        "plans",
        queryset=Plan.objects.filter(is_active=True, is_public=True).order_by("price_excl_tax", "name"),
        to_attr="offered_plans",
    )


def public_telecentres() -> QuerySet[Telecentre]:
    """Telecentres whose place is published, with their bookable resources and their public
    plans prefetched (``active_resources``, ``offered_plans``): three queries in all."""
    return (
        Telecentre.objects.filter(place__status=PlaceStatus.PUBLISHED)
        .select_related("place__commune", "operator")
        .prefetch_related(_active_resources(), _offered_plans())
        .order_by("place__name")
    )


def public_telecentre(slug: str, *, user: Any = None) -> Telecentre:
    """The telecentre of the place ``slug``, with its resources, plans and closures to come.

    A telecentre whose place is not published is shown only to the people who manage it.
    Raises ``Http404`` (French message) otherwise."""
    today = timezone.localdate()
    telecentre = (
        Telecentre.objects.select_related("place__commune", "operator__telework_billing")
        .prefetch_related(
            _active_resources(),
            _offered_plans(),
            Prefetch(
                "closures",
                queryset=Closure.objects.filter(ends_on__gte=today).select_related("resource").order_by("starts_on"),
                to_attr="coming_closures",
            ),
        )
        .filter(place__slug=slug)
        .first()
    )
    if telecentre is None:
        raise Http404(_("Ce télécentre n'existe pas."))
    if telecentre.place.status != PlaceStatus.PUBLISHED and not (
        user is not None and user.has_perm("telework.manage_telecentre", telecentre)
    ):
        raise Http404(_("Ce télécentre n'existe pas."))
    return telecentre


def day_price(plan: Plan) -> Decimal | None:
    """What a day costs with ``plan``, excluding tax: the day pass's price, or the price divided
    by the days it includes. None when the plan cannot be said per day (room hours, unlimited)."""
    if plan.kind not in DAY_PLAN_KINDS:
        return None
    if plan.kind == PlanKind.DAY_PASS:
        return round_cents(plan.price_excl_tax)
    if plan.credit_days and plan.credit_days > 0:
        return round_cents(plan.price_excl_tax / plan.credit_days)
    return None


def lowest_day_price(plans: list[Plan]) -> Decimal | None:
    prices = [price for price in (day_price(plan) for plan in plans) if price is not None]
    return min(prices) if prices else None


@dataclass(frozen=True)
class Offer:
    """What a telecentre offers, counted from its bookable resources."""

    seats: int
    offices: int
    rooms: list[ResourceText]

    @property
    def is_empty(self) -> bool:
        return not (self.seats or self.offices or self.rooms)


def offer_of(resources: list[Resource]) -> Offer:
    return Offer(
        seats=sum(r.capacity for r in resources if r.kind == ResourceKind.SEAT_POOL),
        offices=sum(1 for r in resources if r.kind == ResourceKind.OFFICE),
        rooms=[describe_resource(r) for r in resources if r.kind == ResourceKind.MEETING_ROOM],
    )


# --- management -------------------------------------------------------------------------------


def managed_telecentres(user: Any) -> QuerySet[Telecentre]:
    """The telecentres ``user`` manages: all of them for the programme team; otherwise those
    whose place or operator organisation their telecentre-manager role is scoped to."""
    queryset = (
        Telecentre.objects.select_related("place__commune", "operator")
        .annotate(
            resource_count=Count("resources", filter=Q(resources__is_active=True), distinct=True),
        )
        .order_by("place__name")
    )
    if user.has_perm("telework.manage_network"):
        return queryset
    roles = [Role.TELECENTRE_MANAGER]
    place_ids = scoped_object_ids(user, Place, roles)
    operator_ids = scoped_object_ids(user, Organisation, roles)
    if not place_ids and not operator_ids:
        return queryset.none()
    return queryset.filter(Q(place_id__in=place_ids) | Q(operator_id__in=operator_ids))


def manage_telecentre(slug: str) -> Telecentre:
    telecentre = Telecentre.objects.select_related("place__commune", "operator").filter(place__slug=slug).first()
    if telecentre is None:
        raise Http404(_("Ce télécentre n'existe pas."))
    return telecentre


def places_without_telecentre() -> QuerySet[Place]:
    """Places of kind telecentre that are not a telecentre of the network yet."""
    return (
        Place.objects.filter(kind=PlaceKind.TELECENTRE, telecentre__isnull=True)
        .exclude(status=PlaceStatus.CLOSED)
        .select_related("commune")
        .order_by("name")
    )


def operators() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind__in=OPERATOR_KINDS).order_by("name")


def resources_of(telecentre: Telecentre) -> QuerySet[Resource]:
    """Every resource of ``telecentre`` (inactive ones too), with its upcoming confirmed
    bookings counted (``upcoming``)."""
    now = timezone.now()
    return (
        Resource.objects.filter(telecentre=telecentre)
        .annotate(
            upcoming=Count("bookings", filter=Q(bookings__status=BookingStatus.CONFIRMED, bookings__ends_at__gt=now))
        )
        .order_by("position", "name")
    )


# --- bookings touched by a change ------------------------------------------------------------


def upcoming_bookings(
    *, resource: Resource | None = None, telecentre: Telecentre | None = None, now: dt.datetime | None = None
) -> QuerySet[Booking]:
    """Confirmed bookings not over yet, of one resource or of a whole telecentre."""
    now = now or timezone.now()
    queryset = Booking.objects.filter(status=BookingStatus.CONFIRMED, ends_at__gt=now)
    if resource is not None:
        queryset = queryset.filter(resource=resource)
    if telecentre is not None:
        queryset = queryset.filter(resource__telecentre=telecentre)
    return queryset.select_related("resource", "member").order_by("starts_at", "pk")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def bookings_during(closure: Closure, *, now: dt.datetime | None = None) -> QuerySet[Booking]:
    """Confirmed bookings, not over yet, that fall in ``closure`` (its days are inclusive)."""
    queryset = upcoming_bookings(
        resource=closure.resource if closure.resource_id else None,
        telecentre=None if closure.resource_id else closure.telecentre,
        now=now,
    )
    return queryset.filter(
        starts_at__lt=_day_start(closure.ends_on + dt.timedelta(days=1)),
        ends_at__gt=_day_start(closure.starts_on),
    )


@dataclass
class ClosureRow:
    closure: Closure
    bookings: list[Booking]
    count: int


def closures_with_bookings(telecentre: Telecentre, *, shown: int = 20) -> tuple[list[ClosureRow], list[Closure]]:
    """The closures to come (with the confirmed bookings they cover, ``shown`` at most each)
    and the past ones (the last 20)."""
    today = timezone.localdate()
    coming = list(
        Closure.objects.filter(telecentre=telecentre, ends_on__gte=today)
        .select_related("resource")
        .order_by("starts_on", "pk")
    )
    rows = []
    for closure in coming:
        bookings = bookings_during(closure)
        listed = list(bookings[:shown])
        count = len(listed) if len(listed) < shown else bookings.count()
        rows.append(ClosureRow(closure=closure, bookings=listed, count=count))
    past = list(
        Closure.objects.filter(telecentre=telecentre, ends_on__lt=today)
        .select_related("resource")
        .order_by("-starts_on", "-pk")[:20]
    )
    return rows, past


def pool_peak_after(resource: Resource, *, now: dt.datetime | None = None) -> tuple[int, dt.date | None]:
    """The most seats of a pool taken at once (a half-day) by confirmed bookings to come, and
    the first day it happens: a pool cannot shrink below it."""
    peaks: dict[tuple[dt.date, str], int] = {}
    rows = upcoming_bookings(resource=resource, now=now).values_list("starts_at", "part")
    for starts_at, part in rows:
        day = timezone.localtime(starts_at).date()
        halves = ("morning", "afternoon") if part in ("day", "") else (part,)
        for half in halves:
            peaks[(day, half)] = peaks.get((day, half), 0) + 1
    if not peaks:
        return 0, None
    peak = max(peaks.values())
    first_day = min(day for (day, _half), count in peaks.items() if count == peak)
    return peak, first_day


def status_sentence(telecentre: Telecentre, today: dt.date | None = None) -> str:
    """The status said plainly: « Ouvert depuis le 3 mars 2025 », « Ouverture prévue le … »,
    « Fermé depuis le … »."""
    today = today or timezone.localdate()
    if telecentre.status == TelecentreStatus.OPEN and telecentre.opens_on:
        when = date_format(telecentre.opens_on, "j F Y")
        if telecentre.opens_on > today:
            return _("Ouverture le %(date)s (réservations ouvertes)") % {"date": when}
        return _("Ouvert depuis le %(date)s") % {"date": when}
    if telecentre.status == TelecentreStatus.CLOSED:
        if telecentre.closed_on:
            return _("Fermé depuis le %(date)s") % {"date": date_format(telecentre.closed_on, "j F Y")}
        return _("Fermé")
    if telecentre.opens_on:
        return _("Ouverture prévue le %(date)s") % {"date": date_format(telecentre.opens_on, "j F Y")}
    return _("Ouverture en projet")


def is_bookable(telecentre: Telecentre) -> bool:
    """Open (possibly from a date to come: bookings are taken ahead of the opening)."""
    return telecentre.status == TelecentreStatus.OPEN


# --- said in French ---------------------------------------------------------------------------


def say_minutes(minutes: int) -> str:
    """``90`` -> ``"1 h 30"``, ``45`` -> ``"45 min"``, ``120`` -> ``"2 h"``."""
    hours_part, rest = divmod(int(minutes), 60)
    if not hours_part:
        return _("%(m)s min") % {"m": rest}
    if not rest:
        return _("%(h)s h") % {"h": hours_part}
    return _("%(h)s h %(m)02d") % {"h": hours_part, "m": rest}


@dataclass
class ResourceText:
    resource: Resource
    capacity: str
    equipment: list[str]
    rules: list[str]
    own_hours: list[Any]


def describe_resource(resource: Resource) -> ResourceText:
    """A resource as a person reads it: capacity, equipment, and its booking rules in French."""
    if resource.kind == ResourceKind.SEAT_POOL:
        capacity = ngettext("%(n)s poste", "%(n)s postes", resource.capacity) % {"n": resource.capacity}
    else:
        capacity = ngettext("%(n)s personne", "%(n)s personnes", resource.capacity) % {"n": resource.capacity}
    rules = [
        ngettext(
            "Réservable jusqu'à %(n)s jour à l'avance.",
            "Réservable jusqu'à %(n)s jours à l'avance.",
            resource.booking_window_days,
        )
        % {"n": resource.booking_window_days}
    ]
    if resource.kind == ResourceKind.SEAT_POOL:
        rules.append(_("Se réserve à la demi-journée (matin ou après-midi) ou à la journée."))
    else:
        if resource.min_minutes == resource.max_minutes:
            rules.append(_("Se réserve pour %(d)s exactement.") % {"d": say_minutes(resource.min_minutes)})
        else:
            rules.append(
                _("Durée : de %(min)s à %(max)s, par tranches de %(step)s.")
                % {
                    "min": say_minutes(resource.min_minutes),
                    "max": say_minutes(resource.max_minutes),
                    "step": say_minutes(resource.step_minutes),
                }
            )
        if resource.buffer_minutes:
            rules.append(
                _("%(d)s laissées libres entre deux réservations (ménage, aération).")
                % {"d": say_minutes(resource.buffer_minutes)}
            )
    equipment = [Equipment(item).label for item in resource.equipment if item in Equipment.values]
    own_hours = hours.week_table(resource.opening_hours) if resource.opening_hours else []
    return ResourceText(
        resource=resource, capacity=capacity, equipment=[str(e) for e in equipment], rules=rules, own_hours=own_hours
    )


@dataclass
class PlanText:
    plan: Plan
    unit: str
    price_excl_tax: Decimal
    price_incl_tax: Decimal
    vat_exempt: bool


def _plan_unit(plan: Plan) -> str:
    if plan.kind == PlanKind.DAY_PASS:
        return _("la journée")
    if plan.kind in (PlanKind.PART_TIME, PlanKind.FULL_TIME):
        return _("par mois")
    if plan.kind == PlanKind.CARNET and plan.credit_days:
        return _("le carnet de %(n)s jours") % {"n": f"{plan.credit_days.normalize():f}".replace(".", ",")}
    if plan.kind == PlanKind.MEETING_HOURS and plan.credit_hours:
        return _("le forfait de %(n)s heures") % {"n": f"{plan.credit_hours.normalize():f}".replace(".", ",")}
    return _("le forfait")


def describe_plans(telecentre: Telecentre) -> list[PlanText]:
    """The public plans (prefetched as ``offered_plans``) with their price excluding and
    including tax (no VAT when the operator is exempt: « TVA non applicable »)."""
    billing = getattr(telecentre.operator, "telework_billing", None) if telecentre.operator_id else None
    exempt = bool(billing and billing.vat_exempt)
    rows = []
    for plan in telecentre.offered_plans:  # type: ignore[attr-defined]
        ttc = plan.price_excl_tax if exempt else round_cents(plan.price_excl_tax * (100 + plan.vat_rate) / 100)
        rows.append(
            PlanText(
                plan=plan,
                unit=_plan_unit(plan),
                price_excl_tax=round_cents(plan.price_excl_tax),
                price_incl_tax=ttc,
                vat_exempt=exempt,
            )
        )
    return rows
