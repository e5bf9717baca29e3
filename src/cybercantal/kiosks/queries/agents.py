"""Reads of the agents' side of the kiosks: who is trained, the kiosks without a trained
agent, the help requests an agent sees, and the statistics of the help given at kiosks.

An agent is a person with an active kiosk-agent role scoped to a host place. Their training
is valid from their last training session attended until ``KIOSKS_TRAINING_REFRESHER_MONTHS``
(default 24) months later; after that a refresher is overdue.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import ExtractMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.models import Role, RoleMembership, User
from cybercantal.accounts.queries import objects_in_scope
from cybercantal.mediation.models import Accompaniment, AccompanimentKind, AdminTheme, HelpReason, Outcome
from cybercantal.mediation.services.accompaniments import add_months
from cybercantal.places.models import Place
from cybercantal.territory.models import Canton

from ..models import (
    Category,
    HelpRequest,
    HelpRequestStatus,
    Kiosk,
    KioskStatus,
    Procedure,
    TrainingAttendance,
    TrainingSession,
    UsageCount,
    UsageMetric,
)
from ..services.agents import refresher_months

# --- Agents and their training -------------------------------------------------------------------


@dataclass
class AgentRow:
    user: User
    place: Place
    last_training: dt.date | None
    refresher_due: dt.date | None
    overdue: bool

    @property
    def trained(self) -> bool:
        return self.last_training is not None

    @property
    def valid(self) -> bool:
        """Trained, and the refresher is not overdue."""
        return self.trained and not self.overdue


def last_training_dates(user_ids: list[int], *, today: dt.date | None = None) -> dict[int, dt.date]:
    """The date of each person's last training session attended (not after ``today``)."""
    today = today or timezone.localdate()
    rows = (
        TrainingAttendance.objects.filter(user_id__in=user_ids, attended=True, session__date__lte=today)
        .values("user_id")
        .annotate(last=Max("session__date"))
    )
    return {row["user_id"]: row["last"] for row in rows}


def training_status(last: dt.date | None, *, today: dt.date | None = None) -> tuple[dt.date | None, bool]:
    """``(refresher due date, overdue)`` for a last training on ``last``."""
    today = today or timezone.localdate()
    if last is None:
        return None, False
    due = add_months(last, refresher_months())
    return due, due < today


def agent_rows(*, today: dt.date | None = None, places: list[int] | None = None) -> list[AgentRow]:
    """One row per (agent, host place): people with an active kiosk-agent role scoped to a
    place, with their training status. Three queries whatever the number of agents."""
    today = today or timezone.localdate()
    place_type = ContentType.objects.get_for_model(Place)
    memberships = RoleMembership.objects.active(today).filter(
        role=Role.KIOSK_AGENT, scope_type=place_type, user__is_active=True
    )
    if places is not None:
        memberships = memberships.filter(scope_id__in=places)
    pairs = list(memberships.select_related("user").order_by("scope_id", "user__last_name", "user__first_name"))
    place_by_id = Place.objects.select_related("canton").in_bulk({m.scope_id for m in pairs})
    lasts = last_training_dates(list({m.user_id for m in pairs}), today=today)
    rows: list[AgentRow] = []
    seen: set[tuple[int, int | None]] = set()
    for membership in pairs:
        place = place_by_id.get(membership.scope_id)
        key = (membership.user_id, membership.scope_id)
        if place is None or key in seen:
            continue
        seen.add(key)
        last = lasts.get(membership.user_id)
        due, overdue = training_status(last, today=today)
        rows.append(AgentRow(membership.user, place, last, due, overdue))
    rows.sort(key=lambda r: (r.place.name.lower(), r.user.last_name.lower(), r.user.first_name.lower()))
    return rows


def agents_by_place(*, today: dt.date | None = None) -> list[tuple[Place, list[User]]]:
    """The kiosk agents grouped by their host place (the attendee choice of a training form)."""
    grouped: dict[int, tuple[Place, list[User]]] = {}
    for row in agent_rows(today=today):
        grouped.setdefault(row.place.pk, (row.place, []))[1].append(row.user)
    return list(grouped.values())


