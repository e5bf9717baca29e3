"""Occupancy and impact of the telecentres (issue 3, section 6): how full the telecentres are
on paper (booked) and in practice (used), who comes, and the commutes they avoid.

Definitions (the same on the pages, in the CSV export and in the tests):

- **Capacity** of a resource over a period: the seat-hours it is open. A seat pool offers
  ``seats × open hours``; an office or a meeting room ``1 × open hours`` (it is booked whole).
  Open hours come from the resource's opening hours (its own or the telecentre's, public
  holidays applied) minus the closures (``services.slots.open_slots``). A telecentre counts
  from its opening date (``opens_on``) and stops the day it closes (``closed_on``); planned
  telecentres are left out.
- **Booked hours**: the hours of the bookings held on paper, that is confirmed bookings and
  no-shows released after the delay (``released``: the seat was taken, then given back
  because nobody came). Cancelled bookings do not count.
- **Used hours**: the hours of the bookings whose arrival was checked in (QR code or code).
- **Booked rate** = booked hours / capacity; **used rate** = used hours / capacity. Both are
  shown side by side: a telecentre full on paper but empty in practice shows a high booked
  rate and a low used rate. A rate may exceed 100 % when a released seat was booked again.
- **No-show rate** = booked bookings without a check-in / booked bookings (released or not).
- Hours are local (Europe/Paris), also on the days the clocks change: a booking 8 h – 13 h
  counts 5 hours, in the heat-map cells 8 h … 12 h (its local start, then its real length).
- Only elapsed days count: a period ends yesterday at the latest (a day in progress, or to
  come, has no "used" figure yet).
- **Active members** of a month: people with at least one booked (not cancelled) booking
  that month. **New members**: people whose first membership of the telecentre (of the
  network, for the network's total) starts that month. **Employers**: employers with an
  agreement in force covering the telecentre, and employers whose employees booked (the
  booking was paid by their agreement).
- **Commute avoided** (an estimate): for each day a member checked in, with a declared usual
  commute (``MemberProfile.commute_km``, one way), ``2 × km``; kg CO2e = km × the emission
  factor of the declared mode (``co2_factors()``, setting ``TELEWORK_CO2_KG_PER_KM``). The
  trip from home to the telecentre is not deducted, and the declared commute is today's (a
  member who changed it changes the past figures too).

Cost: every figure is computed by the database (``GROUP BY`` with conditional aggregates over
local-time extractions); Python only adds up the grouped rows, whose number does not grow
with the number of bookings (resources × months, weekday × start × end, members × months).
The capacity side walks the open days of each resource (cheap: ``places.hours.day_slots`` is
cached per hours text and day). A page costs a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, DateField, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import ExtractIsoWeekDay, TruncDate, TruncMonth, TruncTime
from django.utils import timezone

from ..models import (
    AgreementStatus,
    Booking,
    BookingStatus,
    Closure,
    EmployerAgreement,
    MemberProfile,
    Membership,
    Resource,
    ResourceKind,
    Telecentre,
    TelecentreStatus,
)
from ..services.slots import local, open_slots

# --- Emission factors ----------------------------------------------------------------------------

# kg CO2e per km and per person, by declared commute mode. Source: ADEME, Base Empreinte®
# (transport of people: combustion, fuel or power production and vehicle construction), the
# factors used by ADEME's Impact CO2 simulator (impactco2.fr), read in November 2026:
# - car: average thermal car, 0.192 (use) + 0.0256 (construction) ≈ 0.218 per vehicle-km,
#   the driver alone;
# - carpool: the same car shared by two people, 0.218 / 2;
# - train: TER (regional train), 0.0229 + 0.00479 ≈ 0.0277 per passenger-km;
# - bus: coach (autocar, the interurban lines of a rural département), 0.025 + 0.0044 ≈
#   0.0294 per passenger-km;
# - other (walking, cycling, unknown): 0, nothing is claimed.
DEFAULT_CO2_KG_PER_KM: dict[str, Decimal] = {
    MemberProfile.CommuteMode.CAR: Decimal("0.218"),
    MemberProfile.CommuteMode.CARPOOL: Decimal("0.109"),
    MemberProfile.CommuteMode.TRAIN: Decimal("0.0277"),
    MemberProfile.CommuteMode.BUS: Decimal("0.0294"),
    MemberProfile.CommuteMode.OTHER: Decimal("0"),
}
CO2_SOURCE = "ADEME, Base Empreinte® (facteurs du simulateur Impact CO2, relevés en novembre 2026)"


def co2_factors() -> dict[str, Decimal]:
    """kg CO2e per km by commute mode: the defaults above, overridden mode by mode by the
    setting ``TELEWORK_CO2_KG_PER_KM`` (a dict ``{"car": "0.2", ...}``). A mode left blank
    or unknown counts 0."""
    factors = dict(DEFAULT_CO2_KG_PER_KM)
    for mode, value in (getattr(settings, "TELEWORK_CO2_KG_PER_KM", None) or {}).items():
        factors[str(mode)] = Decimal(str(value))
    return factors


# --- Periods and small helpers -------------------------------------------------------------------

BOOKED = (BookingStatus.CONFIRMED, BookingStatus.RELEASED)
CHECKED_IN = Q(checked_in_at__isnull=False)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The 1st of each month from ``first``'s month to ``last``'s, both included."""
    months = []
    month = month_start(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


@dataclass(frozen=True)
class Period:
    """Days from ``first`` to ``last`` included. ``last`` is never after yesterday (see
    ``elapsed``); an empty period (``last < first``) has no capacity and no bookings."""

    first: dt.date
    last: dt.date

    @classmethod
    def elapsed(cls, first_month: dt.date, last_month: dt.date, *, today: dt.date | None = None) -> Period:
        """The months from ``first_month`` to ``last_month``, cut at yesterday."""
        today = today or timezone.localdate()
        return cls(month_start(first_month), min(month_end(last_month), today - dt.timedelta(days=1)))

    @property
    def is_empty(self) -> bool:
        return self.last < self.first

    @property
    def months(self) -> list[dt.date]:
        return months_between(self.first, self.last) if not self.is_empty else []

    def days(self) -> Iterable[dt.date]:
        day = self.first
        while day <= self.last:
            yield day
            day += dt.timedelta(days=1)


def ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part / whole`` with 4 decimal places, ``None`` when ``whole`` is 0 (no rate)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def format_number(value: int | Decimal | None, decimals: int = 0) -> str:
    """``12345`` -> ``12 345``; ``Decimal("3.25"), 1`` -> ``3,3`` (narrow no-break spaces)."""
    if value is None:
        return "—"
    number = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    units, _sep, fraction = f"{abs(number):.{decimals}f}".partition(".")
    groups: list[str] = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    text = "\u202f".join(groups)
    return f"{sign}{text},{fraction}" if fraction else f"{sign}{text}"


def format_percent(value: Decimal | None, decimals: int = 1) -> str:
    """``Decimal("0.785")`` -> ``78,5 %``; ``None`` (no capacity) -> ``—``."""
    if value is None:
        return "—"
    return f"{format_number(value * 100, decimals)}\u00a0%"


# --- Figures ---------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Capacity and bookings of a resource, a telecentre or the network over some days.
    Minutes are seat-minutes (a pool of 2 seats open one hour offers 120)."""

    capacity_minutes: int = 0
    booked_minutes: int = 0
    used_minutes: int = 0
    bookings: int = 0  # booked: confirmed or released
    no_shows: int = 0  # booked, never checked in (released or not)
    released: int = 0  # no-shows whose seat was given back after the delay

    def add(self, other: Figures) -> None:
        self.capacity_minutes += other.capacity_minutes
        self.booked_minutes += other.booked_minutes
        self.used_minutes += other.used_minutes
        self.bookings += other.bookings
        self.no_shows += other.no_shows
        self.released += other.released

    @classmethod
    def total(cls, items: Iterable[Figures]) -> Figures:
        result = cls()
        for item in items:
            result.add(item)
        return result

    @property
    def booked_rate(self) -> Decimal | None:
        return ratio(self.booked_minutes, self.capacity_minutes)

    @property
    def used_rate(self) -> Decimal | None:
        return ratio(self.used_minutes, self.capacity_minutes)

    @property
    def no_show_rate(self) -> Decimal | None:
        return ratio(self.no_shows, self.bookings)

    @property
    def capacity_hours(self) -> Decimal:
        return hours(self.capacity_minutes)

    @property
    def booked_hours(self) -> Decimal:
        return hours(self.booked_minutes)

    @property
    def used_hours(self) -> Decimal:
        return hours(self.used_minutes)

    # Texts for the pages (French numbers).
    @property
    def booked_rate_text(self) -> str:
        return format_percent(self.booked_rate)

    @property
    def used_rate_text(self) -> str:
        return format_percent(self.used_rate)

    @property
    def no_show_rate_text(self) -> str:
        return format_percent(self.no_show_rate)

    @property
    def capacity_hours_text(self) -> str:
        return format_number(self.capacity_hours)

    @property
    def booked_hours_text(self) -> str:
        return format_number(self.booked_hours)

    @property
    def used_hours_text(self) -> str:
        return format_number(self.used_hours)


@dataclass
class Commute:
    """Commutes avoided: checked-in days of members with a declared commute, km and kg CO2e."""

    days: int = 0
    km: Decimal = Decimal("0")
    co2_kg: Decimal = Decimal("0")

    def add(self, other: Commute) -> None:
        self.days += other.days
        self.km += other.km
        self.co2_kg += other.co2_kg

    @classmethod
    def of(cls, *, days: int, km_one_way: Decimal, mode: str, factors: dict[str, Decimal]) -> Commute:
        """``days`` round trips of ``km_one_way`` by ``mode``: 2 × km × days, × the factor."""
        km = 2 * Decimal(km_one_way) * days
        return cls(days=days, km=km, co2_kg=km * factors.get(mode or "", Decimal("0")))

    @property
    def km_text(self) -> str:
        return format_number(self.km)

    @property
    def co2_text(self) -> str:
        return format_number(self.co2_kg, 1)


# --- Scope: telecentres, resources, their open days -----------------------------------------------


def telecentres_counted() -> QuerySet[Telecentre]:
    """The telecentres that count: every one but the planned ones (by name)."""
    return (
        Telecentre.objects.exclude(status=TelecentreStatus.PLANNED)
        .filter(opens_on__isnull=False)
        .select_related("place")
        .order_by("place__name")
    )


def first_month() -> dt.date | None:
    """The month the first counted telecentre opened (the start of the month choices)."""
    first = telecentres_counted().order_by("opens_on").values_list("opens_on", flat=True).first()
    return month_start(first) if first else None


def window(telecentre: Telecentre, period: Period) -> Period:
    """The days of ``period`` the telecentre was open for business: from its opening date,
    until the day before it closed. Empty for a planned telecentre."""
    if telecentre.status == TelecentreStatus.PLANNED or telecentre.opens_on is None:
        return Period(period.first, period.first - dt.timedelta(days=1))
    last = period.last
    if telecentre.closed_on is not None:
        last = min(last, telecentre.closed_on - dt.timedelta(days=1))
    return Period(max(period.first, telecentre.opens_on), last)


def seats(resource: Resource) -> int:
    """A seat pool offers its seats; an office or a room is one unit, booked whole."""
    return resource.capacity if resource.kind == ResourceKind.SEAT_POOL else 1


def _resources(telecentres: list[Telecentre], resource: Resource | None = None) -> list[Resource]:
    """Bookable resources of the telecentres (``telecentre.place`` already loaded)."""
    by_pk = {t.pk: t for t in telecentres}
    if resource is not None:
        resources = [resource]
    else:
        resources = list(Resource.objects.filter(telecentre__in=by_pk, is_active=True).order_by("position", "name"))
    for item in resources:
        item.telecentre = by_pk[item.telecentre_id]  # hours_text() reads the place's hours
    return resources


def _closures(telecentres: list[Telecentre], period: Period) -> dict[int, list[Closure]]:
    found: dict[int, list[Closure]] = defaultdict(list)
    if period.is_empty:
        return found
    for closure in Closure.objects.filter(
        telecentre__in=[t.pk for t in telecentres], starts_on__lte=period.last, ends_on__gte=period.first
    ):
        found[closure.telecentre_id].append(closure)
    return found


def open_days(
    resources: list[Resource], telecentres: list[Telecentre], period: Period
) -> Iterable[tuple[Resource, dt.date, tuple[tuple[int, int], ...]]]:
    """(resource, day, open intervals in minutes) for each open day of each resource within
    its telecentre's window. Two queries at most (the closures), whatever the period."""
    closures = _closures(telecentres, period)
    windows = {t.pk: window(t, period) for t in telecentres}
    for resource in resources:
        days = windows[resource.telecentre_id]
        own = closures.get(resource.telecentre_id, [])
        for day in days.days():
            slots = open_slots(resource, day, closures=own)
            if slots:
                yield resource, day, slots


def _booking_window(telecentres: list[Telecentre], period: Period, resources: list[Resource]) -> Q | None:
    """Bookings of ``resources`` starting within each telecentre's window (local days)."""
    ids: dict[int, list[int]] = defaultdict(list)
    for resource in resources:
        ids[resource.telecentre_id].append(resource.pk)
    condition = Q()
    found = False
    for telecentre in telecentres:
        days = window(telecentre, period)
        if days.is_empty or not ids.get(telecentre.pk):
            continue
        found = True
        condition |= Q(
            resource_id__in=ids[telecentre.pk],
            starts_at__gte=local(days.first, 0),
            starts_at__lt=local(days.last + dt.timedelta(days=1), 0),
        )
    return condition if found else None


# --- SQL expressions (local time) ------------------------------------------------------------------

# The month of a booking, in local time: one time-zone conversion per row, no numeric EXTRACT
# (PostgreSQL's EXTRACT returns numeric, slow over a million rows).
MONTH = TruncMonth("starts_at", output_field=DateField())
# The length of a booking: a real duration, no time-zone conversion at all.
LENGTH = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())


