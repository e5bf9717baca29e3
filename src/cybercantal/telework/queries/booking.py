"""Reads of part "booking": availability grids (a day, a week, one resource's next days), the
cost of a booking before it is made, a member's bookings, the day's planning of a telecentre.

The grids cost a constant number of queries whatever their size: the resources (one query),
the closures of the period (one) and the confirmed bookings of the period (one, filtered on
``resource`` and a bounded ``starts_at`` range, the ``booking_resource_starts_idx`` index).
Everything else is computed in Python with the same rules as ``queries.availability`` (seats
taken at the peak of a half-day; an exclusive resource's buffer after each booking).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cybercantal.core.money import round_cents
from cybercantal.places import hours

from ..models import (
    Booking,
    BookingStatus,
    Closure,
    CreditUnit,
    DayPart,
    Membership,
    Resource,
    ResourceKind,
    Telecentre,
    TelecentreStatus,
)
from ..services import credits, slots
from ..services.booking import decide_terms

# States of a grid cell. The text always says it: colour is only a help.
FREE = "free"
FULL = "full"
CLOSED = "closed"
PAST = "past"
LATER = "later"  # beyond the booking window
SHORT = "short"  # free, but too short for the minimum duration

POOL_PARTS = (DayPart.MORNING, DayPart.AFTERNOON)
# A link from the grid proposes this length for an office or a room (within its rules).
DEFAULT_MINUTES = 60
RESOURCE_DAYS = 14


def _time(moment: dt.datetime) -> str:
    return hours.format_time(timezone.localtime(moment))


def span_text(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """« 9 h – 12 h 30 »."""
    return f"{_time(starts_at)} – {_time(ends_at)}"


def day_label(day: dt.date) -> str:
    """« lundi 3 mars »."""
    return hours.format_day(day)


# --- cells --------------------------------------------------------------------------------------


@dataclass
class PoolCell:
    """Seats left in a pool for a half-day (or the whole day)."""

    resource: Resource
    day: dt.date
    part: str
    state: str
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    free: int = 0
    reason: str = ""
    label: str = ""  # the column's name in a week table
    is_pool = True

    @property
    def capacity(self) -> int:
        return self.resource.capacity

    @property
    def part_label(self) -> str:
        return str(DayPart(self.part).label)

    @property
    def bookable(self) -> bool:
        return self.state == FREE

    @property
    def can_wait(self) -> bool:
        return self.state == FULL

    @property
    def span(self) -> str:
        return span_text(self.starts_at, self.ends_at) if self.starts_at and self.ends_at else ""

    @property
    def text(self) -> str:
        if self.state == FREE:
            return ngettext(
                "%(free)s poste libre sur %(capacity)s", "%(free)s postes libres sur %(capacity)s", self.free
            ) % {"free": self.free, "capacity": self.capacity}
        return _state_text(self.state, self.reason)


@dataclass(frozen=True)
class Interval:
    """A free run of an office or a room; ``book_until`` is what a link proposes as the end."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    book_until: dt.datetime

    @property
    def text(self) -> str:
        return span_text(self.starts_at, self.ends_at)