def agent_users() -> QuerySet[User]:
    """Every person with an active kiosk-agent role (any scope)."""
    ids = RoleMembership.objects.active().filter(role=Role.KIOSK_AGENT).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("last_name", "first_name", "pk")


def valid_training_cutoff(*, today: dt.date | None = None) -> dt.date:
    """The earliest last-training date still valid ``today`` (the refresher not overdue): the
    smallest ``d`` with ``add_months(d, refresher_months()) >= today`` (``training_status``)."""
    today = today or timezone.localdate()
    months = refresher_months()
    cutoff = add_months(today, -months)
    while add_months(cutoff - dt.timedelta(days=1), months) >= today:
        cutoff -= dt.timedelta(days=1)
    while add_months(cutoff, months) < today:
        cutoff += dt.timedelta(days=1)
    return cutoff


def _valid_agent_place_ids(*, today: dt.date) -> QuerySet[RoleMembership, Any]:
    """Subquery: ids of the places with an agent (active role, active account) whose last
    training attended is valid ``today``; same rule as ``agent_rows`` (``AgentRow.valid``)."""
    trained_users = TrainingAttendance.objects.filter(
        attended=True, session__date__lte=today, session__date__gte=valid_training_cutoff(today=today)
    ).values("user_id")
    return (
        RoleMembership.objects.active(today)
        .filter(
            role=Role.KIOSK_AGENT,
            scope_type=ContentType.objects.get_for_model(Place),
            user__is_active=True,
            user_id__in=trained_users,
        )
        .values("scope_id")
    )


def places_with_valid_agent(*, today: dt.date | None = None) -> set[int]:
    today = today or timezone.localdate()
    return {pk for pk in _valid_agent_place_ids(today=today).values_list("scope_id", flat=True) if pk is not None}


def untrained_kiosks(*, today: dt.date | None = None) -> QuerySet[Kiosk]:
    """Kiosks (not retired) whose host place has no agent with a valid training: the flag
    « aucun agent formé ». One query (the places with a trained agent are a subquery)."""
    today = today or timezone.localdate()
    return (
        Kiosk.objects.exclude(status=KioskStatus.RETIRED)
        .exclude(place_id__in=_valid_agent_place_ids(today=today))
        .select_related("place", "canton")
        .order_by("code")
    )


def untrained_kiosk_ids(*, today: dt.date | None = None) -> set[int]:
    """Ids of the flagged kiosks, for the fleet pages (``kiosk.pk in ids``): one query."""
    return set(untrained_kiosks(today=today).values_list("pk", flat=True))


def kiosk_has_trained_agent(kiosk: Kiosk, *, today: dt.date | None = None) -> bool:
    return any(row.valid for row in agent_rows(today=today, places=[kiosk.place_id]))


def training_sessions() -> QuerySet[TrainingSession]:
    return (
        TrainingSession.objects.select_related("place")
        .annotate(
            attendee_count=Count("attendances", distinct=True),
            present_count=Count("attendances", filter=Q(attendances__attended=True), distinct=True),
        )
        .order_by("-date", "-pk")
    )


# --- The agent screen ----------------------------------------------------------------------------


def agent_places(user: Any) -> QuerySet[Place]:
    """The places where the person is a kiosk agent (directly or through their organisation)."""
    return objects_in_scope(user, Place.objects.all(), roles=[Role.KIOSK_AGENT])


def agent_kiosks(user: Any) -> QuerySet[Kiosk]:
    """The kiosks of the places where the person is a kiosk agent."""
    return (
        Kiosk.objects.filter(place__in=agent_places(user))
        .exclude(status=KioskStatus.RETIRED)
        .select_related("place")
        .order_by("code")
    )


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def todays_help_requests(user: Any, *, today: dt.date | None = None) -> QuerySet[HelpRequest]:
    """Today's help requests of the person's kiosks, newest first."""
    start, end = day_bounds(today or timezone.localdate())
    kiosk_ids = list(agent_kiosks(user).values_list("pk", flat=True))
    return (
        HelpRequest.objects.filter(kiosk_id__in=kiosk_ids, created_at__gte=start, created_at__lt=end)
        .select_related("kiosk", "kiosk__place", "taken_by")
        .order_by("-created_at", "-pk")
    )