def _minutes(value: dt.timedelta | None) -> int:
    return int(value.total_seconds() // 60) if value else 0


def _figures_by_resource_month(
    resources: list[Resource], telecentres: list[Telecentre], period: Period
) -> dict[tuple[int, dt.date], Figures]:
    """Capacity and bookings per (resource, month): one query for the bookings."""
    figures: dict[tuple[int, dt.date], Figures] = defaultdict(Figures)
    for resource, day, slots in open_days(resources, telecentres, period):
        figures[(resource.pk, month_start(day))].capacity_minutes += seats(resource) * sum(b - a for a, b in slots)
    condition = _booking_window(telecentres, period, resources)
    if condition is None:
        return figures
    rows = (
        Booking.objects.filter(condition, status__in=BOOKED)
        .values("resource_id", month=MONTH)
        .annotate(
            bookings=Count("pk"),
            booked=Sum(LENGTH),
            used=Sum(LENGTH, filter=CHECKED_IN),
            no_shows=Count("pk", filter=Q(checked_in_at__isnull=True)),
            released=Count("pk", filter=Q(status=BookingStatus.RELEASED)),
        )
        .order_by()
    )
    for row in rows:
        item = figures[(row["resource_id"], row["month"])]
        item.bookings += row["bookings"]
        item.booked_minutes += _minutes(row["booked"])
        item.used_minutes += _minutes(row["used"])
        item.no_shows += row["no_shows"]
        item.released += row["released"]
    return figures


# --- People: members, new members, employers, commutes --------------------------------------------


@dataclass
class People:
    """Who came, per (telecentre, month); the sets let any total count each person once."""

    active: dict[tuple[int, dt.date], set[int]] = field(default_factory=lambda: defaultdict(set))
    new: dict[tuple[int, dt.date], set[int]] = field(default_factory=lambda: defaultdict(set))
    new_in_network: dict[dt.date, set[int]] = field(default_factory=lambda: defaultdict(set))
    booking_employers: dict[tuple[int, dt.date], set[int]] = field(default_factory=lambda: defaultdict(set))
    agreement_employers: dict[tuple[int, dt.date], set[int]] = field(default_factory=lambda: defaultdict(set))
    commute: dict[tuple[int, dt.date], Commute] = field(default_factory=lambda: defaultdict(Commute))
    memberships_open: dict[int, int] = field(default_factory=dict)

    def union(self, mapping: dict[Any, set[int]], keys: Iterable[Any]) -> int:
        found: set[int] = set()
        for key in keys:
            found |= mapping.get(key, set())
        return len(found)

    def commute_of(self, keys: Iterable[tuple[int, dt.date]]) -> Commute:
        total = Commute()
        for key in keys:
            if key in self.commute:
                total.add(self.commute[key])
        return total


def _commute_sums(booked: QuerySet[Booking]) -> list[tuple[int, dt.date, str, int, Decimal]]:
    """(telecentre, month, mode, checked-in days, sum of one-way km over those days): the
    distinct (telecentre, member, local day) of checked-in bookings of members with a declared
    commute, then grouped. Two levels of SQL, a few hundred rows back whatever the bookings."""
    days = (
        booked.filter(CHECKED_IN, member__telework_profile__commute_km__gt=0)
        .values(
            tc=F("resource__telecentre_id"),
            mon=MONTH,
            who=F("member_id"),
            local_day=TruncDate("starts_at"),
            km=F("member__telework_profile__commute_km"),
            how=F("member__telework_profile__commute_mode"),
        )
        .distinct()
        .order_by()
    )
    sql, params = days.query.sql_with_params()
    outer = (
        'SELECT "tc", "mon", "how", COUNT(*), SUM("km") '  # noqa: S608 - the inner SQL is Django's, params bound
        f'FROM ({sql}) AS "commute_days" GROUP BY "tc", "mon", "how"'
    )
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        found = cursor.fetchall()
    return [
        (telecentre_id, _as_date(month), how or "", int(count), Decimal(str(km)).quantize(Decimal("0.1")))
        for telecentre_id, month, how, count, km in found
    ]


def _as_date(value: Any) -> dt.date:
    """A month read by a raw cursor: a date (PostgreSQL) or its ISO text (SQLite)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _people(telecentres: list[Telecentre], resources: list[Resource], period: Period) -> People:
    """Members, new members, employers and commutes per (telecentre, month): five queries."""
    people = People()
    if period.is_empty or not telecentres:
        return people
    telecentre_ids = [t.pk for t in telecentres]
    factors = co2_factors()

    condition = _booking_window(telecentres, period, resources)
    if condition is not None:
        booked = Booking.objects.filter(condition, status__in=BOOKED)
        # Active members: one row per (telecentre, month, member), a hash DISTINCT.
        active = booked.values_list("resource__telecentre_id", MONTH, "member_id").distinct().order_by()
        for telecentre_id, month, member_id in active:
            people.active[(telecentre_id, month)].add(member_id)
        # Commutes: the checked-in days of members who declared a commute, summed by the
        # database per (telecentre, month, mode) over the distinct (member, day) pairs.
        for telecentre_id, month, mode, days, km_one_way in _commute_sums(booked):
            people.commute[(telecentre_id, month)].add(
                Commute(days=days, km=2 * km_one_way, co2_kg=2 * km_one_way * factors.get(mode or "", Decimal("0")))
            )
        # Employers whose employees booked (the agreement paid for the booking): grouped by
        # agreement, without a join; the agreements' employers are read once (a few rows).
        paid = booked.filter(agreement__isnull=False).values_list("resource__telecentre_id", MONTH, "agreement_id")
        paid_rows = list(paid.distinct().order_by())
        employer_of = dict(
            EmployerAgreement.objects.filter(pk__in={row[2] for row in paid_rows}).values_list("pk", "employer_id")
        )
        for telecentre_id, month, agreement_id in paid_rows:
            people.booking_employers[(telecentre_id, month)].add(employer_of[agreement_id])

    # New members: a membership with no earlier one of the same person (here, anywhere).
    earlier_here = Membership.objects.filter(
        member_id=OuterRef("member_id"), telecentre_id=OuterRef("telecentre_id"), starts_on__lt=OuterRef("starts_on")
    )
    earlier_anywhere = Membership.objects.filter(member_id=OuterRef("member_id"), starts_on__lt=OuterRef("starts_on"))
    firsts = (
        Membership.objects.filter(telecentre_id__in=telecentre_ids, starts_on__range=(period.first, period.last))
        .annotate(earlier_here=Exists(earlier_here), earlier_anywhere=Exists(earlier_anywhere))
        .filter(earlier_here=False)
        .values_list("telecentre_id", "member_id", "starts_on", "earlier_anywhere")
    )
    for telecentre_id, member_id, starts_on, known_elsewhere in firsts:
        people.new[(telecentre_id, month_start(starts_on))].add(member_id)
        if not known_elsewhere:
            people.new_in_network[month_start(starts_on)].add(member_id)

    # Employer agreements in force (signed, not a draft) covering each telecentre, per month.
    agreements = (
        EmployerAgreement.objects.filter(
            Q(status=AgreementStatus.ACTIVE) | Q(status=AgreementStatus.ENDED, ends_on__isnull=False),
            telecentres__in=telecentre_ids,
            starts_on__lte=period.last,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period.first))
        .values_list("employer_id", "starts_on", "ends_on", "telecentres")
        .distinct()
    )
    for employer_id, starts_on, ends_on, telecentre_id in agreements:
        if telecentre_id not in telecentre_ids:
            continue
        for month in period.months:
            if starts_on <= month_end(month) and (ends_on is None or ends_on >= month):
                people.agreement_employers[(telecentre_id, month)].add(employer_id)

    # Memberships in force on the period's last day, per telecentre.
    people.memberships_open = dict(
        Membership.objects.filter(telecentre_id__in=telecentre_ids, starts_on__lte=period.last)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period.last))
        .values("telecentre_id")
        .annotate(n=Count("pk"))
        .values_list("telecentre_id", "n")
    )
    return people


# --- The network page ------------------------------------------------------------------------------


@dataclass
class TelecentreRow:
    """One telecentre (or the network, ``telecentre=None``) for a month and its 12 months."""

    telecentre: Telecentre | None
    month: Figures
    year: Figures
    members_month: int
    members_year: int
    memberships_open: int
    new_members_month: int
    new_members_year: int
    agreement_employers: int
    booking_employers_month: int
    booking_employers_year: int
    commute_month: Commute
    commute_year: Commute

    @property
    def opened_later(self) -> bool:
        """True when the telecentre had no open day in the month (opens later, or closed)."""
        return self.month.capacity_minutes == 0


@dataclass
class NetworkOccupancy:
    month: dt.date
    month_period: Period
    year_period: Period
    months: list[dt.date]
    rows: list[TelecentreRow]
    total: TelecentreRow
    by_month: list[tuple[dt.date, Figures]]
    new_members: list[tuple[dt.date, list[int], int]]  # month, per telecentre (rows' order), network
    factors: dict[str, Decimal]


def network_occupancy(*, month: dt.date, today: dt.date | None = None) -> NetworkOccupancy:
    """The counted telecentres side by side for ``month`` and the 12 months ending with it.
    A fixed number of queries (about ten), whatever the number of bookings."""
    today = today or timezone.localdate()
    month = month_start(month)
    months = [add_months(month, -offset) for offset in range(11, -1, -1)]
    year_period = Period.elapsed(months[0], month, today=today)
    month_period = Period.elapsed(month, month, today=today)
    telecentres = list(telecentres_counted())
    resources = _resources(telecentres)
    figures = _figures_by_resource_month(resources, telecentres, year_period)
    people = _people(telecentres, resources, year_period)
    by_telecentre: dict[tuple[int, dt.date], Figures] = defaultdict(Figures)
    telecentre_of = {r.pk: r.telecentre_id for r in resources}
    for (resource_id, key_month), item in figures.items():
        by_telecentre[(telecentre_of[resource_id], key_month)].add(item)

    def row(telecentre: Telecentre | None) -> TelecentreRow:
        ids = [telecentre.pk] if telecentre else [t.pk for t in telecentres]
        month_keys = [(pk, month) for pk in ids]
        year_keys = [(pk, m) for pk in ids for m in months]
        if telecentre is None:
            new_month = len(people.new_in_network.get(month, set()))
            new_year = people.union(people.new_in_network, months)
        else:
            new_month = people.union(people.new, month_keys)
            new_year = sum(len(people.new.get(key, set())) for key in year_keys)
        return TelecentreRow(
            telecentre=telecentre,
            month=Figures.total(by_telecentre[key] for key in month_keys if key in by_telecentre),
            year=Figures.total(by_telecentre[key] for key in year_keys if key in by_telecentre),
            members_month=people.union(people.active, month_keys),
            members_year=people.union(people.active, year_keys),
            memberships_open=sum(people.memberships_open.get(pk, 0) for pk in ids),
            new_members_month=new_month,
            new_members_year=new_year,
            agreement_employers=people.union(people.agreement_employers, month_keys),
            booking_employers_month=people.union(people.booking_employers, month_keys),
            booking_employers_year=people.union(people.booking_employers, year_keys),
            commute_month=people.commute_of(month_keys),
            commute_year=people.commute_of(year_keys),
        )

    rows = [row(t) for t in telecentres]
    by_month = [
        (m, Figures.total(by_telecentre[(t.pk, m)] for t in telecentres if (t.pk, m) in by_telecentre)) for m in months
    ]
    new_members = [
        (
            m,
            [len(people.new.get((t.pk, m), set())) for t in telecentres],
            len(people.new_in_network.get(m, set())),
        )
        for m in months
    ]
    return NetworkOccupancy(
        month=month,
        month_period=month_period,
        year_period=year_period,
        months=months,
        rows=rows,
        total=row(None),
        by_month=by_month,
        new_members=new_members,
        factors=co2_factors(),
    )


# --- One telecentre: heat map, resources, months -----------------------------------------------------


@dataclass
class HeatCell:
    capacity_minutes: int = 0
    booked_minutes: int = 0
    used_minutes: int = 0

    @property
    def is_open(self) -> bool:
        return self.capacity_minutes > 0

    @property
    def booked_rate(self) -> Decimal | None:
        return ratio(self.booked_minutes, self.capacity_minutes)

    @property
    def used_rate(self) -> Decimal | None:
        return ratio(self.used_minutes, self.capacity_minutes)


@dataclass
class HeatMap:
    """Rates by ISO weekday (1 = Monday) × hour of the day (local wall clock)."""

    hours: list[int]
    cells: dict[tuple[int, int], HeatCell]

    def cell(self, weekday: int, hour: int) -> HeatCell:
        return self.cells.get((weekday, hour), HeatCell())


def _overlap(start: int, end: int, hour: int) -> int:
    """Minutes of [start, end) within the hour [hour:00, hour+1:00)."""
    return max(0, min(end, (hour + 1) * 60) - max(start, hour * 60))


def heat_map(
    resources: list[Resource], telecentres: list[Telecentre], period: Period, *, condition: Q | None = None
) -> HeatMap:
    """Capacity walked day by day and bookings grouped by (weekday, start, end) in SQL, then
    spread over the hours they cover (a few hundred groups, whatever the number of bookings)."""
    cells: dict[tuple[int, int], HeatCell] = defaultdict(HeatCell)
    for resource, day, slots in open_days(resources, telecentres, period):
        weekday = day.isoweekday()
        for opens, closes in slots:
            for hour in range(opens // 60, (closes - 1) // 60 + 1):
                cells[(weekday, hour)].capacity_minutes += seats(resource) * _overlap(opens, closes, hour)
    if condition is None:
        condition = _booking_window(telecentres, period, resources)
    if condition is not None:
        groups = (
            Booking.objects.filter(condition, status__in=BOOKED)
            .values(weekday=ExtractIsoWeekDay("starts_at"), start=TruncTime("starts_at"), length=LENGTH)
            .annotate(booked=Count("pk"), used=Count("pk", filter=CHECKED_IN))
            .order_by()
        )
        for group in groups:
            start = group["start"].hour * 60 + group["start"].minute
            end = start + _minutes(group["length"])
            for hour in range(start // 60, max(start, end - 1) // 60 + 1):
                minutes = _overlap(start, end, hour)
                cell = cells[(int(group["weekday"]), hour)]
                cell.booked_minutes += group["booked"] * minutes
                cell.used_minutes += group["used"] * minutes
    used_hours = sorted({hour for (_day, hour), cell in cells.items() if cell.capacity_minutes or cell.booked_minutes})
    hours_range = list(range(used_hours[0], used_hours[-1] + 1)) if used_hours else []
    return HeatMap(hours=hours_range, cells=dict(cells))


@dataclass
class ResourceRow:
    resource: Resource
    seats: int
    figures: Figures


@dataclass
class MonthRow:
    month: dt.date
    figures: Figures
    members: int
    new_members: int
    agreement_employers: int
    booking_employers: int
    commute: Commute


@dataclass
class TelecentreOccupancy:
    telecentre: Telecentre
    period: Period
    resource: Resource | None
    total: Figures
    members: int
    new_members: int
    booking_employers: int
    commute: Commute
    resources: list[ResourceRow]
    months: list[MonthRow]
    heat: HeatMap
    factors: dict[str, Decimal]

    @property
    def has_capacity(self) -> bool:
        return self.total.capacity_minutes > 0


def telecentre_occupancy(
    *,
    telecentre: Telecentre,
    first_month: dt.date,
    last_month: dt.date,
    resource: Resource | None = None,
    today: dt.date | None = None,
) -> TelecentreOccupancy:
    """One telecentre (or one of its resources) from ``first_month`` to ``last_month``
    (elapsed days only): rates per resource and per month, the weekday × hour heat map,
    members, employers and commutes per month. About a dozen queries, whatever the period."""
    period = Period.elapsed(first_month, last_month, today=today)
    telecentres = [telecentre]
    resources = _resources(telecentres, resource)
    figures = _figures_by_resource_month(resources, telecentres, period)
    people = _people(telecentres, resources, period)
    months = period.months
    resource_rows = [
        ResourceRow(
            resource=item,
            seats=seats(item),
            figures=Figures.total(figures[(item.pk, m)] for m in months if (item.pk, m) in figures),
        )
        for item in resources
    ]
    month_rows = []
    for month in months:
        key = (telecentre.pk, month)
        month_rows.append(
            MonthRow(
                month=month,
                figures=Figures.total(figures[(r.pk, month)] for r in resources if (r.pk, month) in figures),
                members=len(people.active.get(key, set())),
                new_members=len(people.new.get(key, set())),
                agreement_employers=len(people.agreement_employers.get(key, set())),
                booking_employers=len(people.booking_employers.get(key, set())),
                commute=people.commute.get(key, Commute()),
            )
        )
    keys = [(telecentre.pk, m) for m in months]
    return TelecentreOccupancy(
        telecentre=telecentre,
        period=period,
        resource=resource,
        total=Figures.total(row.figures for row in resource_rows),
        members=people.union(people.active, keys),
        new_members=people.union(people.new, keys),
        booking_employers=people.union(people.booking_employers, keys),
        commute=people.commute_of(keys),
        resources=resource_rows,
        months=month_rows,
        heat=heat_map(resources, telecentres, period),
        factors=co2_factors(),
    )


# --- Export: one row per telecentre and month ---------------------------------------------------------


@dataclass
class ExportRow:
    telecentre: Telecentre | None  # None: the whole network
    month: dt.date
    figures: Figures
    members: int
    new_members: int
    agreement_employers: int
    booking_employers: int
    commute: Commute


def monthly_rows(
    *, telecentres: list[Telecentre], first_month: dt.date, last_month: dt.date, today: dt.date | None = None
) -> list[ExportRow]:
    """Figures per telecentre and month, then the network's per month when there are several
    telecentres (people counted once across telecentres). A fixed number of queries."""
    period = Period.elapsed(first_month, last_month, today=today)
    telecentres = [t for t in telecentres if t.status != TelecentreStatus.PLANNED and t.opens_on]
    resources = _resources(telecentres)
    figures = _figures_by_resource_month(resources, telecentres, period)
    people = _people(telecentres, resources, period)
    rows = []
    scopes: list[tuple[Telecentre | None, list[int]]] = [(t, [t.pk]) for t in telecentres]
    if len(telecentres) > 1:
        scopes.append((None, [t.pk for t in telecentres]))
    for telecentre, ids in scopes:
        resource_ids = [r.pk for r in resources if r.telecentre_id in ids]
        for month in period.months:
            keys = [(pk, month) for pk in ids]
            new = len(people.new_in_network.get(month, set())) if telecentre is None else people.union(people.new, keys)
            rows.append(
                ExportRow(
                    telecentre=telecentre,
                    month=month,
                    figures=Figures.total(figures[(pk, month)] for pk in resource_ids if (pk, month) in figures),
                    members=people.union(people.active, keys),
                    new_members=new,
                    agreement_employers=people.union(people.agreement_employers, keys),
                    booking_employers=people.union(people.booking_employers, keys),
                    commute=people.commute_of(keys),
                )
            )
    return rows
