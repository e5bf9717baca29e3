"""Reads of the free-access part: the day's bookable slots of a place (from its opening
hours), the day grid of computers x slots, the nearest free slots, today's bookings and
the visit counts by day and slot.

Slots: the place's opening intervals of the day (``places.hours``, public holidays applied)
are cut into one-hour slots from the opening time; a remainder of at least 30 minutes is a
30-minute slot. A booking lasts 30 or 60 minutes, starts on a half hour from the opening
time and stays inside one opening interval.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cybercantal.mediation.models import ComputerBooking, FreeAccessVisit, PublicComputer, VisitSlot
from cybercantal.places import hours
from cybercantal.places.models import Place, PlaceKind, PlaceStatus

SLOT_MINUTES = 60
HALF = 30
DURATIONS = (30, 60)
MAX_DAYS_AHEAD = 30
MAX_MINUTES_PER_DAY = 120

Interval = tuple[dt.datetime, dt.datetime]


# --- dates and times said the French way ---------------------------------------------------


def long_date(day: dt.date) -> str:
    """``mardi 3 mars 2026`` (``mercredi 1er avril 2026``)."""
    return f"{hours.format_day(day)} {day.year}"


def hhmm(moment: dt.datetime) -> str:
    """``14:00`` in local time."""
    return f"{timezone.localtime(moment):%H:%M}"


def _aware(day: dt.date, minutes: int) -> dt.datetime:
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
    return timezone.make_aware(naive)


# --- slots from the opening hours ----------------------------------------------------------


def opening_intervals(place: Place, day: dt.date) -> list[Interval]:
    """The place's opening intervals on ``day`` as aware datetimes (holidays applied)."""
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    for row in hours.week_table(place.opening_hours, noon):
        if row.day == day:
            return [(_aware(day, opens), _aware(day, closes)) for opens, closes in row.slots]
    return []


def day_slots(place: Place, day: dt.date) -> list[Interval]:
    """The grid's slots of the day: one hour each from the opening, a last 30-minute one."""
    slots: list[Interval] = []
    for opens, closes in opening_intervals(place, day):
        start = opens
        while True:
            left = (closes - start).total_seconds() // 60
            step = SLOT_MINUTES if left >= SLOT_MINUTES else HALF if left >= HALF else 0
            if not step:
                break
            end = start + dt.timedelta(minutes=step)
            slots.append((start, end))
            start = end
    return slots


def bookable_starts(place: Place, day: dt.date, minutes: int) -> list[Interval]:
    """Every ``minutes``-long range of the day a booking may take (half-hour steps)."""
    ranges: list[Interval] = []
    for opens, closes in opening_intervals(place, day):
        start = opens
        length = dt.timedelta(minutes=minutes)
        while start + length <= closes:
            ranges.append((start, start + length))
            start += dt.timedelta(minutes=HALF)
    return ranges