def help_request_news(
    user: Any, *, shown_up_to: int, shown_open: set[int] | None = None, today: dt.date | None = None
) -> tuple[int, int]:
    """``(new, gone)`` since the agent screen was displayed, in one query: today's requests of the
    person's kiosks newer than the last one shown (``pk > shown_up_to``), and how many of the
    open requests that were shown (``shown_open``) are no longer open (taken by a colleague,
    cancelled). The agent screen's status region polls this; its list is never replaced."""
    shown_open = shown_open or set()
    counts = todays_help_requests(user, today=today).aggregate(
        new=Count("pk", filter=Q(pk__gt=shown_up_to)),
        gone=Count("pk", filter=Q(pk__in=shown_open) & ~Q(status=HelpRequestStatus.OPEN)),
    )
    return counts["new"] or 0, counts["gone"] or 0


def help_request_for_agent(user: Any, pk: int) -> HelpRequest:
    """A help request of one of the person's kiosks, or 404 (a request elsewhere is not shown)."""
    kiosk_ids = agent_kiosks(user).values("pk")
    request = (
        HelpRequest.objects.filter(pk=pk, kiosk_id__in=kiosk_ids).select_related("kiosk__place", "taken_by").first()
    )
    if request is None:
        raise Http404
    return request


# --- Statistics ----------------------------------------------------------------------------------


@dataclass
class Period:
    start: dt.date
    end: dt.date  # exclusive


def period_of(year: int, month: int | None = None) -> Period:
    if month:
        start = dt.date(year, month, 1)
        end = dt.date(year + (month == 12), month % 12 + 1, 1)
    else:
        start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    return Period(start, end)


def kiosk_accompaniments(*, period: Period, canton: Canton | None = None) -> QuerySet[Accompaniment]:
    """Assisted sessions at kiosks: procedure accompaniments with a ``kiosk_id`` in ``period``,
    annotated with the canton of their kiosk."""
    kiosk_canton = Kiosk.objects.filter(pk=OuterRef("kiosk_id")).values("canton_id")[:1]
    records = Accompaniment.objects.filter(
        kind=AccompanimentKind.PROCEDURE,
        kiosk_id__isnull=False,
        date__gte=period.start,
        date__lt=period.end,
    ).annotate(kiosk_canton_id=Subquery(kiosk_canton))
    if canton is not None:
        records = records.filter(kiosk_canton_id=canton.pk)
    return records


def _counts(prefix: str, column: str, enum: Any) -> dict[str, Count]:
    return {f"{prefix}_{value}": Count("pk", filter=Q(**{column: value})) for value in enum.values}


def _theme_counts() -> dict[str, Count]:
    return {f"theme_{value}": Count("pk", filter=Q(admin_themes__contains=f"|{value}|")) for value in AdminTheme.values}


@dataclass
class Breakdown:
    """Counts of one group (a canton or the whole département)."""

    label: str
    total: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    themes: dict[str, int] = field(default_factory=dict)
    minutes: int = 0


def _breakdown(label: str, row: dict[str, Any]) -> Breakdown:
    return Breakdown(
        label=label,
        total=row.get("total") or 0,
        minutes=row.get("minutes") or 0,
        reasons={v: row.get(f"reason_{v}") or 0 for v in HelpReason.values},
        outcomes={v: row.get(f"outcome_{v}") or 0 for v in Outcome.values},
        themes={v: row.get(f"theme_{v}") or 0 for v in AdminTheme.values},
    )


def _aggregates() -> dict[str, Any]:
    return {
        "total": Count("pk"),
        "minutes": Sum("duration_minutes"),
        **_counts("reason", "help_reason", HelpReason),
        **_counts("outcome", "outcome", Outcome),
        **_theme_counts(),
    }


@dataclass
class UsageRow:
    label: str
    canton: str
    sessions: int
    help_requests: int
    categories: int
    procedures: int


@dataclass
class ViewedRow:
    """A category or a procedure and how many times it was opened at the kiosks."""

    key: str
    label: str
    count: int


@dataclass
class MonthRow:
    """The usage counts of one month (``month`` 1–12 of the period's year)."""

    month: int
    sessions: int = 0
    categories: int = 0
    procedures: int = 0
    help_requests: int = 0

    def add(self, row: Mapping[str, Any]) -> None:
        self.sessions += row.get("sessions") or 0
        self.categories += row.get("categories") or 0
        self.procedures += row.get("procedures") or 0
        self.help_requests += row.get("help_requests") or 0