@dataclass
class Step:
    """One step of an office or a room (30 minutes by default): free or taken."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    state: str
    book_until: dt.datetime | None = None

    @property
    def bookable(self) -> bool:
        return self.state == FREE and self.book_until is not None

    @property
    def text(self) -> str:
        if self.state == FREE:
            return _("Libre")
        if self.state == SHORT:
            return _("Libre, trop court pour réserver")
        if self.state == FULL:
            return _("Réservé")
        return _state_text(self.state, "")


@dataclass
class ExclusiveCell:
    """An office or a room on one day: its free runs and its steps."""

    resource: Resource
    day: dt.date
    state: str
    intervals: list[Interval] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    reason: str = ""
    label: str = ""  # the column's name in a week table
    is_pool = False
    part = ""

    @property
    def bookable(self) -> bool:
        return self.state == FREE

    @property
    def text(self) -> str:
        if self.state == FREE:
            return _("Libre : %(spans)s") % {"spans": ", ".join(i.text for i in self.intervals)}
        if self.state == FULL:
            return _("Complet")
        return _state_text(self.state, self.reason)


def _state_text(state: str, reason: str) -> str:
    if state == FULL:
        return _("Complet")
    if state == CLOSED:
        return _("Fermé (%(reason)s)") % {"reason": reason} if reason else _("Fermé")
    if state == PAST:
        return _("Passé")
    if state == LATER:
        return _("Pas encore réservable")
    return ""


# --- loading ------------------------------------------------------------------------------------


@dataclass
class _Period:
    """What the grids need for a span of days, read in two queries."""

    closures: list[Closure]
    # Per resource: (starts_at, ends_at, blocked_until, how many confirmed bookings have that period).
    bookings: dict[int, list[tuple[dt.datetime, dt.datetime, dt.datetime, int]]]


def active_resources(telecentre: Telecentre) -> list[Resource]:
    """The bookable resources of ``telecentre`` in display order (one query); each knows its
    telecentre (and its place) without another query."""
    resources = list(Resource.objects.filter(telecentre=telecentre, is_active=True).order_by("position", "name", "pk"))
    for resource in resources:
        resource.telecentre = telecentre
    return resources


def _load(telecentre: Telecentre, resources: Sequence[Resource], first: dt.date, last: dt.date) -> _Period:
    closures = list(Closure.objects.filter(telecentre=telecentre, starts_on__lte=last, ends_on__gte=first))
    bookings: dict[int, list[tuple[dt.datetime, dt.datetime, dt.datetime, int]]] = defaultdict(list)
    if resources:
        start = slots.local(first, 0)
        end = slots.local(last + dt.timedelta(days=1), 0)
        # A booking lasts at most its resource's maximum (a pool's, a day): bounding starts_at
        # from below keeps the query on the (resource, starts_at) index instead of scanning
        # every past booking of the resources.
        longest = max([24 * 60] + [r.max_minutes + r.buffer_minutes for r in resources if r.is_exclusive])
        rows = (
            Booking.objects.filter(
                status=BookingStatus.CONFIRMED,
                resource_id__in=[r.pk for r in resources],
                starts_at__gte=start - dt.timedelta(minutes=longest),
                starts_at__lt=end,
            )
            .filter(blocked_until__gt=start)
            # A pool's bookings share a few periods (morning, afternoon, day): one row per
            # resource and period with its count, not one per booking (~1,000 a week in a busy pool).
            .values("resource_id", "starts_at", "ends_at", "blocked_until")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("resource_id", "starts_at", "ends_at", "blocked_until", "n")
        )
        for resource_id, starts_at, ends_at, blocked_until, n in rows:
            bookings[resource_id].append((starts_at, ends_at, blocked_until, n))
    return _Period(closures=closures, bookings=bookings)


def _closure_reason(closures: Iterable[Closure], resource: Resource | None, day: dt.date) -> tuple[bool, str]:
    """(closed, reason) for a closure of the whole telecentre (``resource`` None) or of one resource."""
    for closure in closures:
        applies = closure.resource_id is None or (resource is not None and closure.resource_id == resource.pk)
        if applies and closure.starts_on <= day <= closure.ends_on:
            return True, closure.reason
    return False, ""


def telecentre_closed_reason(telecentre: Telecentre, day: dt.date) -> str | None:
    """Why nothing can be booked on ``day`` whatever the hours (None: it can). Same test as
    the booking service's ``check_rules``."""
    if telecentre.status == TelecentreStatus.CLOSED:
        return _("télécentre fermé")
    if telecentre.opens_on is not None and day < telecentre.opens_on:
        return _("ouvre le %(date)s") % {"date": date_format(telecentre.opens_on, "j F Y")}
    if telecentre.status != TelecentreStatus.OPEN:
        return _("ouverture prochaine")
    return None