def is_bookable_range(place: Place, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    """True when the range is one a booking may take (inside hours, half-hour aligned)."""
    minutes = int((ends_at - starts_at).total_seconds() // 60)
    if minutes not in DURATIONS:
        return False
    day = timezone.localtime(starts_at).date()
    return (starts_at, ends_at) in bookable_starts(place, day, minutes)


# --- bookings --------------------------------------------------------------------------------


def confirmed_bookings(place: Place, start: dt.datetime, end: dt.datetime) -> QuerySet[ComputerBooking]:
    """Confirmed bookings of the place's computers that overlap ``[start, end)``."""
    return ComputerBooking.objects.filter(
        computer__place=place,
        status=ComputerBooking.Status.CONFIRMED,
        starts_at__lt=end,
        ends_at__gt=start,
    )


def overlapping(computer: PublicComputer, start: dt.datetime, end: dt.datetime) -> QuerySet[ComputerBooking]:
    return ComputerBooking.objects.filter(
        computer=computer, status=ComputerBooking.Status.CONFIRMED, starts_at__lt=end, ends_at__gt=start
    )


def _busy(bookings: Iterable[ComputerBooking]) -> dict[int, list[Interval]]:
    busy: dict[int, list[Interval]] = defaultdict(list)
    for booking in bookings:
        busy[booking.computer_id].append((booking.starts_at, booking.ends_at))
    return busy


def _is_free(busy: list[Interval], start: dt.datetime, end: dt.datetime) -> bool:
    return all(not (b_start < end and b_end > start) for b_start, b_end in busy)


def active_computers(place: Place) -> QuerySet[PublicComputer]:
    return PublicComputer.objects.filter(place=place, is_active=True).order_by("label", "pk")


def nearest_free_slots(
    place: Place,
    starts_at: dt.datetime,
    minutes: int,
    *,
    limit: int = 3,
    now: dt.datetime | None = None,
    days: int = 7,
) -> list[dict[str, Any]]:
    """The free ``minutes``-long ranges of the place closest to ``starts_at`` (any computer),
    on that day and the following ``days`` days, not in the past nor beyond the window."""
    now = now or timezone.now()
    computers = list(active_computers(place))
    if not computers:
        return []
    first_day = timezone.localtime(starts_at).date()
    last_allowed = timezone.localdate(now) + dt.timedelta(days=MAX_DAYS_AHEAD)
    candidates: list[Interval] = []
    for offset in range(days + 1):
        day = first_day + dt.timedelta(days=offset)
        if day > last_allowed:
            break
        candidates.extend(r for r in bookable_starts(place, day, minutes) if r[0] >= now)
    if not candidates:
        return []
    window_start = min(r[0] for r in candidates)
    window_end = max(r[1] for r in candidates)
    busy = _busy(confirmed_bookings(place, window_start, window_end).only("computer_id", "starts_at", "ends_at"))
    found: list[tuple[float, str, dict[str, Any]]] = []
    for start, end in candidates:
        for computer in computers:
            if _is_free(busy[computer.pk], start, end):
                distance = abs((start - starts_at).total_seconds())
                found.append((distance, computer.label, _alternative(computer, start, end)))
    found.sort(key=lambda item: (item[0], item[2]["starts_at"], item[1]))
    return [item[2] for item in found[:limit]]


def _alternative(computer: PublicComputer, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    local = timezone.localtime(start)
    return {
        "computer": computer,
        "starts_at": start,
        "ends_at": end,
        "day": local.date(),
        "start": hhmm(start),
        "minutes": int((end - start).total_seconds() // 60),
        "text": describe_slot(computer, start, end),
    }


def describe_slot(computer: PublicComputer, starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """``Poste 2, mardi 3 mars 2026 de 14:00 à 15:00``."""
    return _("%(computer)s, %(date)s de %(start)s à %(end)s") % {
        "computer": computer.label,
        "date": long_date(timezone.localtime(starts_at).date()),
        "start": hhmm(starts_at),
        "end": hhmm(ends_at),
    }


# --- the public day grid ---------------------------------------------------------------------


@dataclass
class Option:
    computer: PublicComputer
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def start_text(self) -> str:
        return hhmm(self.starts_at)

    @property
    def end_text(self) -> str:
        return hhmm(self.ends_at)

    @property
    def label(self) -> str:
        return _("Réserver le %(computer)s de %(start)s à %(end)s") % {
            "computer": self.computer.label,
            "start": self.start_text,
            "end": self.end_text,
        }


@dataclass
class Cell:
    computer: PublicComputer
    state: str  # "free", "partly", "booked", "past"
    options: list[Option] = field(default_factory=list)


@dataclass
class GridRow:
    starts_at: dt.datetime
    ends_at: dt.datetime
    cells: list[Cell]

    @property
    def label(self) -> str:
        return f"{hhmm(self.starts_at)} – {hhmm(self.ends_at)}"


@dataclass
class DayGrid:
    place: Place
    day: dt.date
    computers: list[PublicComputer]
    rows: list[GridRow]

    @property
    def free_count(self) -> int:
        return sum(1 for row in self.rows for cell in row.cells if cell.options)


def day_grid(place: Place, day: dt.date, *, now: dt.datetime | None = None, staff: bool = False) -> DayGrid:
    """Computers x slots of the day: two queries (computers, the day's bookings).

    ``staff``: a slot that has started but not ended is still offered (walk-in at the desk).
    """
    now = now or timezone.now()
    computers = list(active_computers(place))
    slots = day_slots(place, day)
    rows: list[GridRow] = []
    if computers and slots:
        busy = _busy(confirmed_bookings(place, slots[0][0], slots[-1][1]).only("computer_id", "starts_at", "ends_at"))
        for start, end in slots:
            cells = [_cell(computer, busy[computer.pk], start, end, now, staff) for computer in computers]
            rows.append(GridRow(start, end, cells))
    return DayGrid(place=place, day=day, computers=computers, rows=rows)


def _cell(
    computer: PublicComputer,
    busy: list[Interval],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    staff: bool,
) -> Cell:
    def open_for(a: dt.datetime, b: dt.datetime) -> bool:
        started_ok = a >= now or (staff and b > now)
        return started_ok and _is_free(busy, a, b)

    if (end <= now) or (start < now and not staff):
        return Cell(computer, "past")
    if open_for(start, end):
        return Cell(computer, "free", [Option(computer, start, end)])
    options = []
    if (end - start).total_seconds() > HALF * 60:
        middle = start + dt.timedelta(minutes=HALF)
        options = [Option(computer, a, b) for a, b in ((start, middle), (middle, end)) if open_for(a, b)]
    return Cell(computer, "partly" if options else "booked", options)


def bookable_places(*, canton: Any = None) -> QuerySet[Place]:
    """Published EPN with at least one bookable computer, by canton then name (one query)."""
    queryset = (
        Place.objects.filter(kind=PlaceKind.EPN, status=PlaceStatus.PUBLISHED)
        .annotate(computer_count=Count("public_computers", filter=Q(public_computers__is_active=True)))
        .filter(computer_count__gt=0)
        .select_related("commune", "canton")
        .only(
            "pk",
            "slug",
            "name",
            "address",
            "postal_code",
            "opening_hours",
            "commune__name",
            "canton__name",
            "canton__slug",
        )
        .order_by("canton__name", "name", "pk")
    )
    if canton is not None:
        queryset = queryset.filter(canton=canton)
    return queryset


def next_open_day(place: Place, after: dt.date, *, limit: int = MAX_DAYS_AHEAD) -> dt.date | None:
    """The first day after ``after`` within the booking window with at least one slot."""
    last = timezone.localdate() + dt.timedelta(days=limit)
    day = after + dt.timedelta(days=1)
    while day <= last:
        if day_slots(place, day):
            return day
        day += dt.timedelta(days=1)
    return None


# --- staff reads -----------------------------------------------------------------------------


def managed_places(user: Any) -> QuerySet[Place]:
    """EPN and other places where the person manages free access (all for programme managers)."""
    from cybercantal.accounts.models import Role
    from cybercantal.accounts.permissions import is_platform_manager
    from cybercantal.accounts.queries import objects_in_scope

    queryset = (
        Place.objects.select_related("commune", "canton")
        .annotate(computer_count=Count("public_computers", filter=Q(public_computers__is_active=True)))
        .only("pk", "slug", "name", "kind", "commune__name", "canton__name")
    )
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if is_platform_manager.test(user):
        return queryset.filter(kind=PlaceKind.EPN).order_by("name", "pk")
    return objects_in_scope(user, queryset, [Role.MEDIATOR]).order_by("name", "pk")


def bookings_of_day(place: Place, day: dt.date) -> QuerySet[ComputerBooking]:
    start = _aware(day, 0)
    end = _aware(day + dt.timedelta(days=1), 0)
    return (
        ComputerBooking.objects.filter(computer__place=place, starts_at__gte=start, starts_at__lt=end)
        .select_related("computer")
        .order_by("starts_at", "computer__label", "pk")
    )


def visit_counts(place: Place, day: dt.date) -> dict[str, int]:
    """``{"morning": 3, "afternoon": 5, "evening": 0}`` for one day."""
    counts = dict.fromkeys(VisitSlot.values, 0)
    for slot, count in FreeAccessVisit.objects.filter(place=place, date=day).values_list("slot", "count"):
        counts[slot] = count
    return counts


@dataclass
class MonthTable:
    year: int
    month: int
    rows: list[dict[str, Any]]
    totals: dict[str, int]
    total: int

    @property
    def title(self) -> str:
        text = date_format(dt.date(self.year, self.month, 1), "F Y")
        return text[:1].upper() + text[1:] if (get_language() or "fr").startswith("fr") else text


def visit_month(place: Place, year: int, month: int) -> MonthTable:
    """Counts by day and slot for a month (every day listed), with totals (one query)."""
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    found: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for day, slot, count in FreeAccessVisit.objects.filter(place=place, date__range=(first, last)).values_list(
        "date", "slot", "count"
    ):
        found[day][slot] = count
    rows = []
    totals = dict.fromkeys(VisitSlot.values, 0)
    day = first
    while day <= last:
        counts = {slot: found[day].get(slot, 0) for slot in VisitSlot.values}
        for slot, count in counts.items():
            totals[slot] += count
        rows.append(
            {
                "day": day,
                "label": hours.format_day(day),
                "counts": [counts[slot] for slot in VisitSlot.values],
                "total": sum(counts.values()),
            }
        )
        day += dt.timedelta(days=1)
    return MonthTable(year, month, rows, totals, sum(totals.values()))


def visit_totals(place: Place, first: dt.date, last: dt.date) -> dict[str, int]:
    """Totals by slot over a period (for statistics)."""
    rows = (
        FreeAccessVisit.objects.filter(place=place, date__range=(first, last))
        .values("slot")
        .annotate(total=Sum("count"))
    )
    totals = dict.fromkeys(VisitSlot.values, 0)
    for row in rows:
        totals[row["slot"]] = row["total"] or 0
    return totals