@dataclass
class MonthTable:
    """Twelve months of usage of one scope (a kiosk, a canton or the whole selection)."""

    label: str
    canton: str
    months: list[MonthRow]

    @property
    def total(self) -> MonthRow:
        total = MonthRow(month=0)
        for row in self.months:
            total.add(vars(row))
        return total


def _twelve_months(label: str, canton: str = "") -> MonthTable:
    return MonthTable(label, canton, [MonthRow(month=m) for m in range(1, 13)])


@dataclass
class KioskStatistics:
    period: Period
    canton: Canton | None
    overall: Breakdown
    per_canton: list[Breakdown]
    usage_per_kiosk: list[UsageRow]
    usage_per_canton: list[UsageRow]
    kiosk: Kiosk | None = None
    categories_viewed: list[ViewedRow] = field(default_factory=list)
    procedures_viewed: list[ViewedRow] = field(default_factory=list)
    year: int = 0
    months: MonthTable | None = None  # the selection (filters), month by month over the year
    months_per_canton: list[MonthTable] = field(default_factory=list)
    months_per_kiosk: list[MonthTable] = field(default_factory=list)


def _usage_aggregates() -> dict[str, Any]:
    return {
        "sessions": Sum("count", filter=Q(metric=UsageMetric.SESSION)),
        "help_requests": Sum("count", filter=Q(metric=UsageMetric.HELP_REQUEST)),
        "categories": Sum("count", filter=Q(metric=UsageMetric.CATEGORY)),
        "procedures": Sum("count", filter=Q(metric=UsageMetric.PROCEDURE)),
    }


TOP_PROCEDURES = 20


def _viewed(usage: QuerySet[UsageCount]) -> tuple[list[ViewedRow], list[ViewedRow]]:
    """Which categories and procedures were opened, most viewed first (two queries: the
    counts per key, then the titles of the procedures). Every category viewed is listed; the
    procedures are the ``TOP_PROCEDURES`` most viewed. A procedure deleted since keeps its slug."""
    rows = list(
        usage.filter(metric__in=[UsageMetric.CATEGORY, UsageMetric.PROCEDURE])
        .exclude(key="")
        .order_by()
        .values("metric", "key")
        .annotate(total=Sum("count"))
    )
    labels = dict(Category.choices)
    categories = [
        ViewedRow(row["key"], str(labels.get(row["key"], row["key"])), row["total"] or 0)
        for row in rows
        if row["metric"] == UsageMetric.CATEGORY
    ]
    procedures = [
        ViewedRow(row["key"], row["key"], row["total"] or 0) for row in rows if row["metric"] == UsageMetric.PROCEDURE
    ]
    order = lambda r: (-r.count, r.label.lower())  # noqa: E731
    categories.sort(key=order)
    procedures.sort(key=lambda r: (-r.count, r.key))
    procedures = procedures[:TOP_PROCEDURES]
    if procedures:
        titles = dict(Procedure.objects.filter(slug__in=[r.key for r in procedures]).values_list("slug", "title"))
        for row in procedures:
            row.label = titles.get(row.key, row.key)
        procedures.sort(key=order)
    return categories, procedures


def _months(
    usage: QuerySet[UsageCount], year: int, scope_label: str
) -> tuple[MonthTable, list[MonthTable], list[MonthTable]]:
    """Month by month over ``year``: the whole selection, per canton and per kiosk (one query)."""
    rows = (
        usage.filter(date__gte=dt.date(year, 1, 1), date__lt=dt.date(year + 1, 1, 1))
        .order_by()
        .values("kiosk_id", "kiosk__code", "kiosk__place__name", "kiosk__canton__name", month=ExtractMonth("date"))
        .annotate(**_usage_aggregates())
    )
    scope = _twelve_months(scope_label)
    per_canton: dict[str, MonthTable] = {}
    per_kiosk: dict[int, MonthTable] = {}
    for row in rows:
        canton = row["kiosk__canton__name"] or "—"
        index = row["month"] - 1
        scope.months[index].add(row)
        per_canton.setdefault(canton, _twelve_months(canton, canton)).months[index].add(row)
        per_kiosk.setdefault(
            row["kiosk_id"], _twelve_months(f"{row['kiosk__code']} — {row['kiosk__place__name']}", canton)
        ).months[index].add(row)
    return (
        scope,
        sorted(per_canton.values(), key=lambda t: t.label.lower()),
        sorted(per_kiosk.values(), key=lambda t: (t.canton.lower(), t.label.lower())),
    )