def _seats_taken(
    taken: list[tuple[dt.datetime, dt.datetime, dt.datetime, int]], start: dt.datetime, end: dt.datetime
) -> int:
    """Same count as ``availability.seats_taken``: the peak over the period."""
    inside = [(s, e, n) for s, e, _b, n in taken if s < end and e > start]
    if not inside:
        return 0
    instants = {start} | {s for s, _e, _n in inside if start <= s < end}
    return max(sum(n for s, e, n in inside if s <= instant < e) for instant in instants)


class _Context:
    """What every cell of a grid shares: now, today, the period's closures and bookings."""

    def __init__(self, telecentre: Telecentre, period: _Period, now: dt.datetime) -> None:
        self.telecentre = telecentre
        self.period = period
        self.now = now
        self.today = timezone.localdate(now)

    def day_state(self, resource: Resource, day: dt.date) -> tuple[str, str, tuple[tuple[int, int], ...]]:
        """(state, reason, open slots) before looking at bookings: closed, later, or open."""
        reason = telecentre_closed_reason(self.telecentre, day)
        if reason is not None:
            return CLOSED, reason, ()
        closed, why = _closure_reason(self.period.closures, resource, day)
        if closed:
            return CLOSED, why, ()
        day_slots = slots.open_slots(resource, day, closures=[])
        if not day_slots:
            return CLOSED, "", ()
        if day > self.today + dt.timedelta(days=resource.booking_window_days):
            return LATER, "", day_slots
        return FREE, "", day_slots

    def pool_cell(self, resource: Resource, day: dt.date, part: str) -> PoolCell:
        state, reason, day_slots = self.day_state(resource, day)
        if state == CLOSED:
            return PoolCell(resource, day, part, CLOSED, reason=reason)
        bounds = slots.part_bounds(day_slots, part)
        if bounds is None:
            return PoolCell(resource, day, part, CLOSED)
        start, end = slots.local(day, bounds[0]), slots.local(day, bounds[1])
        free = max(0, resource.capacity - _seats_taken(self.period.bookings.get(resource.pk, []), start, end))
        if state == LATER:
            return PoolCell(resource, day, part, LATER, start, end, free)
        if start <= self.now:
            return PoolCell(resource, day, part, PAST, start, end, free)
        return PoolCell(resource, day, part, FREE if free else FULL, start, end, free)

    def exclusive_cell(self, resource: Resource, day: dt.date) -> ExclusiveCell:
        state, reason, day_slots = self.day_state(resource, day)
        if state == CLOSED:
            return ExclusiveCell(resource, day, CLOSED, reason=reason)
        taken = self.period.bookings.get(resource.pk, [])
        step = dt.timedelta(minutes=resource.step_minutes)
        buffer = dt.timedelta(minutes=resource.buffer_minutes)
        minimum = dt.timedelta(minutes=resource.min_minutes)
        proposed = _proposed_length(resource)
        steps: list[Step] = []
        intervals: list[Interval] = []
        for opens, closes in day_slots:
            first = -(-opens // resource.step_minutes) * resource.step_minutes
            run: list[Step] = []
            minute = first
            while minute + resource.step_minutes <= closes:
                start = slots.local(day, minute)
                end = start + step
                if start <= self.now:
                    cell_state = PAST
                elif state == LATER:
                    cell_state = LATER
                elif any(s < end + buffer and b > start for s, _e, b, _n in taken):
                    cell_state = FULL
                else:
                    cell_state = FREE
                current = Step(start, end, cell_state)
                steps.append(current)
                if cell_state == FREE:
                    run.append(current)
                else:
                    intervals.extend(_close_run(run, minimum, proposed))
                    run = []
                minute += resource.step_minutes
            intervals.extend(_close_run(run, minimum, proposed))
        if state == LATER:
            return ExclusiveCell(resource, day, LATER, steps=steps)
        if intervals:
            return ExclusiveCell(resource, day, FREE, intervals=intervals, steps=steps)
        if steps and all(s.state == PAST for s in steps):
            return ExclusiveCell(resource, day, PAST, steps=steps)
        return ExclusiveCell(resource, day, FULL, steps=steps)


def _proposed_length(resource: Resource) -> dt.timedelta:
    step = resource.step_minutes
    minutes = max(DEFAULT_MINUTES, resource.min_minutes)
    minutes = -(-minutes // step) * step
    return dt.timedelta(minutes=min(minutes, resource.max_minutes))


def _close_run(run: list[Step], minimum: dt.timedelta, proposed: dt.timedelta) -> list[Interval]:
    """Give each free step of a run the end a link proposes; the run as an interval if long enough."""
    if not run:
        return []
    end = run[-1].ends_at
    for step in run:
        if end - step.starts_at >= minimum:
            step.book_until = min(end, step.starts_at + max(proposed, minimum))
        else:
            step.state = SHORT
    if end - run[0].starts_at < minimum:
        return []
    return [Interval(run[0].starts_at, end, min(end, run[0].starts_at + max(proposed, minimum)))]


# --- the week -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    resource: Resource
    part: str  # a pool's half-day; "" for an office or a room
    label: str


@dataclass
class DayRow:
    day: dt.date
    label: str
    is_today: bool
    closed_reason: str | None  # the whole telecentre: closed, not open yet, closure
    cells: list[PoolCell | ExclusiveCell]

    @property
    def closed(self) -> bool:
        return self.closed_reason is not None or all(c.state == CLOSED for c in self.cells)


@dataclass
class WeekGrid:
    telecentre: Telecentre
    monday: dt.date
    resources: list[Resource]
    columns: list[Column]
    rows: list[DayRow]

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)

    @property
    def caption(self) -> str:
        return _("Disponibilités de la semaine du %(monday)s au %(sunday)s") % {
            "monday": date_format(self.monday, "j F"),
            "sunday": date_format(self.sunday, "j F Y"),
        }


def _columns(resources: Sequence[Resource]) -> list[Column]:
    columns: list[Column] = []
    for resource in resources:
        if resource.kind == ResourceKind.SEAT_POOL:
            columns.extend(
                Column(resource, part, f"{resource.name} · {str(DayPart(part).label).lower()}") for part in POOL_PARTS
            )
        else:
            columns.append(Column(resource, "", resource.name))
    return columns


def _whole_closure(context: _Context, day: dt.date) -> str | None:
    reason = telecentre_closed_reason(context.telecentre, day)
    if reason is not None:
        return reason
    closed, why = _closure_reason(context.period.closures, None, day)
    if closed:
        return why or _("fermeture exceptionnelle")
    return None


def week_grid(telecentre: Telecentre, monday: dt.date, *, now: dt.datetime | None = None) -> WeekGrid:
    """The week from ``monday`` (any day is moved back to its Monday): per day, the seats left
    per half-day in each pool and the free runs of each office and room. Three queries."""
    monday = slots.week_bounds(monday)[0]
    now = now or timezone.now()
    resources = active_resources(telecentre)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    context = _Context(telecentre, _load(telecentre, resources, days[0], days[-1]), now)
    columns = _columns(resources)
    rows = []
    for day in days:
        cells: list[PoolCell | ExclusiveCell] = []
        for column in columns:
            cell: PoolCell | ExclusiveCell
            if column.part:
                cell = context.pool_cell(column.resource, day, column.part)
            else:
                cell = context.exclusive_cell(column.resource, day)
            cell.label = column.label
            cells.append(cell)
        rows.append(DayRow(day, day_label(day), day == context.today, _whole_closure(context, day), cells))
    return WeekGrid(telecentre, monday, resources, columns, rows)


# --- the day ------------------------------------------------------------------------------------


@dataclass
class PoolRow:
    resource: Resource
    cells: list[PoolCell]  # morning, afternoon, day


@dataclass
class StepRow:
    starts_at: dt.datetime
    label: str
    cells: list[Step | None]  # per office or room; None: not bookable at that time


@dataclass
class DayGrid:
    telecentre: Telecentre
    day: dt.date
    closed_reason: str | None
    resources: list[Resource]
    pools: list[PoolRow]
    exclusive: list[Resource]
    step_rows: list[StepRow]
    exclusive_cells: list[ExclusiveCell]

    @property
    def label(self) -> str:
        return date_format(self.day, "l j F Y")

    @property
    def previous(self) -> dt.date:
        return self.day - dt.timedelta(days=1)

    @property
    def next(self) -> dt.date:
        return self.day + dt.timedelta(days=1)


def day_grid(telecentre: Telecentre, day: dt.date, *, now: dt.datetime | None = None) -> DayGrid:
    """One day: the seats left per half-day and for the day in each pool; each office and room
    step by step. Three queries."""
    now = now or timezone.now()
    resources = active_resources(telecentre)
    context = _Context(telecentre, _load(telecentre, resources, day, day), now)
    pools = [
        PoolRow(r, [context.pool_cell(r, day, part) for part in (*POOL_PARTS, DayPart.DAY)])
        for r in resources
        if r.kind == ResourceKind.SEAT_POOL
    ]
    exclusive = [r for r in resources if r.is_exclusive]
    exclusive_cells = [context.exclusive_cell(r, day) for r in exclusive]
    by_start: dict[dt.datetime, list[Step | None]] = {}
    for index, cell in enumerate(exclusive_cells):
        for step in cell.steps:
            by_start.setdefault(step.starts_at, [None] * len(exclusive))[index] = step
    step_rows = [StepRow(start, _time(start), cells) for start, cells in sorted(by_start.items())]
    return DayGrid(
        telecentre, day, _whole_closure(context, day), resources, pools, exclusive, step_rows, exclusive_cells
    )


# --- one resource -------------------------------------------------------------------------------


@dataclass
class ResourceDay:
    day: dt.date
    label: str
    cells: list[PoolCell] | list[ExclusiveCell]


def resource_days(
    resource: Resource, first: dt.date, *, days: int = RESOURCE_DAYS, now: dt.datetime | None = None
) -> list[ResourceDay]:
    """``resource`` over ``days`` days from ``first``: its half-days (pool) or its free runs.
    Two queries (closures, bookings)."""
    now = now or timezone.now()
    telecentre = resource.telecentre
    span = [first + dt.timedelta(days=i) for i in range(days)]
    context = _Context(telecentre, _load(telecentre, [resource], span[0], span[-1]), now)
    result = []
    for day in span:
        cells: list[Any]
        if resource.kind == ResourceKind.SEAT_POOL:
            cells = [context.pool_cell(resource, day, part) for part in POOL_PARTS]
        else:
            cells = [context.exclusive_cell(resource, day)]
        result.append(ResourceDay(day, date_format(day, "l j F"), cells))
    return result


# --- what a booking will cost -------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """What the confirmation step says before anything is written. Computed with the booking
    service's own ``decide_terms`` and the credits ledger: the same rules as ``booking_create``."""

    kind: str  # "credits", "employer", "price", "no_credits"
    units: Decimal
    unit: str
    balance: Decimal = Decimal("0")
    price_excl_tax: Decimal = Decimal("0")
    vat_rate: Decimal = Decimal("0")
    days_counted: Decimal = Decimal("0")

    @property
    def price_incl_tax(self) -> Decimal:
        return round_cents(self.price_excl_tax * (1 + self.vat_rate / 100))

    @property
    def balance_after(self) -> Decimal:
        return self.balance - self.units

    @property
    def unit_label(self) -> str:
        if self.unit == CreditUnit.HOUR:
            return ngettext("heure de salle", "heures de salle", _plural(self.units))
        return ngettext("jour", "jours", _plural(self.units))


def _plural(value: Decimal) -> int:
    """French: 0,5 jour, 1 jour, 1,5 jours."""
    return 1 if value < 2 else 2


def quote(*, member: Any, resource: Resource, starts_at: dt.datetime, ends_at: dt.datetime, part: str = "") -> Quote:
    """How ``member`` would pay for this booking. Raises ``BookingError`` as the service would
    (the resource is not for them)."""
    on = timezone.localtime(starts_at).date()
    units = slots.credit_units(resource, starts_at, ends_at, part)
    counted = slots.days_counted(resource, starts_at, ends_at, part)
    terms = decide_terms(member=member, resource=resource, on=on, units=units)
    unit = resource.credit_unit
    price = terms.usage_price or Decimal("0")
    if terms.agreement_id is not None:
        return Quote("employer", units, unit, price_excl_tax=price, vat_rate=terms.vat_rate, days_counted=counted)
    if terms.membership is not None:
        left = credits.available(terms.membership, unit=unit, kind=resource.kind, on=on)
        if left >= units:
            return Quote("credits", units, unit, balance=left, days_counted=counted)
        if terms.usage_price is None:
            return Quote("no_credits", units, unit, balance=left, days_counted=counted)
    return Quote("price", units, unit, price_excl_tax=price, vat_rate=terms.vat_rate, days_counted=counted)


# --- lists --------------------------------------------------------------------------------------


def _with_place(queryset: QuerySet[Booking]) -> QuerySet[Booking]:
    return queryset.select_related("resource__telecentre__place__commune")


def upcoming_of(member: Any, *, now: dt.datetime | None = None) -> QuerySet[Booking]:
    """The member's confirmed bookings not yet over, soonest first."""
    now = now or timezone.now()
    return _with_place(
        Booking.objects.filter(member=member, status=BookingStatus.CONFIRMED, ends_at__gt=now).order_by(
            "starts_at", "pk"
        )
    )


def past_of(member: Any, *, now: dt.datetime | None = None) -> QuerySet[Booking]:
    """The member's bookings over, cancelled or released, latest first."""
    now = now or timezone.now()
    return _with_place(
        Booking.objects.filter(member=member)
        .filter(Q(ends_at__lte=now) | ~Q(status=BookingStatus.CONFIRMED))
        .order_by("-starts_at", "-pk")
    )


@dataclass
class PlanningRow:
    resource: Resource
    bookings: list[Booking]

    @property
    def confirmed_count(self) -> int:
        return sum(1 for b in self.bookings if b.status == BookingStatus.CONFIRMED)


def planning(telecentre: Telecentre, day: dt.date) -> list[PlanningRow]:
    """The day's bookings (confirmed and released; cancelled ones are not on the floor) per
    resource, with their members. Two queries."""
    resources = list(Resource.objects.filter(telecentre=telecentre).order_by("-is_active", "position", "name", "pk"))
    start = slots.local(day, 0)
    end = slots.local(day + dt.timedelta(days=1), 0)
    bookings = (
        Booking.objects.filter(
            resource__in=resources,
            starts_at__gte=start - dt.timedelta(days=1),
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .exclude(status=BookingStatus.CANCELLED)
        .select_related("member")
        .order_by("starts_at", "member__last_name", "pk")
    )
    per_resource: dict[int, list[Booking]] = defaultdict(list)
    for booking in bookings:
        per_resource[booking.resource_id].append(booking)
    rows = []
    for resource in resources:
        resource.telecentre = telecentre
        for booking in per_resource.get(resource.pk, []):
            booking.resource = resource
        if resource.is_active or per_resource.get(resource.pk):
            rows.append(PlanningRow(resource, per_resource.get(resource.pk, [])))
    return rows


def members_matching(telecentre: Telecentre, text: str, *, limit: int = 10) -> list[Any]:
    """People with a current membership of ``telecentre`` whose name or email contains every
    word of ``text`` (case-insensitive), for a manager booking on someone's behalf."""
    words = [w for w in text.split() if w][:5]
    if not words:
        return []
    today = timezone.localdate()
    memberships = Membership.objects.filter(telecentre=telecentre, starts_on__lte=today).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )
    people = get_user_model().objects.filter(pk__in=memberships.values("member_id"), is_active=True)
    for word in words:
        people = people.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word))
    return list(people.order_by("last_name", "first_name", "pk")[:limit])


def current_member(telecentre: Telecentre, user_id: int) -> Any | None:
    """The person ``user_id`` if they hold a current membership of ``telecentre``."""
    today = timezone.localdate()
    memberships = Membership.objects.filter(telecentre=telecentre, member_id=user_id, starts_on__lte=today).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )
    if not memberships.exists():
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()