def statistics(
    *, year: int, month: int | None = None, canton: Canton | None = None, kiosk: Kiosk | None = None
) -> KioskStatistics:
    """The figures of the statistics page: seven queries at most, whatever the data.

    ``kiosk`` narrows everything to one kiosk (the help given there and its usage); the
    month-by-month tables always cover the twelve months of ``year``."""
    period = period_of(year, month)
    records = kiosk_accompaniments(period=period, canton=canton)
    if kiosk is not None:
        records = records.filter(kiosk_id=kiosk.pk)
    if kiosk is not None:
        scope_label = f"{kiosk.code} — {kiosk.place.name}"
    else:
        scope_label = canton.name if canton else _("Tout le département")
    overall = _breakdown(scope_label, records.aggregate(**_aggregates()))
    per_canton_rows: list[dict[str, Any]] = list(
        records.order_by().values("kiosk_canton_id").annotate(**_aggregates())  # type: ignore[misc]
    )
    cantons = Canton.objects.in_bulk({row["kiosk_canton_id"] for row in per_canton_rows if row["kiosk_canton_id"]})
    per_canton = sorted(
        (
            _breakdown(cantons[row["kiosk_canton_id"]].name if row["kiosk_canton_id"] in cantons else "—", row)
            for row in per_canton_rows
        ),
        key=lambda b: b.label.lower(),
    )
    all_usage = UsageCount.objects.all()
    if canton is not None:
        all_usage = all_usage.filter(kiosk__canton=canton)
    if kiosk is not None:
        all_usage = all_usage.filter(kiosk=kiosk)
    usage = all_usage.filter(date__gte=period.start, date__lt=period.end)
    per_kiosk: list[dict[str, Any]] = [
        dict(row)
        for row in usage.order_by()
        .values("kiosk_id", "kiosk__code", "kiosk__place__name", "kiosk__canton__name")
        .annotate(**_usage_aggregates())
    ]
    usage_per_kiosk = sorted(
        (
            UsageRow(
                label=f"{row['kiosk__code']} — {row['kiosk__place__name']}",
                canton=row["kiosk__canton__name"] or "—",
                sessions=row["sessions"] or 0,
                help_requests=row["help_requests"] or 0,
                categories=row["categories"] or 0,
                procedures=row["procedures"] or 0,
            )
            for row in per_kiosk
        ),
        key=lambda r: (r.canton.lower(), r.label.lower()),
    )
    by_canton: dict[str, UsageRow] = defaultdict(lambda: UsageRow("", "", 0, 0, 0, 0))
    for row in usage_per_kiosk:
        total = by_canton[row.canton]
        total.label = total.canton = row.canton
        total.sessions += row.sessions
        total.help_requests += row.help_requests
        total.categories += row.categories
        total.procedures += row.procedures
    usage_per_canton = sorted(by_canton.values(), key=lambda r: r.label.lower())
    categories_viewed, procedures_viewed = _viewed(usage)
    months, months_per_canton, months_per_kiosk = _months(all_usage, year, scope_label)
    return KioskStatistics(
        period,
        canton,
        overall,
        per_canton,
        usage_per_kiosk,
        usage_per_canton,
        kiosk=kiosk,
        categories_viewed=categories_viewed,
        procedures_viewed=procedures_viewed,
        year=year,
        months=months,
        months_per_canton=months_per_canton,
        months_per_kiosk=months_per_kiosk,
    )


def percent(part: int, total: int) -> str:
    """``37,5 %`` (French), ``—`` when there is nothing to divide."""
    if not total:
        return "—"
    value = round(100 * part / total, 1)
    text = f"{value:.1f}".replace(".", ",").replace(",0", "")
    return f"{text}\u00a0%"
