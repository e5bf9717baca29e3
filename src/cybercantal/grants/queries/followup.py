"""Reads of the programme dashboard (issue 7 §6): dossiers per state and per canton, amounts
requested, decided and paid, processing times, and the rows of the CSV export.

Every figure is computed by the database with a fixed number of queries, whatever the number
of dossiers (sums and counts by ``values().annotate()``); only the percentiles of processing
times are taken in Python, from one ``values_list`` of durations.

Definitions (stated on the page too):

- *requested*: the computed aid of the dossiers submitted and beyond (every state but draft);
- *decided*: the decided amount of the accepted and paid dossiers (what the envelope commits);
- *paid*: the ``paid_amount`` of the dossiers (kept by the payment part, sum of its payments);
- *first submission -> decision*: ``decided_at - first_submitted_at`` of the dossiers whose
  decision stands (accepted, refused, closed, paid);
- *decision -> payment*: the date of the first payment order (``Payment.ordered_on``) minus the
  day of the decision, for the dossiers with a payment;
- *waiting for a decision*: submitted or under review (a dossier in corrections waits for its
  applicant, not for the instructors); *waiting for payment*: accepted, not yet paid.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from cybercantal.territory.models import Canton

from ..models import COMMITTED_STATUSES, DECIDED_STATUSES, ZERO, Application, GrantProgramme, Payment, Status
from .envelope import Envelope, envelope

#: The states in the order a dossier goes through them (the order of ``Status``).
WORKFLOW_ORDER: tuple[str, ...] = tuple(Status.values)
#: In the instructors' hands: a decision is awaited.
WAITING_DECISION = frozenset({Status.SUBMITTED, Status.UNDER_REVIEW})
#: A decision stands: its date counts in the processing times.
STANDING_DECISIONS = DECIDED_STATUSES | {Status.PAID}
#: Submitted and beyond: every state but the draft.
SUBMITTED_AND_BEYOND = frozenset(WORKFLOW_ORDER) - {Status.DRAFT}

SECONDS_PER_DAY = 86400


# --- the programme shown by default ----------------------------------------------------------


def programmes() -> QuerySet[GrantProgramme]:
    """Every programme, the most recent first (the dashboard's choice list)."""
    return GrantProgramme.objects.order_by("-opens_on", "name")


def default_programme(today: date | None = None) -> GrantProgramme | None:
    """The most recent programme open today; else the most recent one; None when there is none."""
    today = today or timezone.localdate()
    is_open = Q(opens_on__lte=today, closes_on__gte=today)
    open_now = Case(When(is_open, then=Value(1)), default=Value(0), output_field=IntegerField())
    return GrantProgramme.objects.alias(open_now=open_now).order_by("-open_now", "-opens_on", "name").first()


def dashboard_cantons() -> QuerySet[Canton]:
    """The cantons of the platform's département, by number."""
    return Canton.objects.filter(departement__code=settings.DEPARTEMENT_CODE).order_by("number")


# --- figures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class CantonFigures:
    """One canton's dossiers (submitted and beyond) and amounts; ``canton`` None: not known."""

    canton: Canton | None
    dossiers: int = 0
    requested: Decimal = ZERO
    decided: Decimal = ZERO
    paid: Decimal = ZERO


@dataclass(frozen=True)
class Durations:
    """Processing times in days (fractions of a day kept), over ``count`` dossiers."""

    count: int
    median: float | None
    mean: float | None
    p90: float | None


@dataclass(frozen=True)
class Waiting:
    count: int
    oldest_reference: str = ""
    oldest_since: datetime | None = None

    @property
    def oldest_days(self) -> int | None:
        if self.oldest_since is None:
            return None
        return (timezone.localdate() - timezone.localtime(self.oldest_since).date()).days


@dataclass(frozen=True)
class Dashboard:
    programme: GrantProgramme
    year: int | None
    canton: Canton | None
    envelope: Envelope
    states: tuple[StateCount, ...]
    per_canton: tuple[CantonFigures, ...]  # every canton of the département, by number
    unknown_canton: CantonFigures | None  # dossiers without a canton of the département
    requested: Decimal
    decided: Decimal
    paid: Decimal
    submitted: int  # dossiers submitted and beyond
    to_decision: Durations
    to_payment: Durations
    waiting_decision: Waiting
    waiting_payment: Waiting

    @property
    def total_dossiers(self) -> int:
        return sum(state.count for state in self.states)

    @property
    def canton_total(self) -> CantonFigures:
        rows = [*self.per_canton, *([self.unknown_canton] if self.unknown_canton else [])]
        return CantonFigures(
            canton=None,
            dossiers=sum(r.dossiers for r in rows),
            requested=sum((r.requested for r in rows), ZERO),
            decided=sum((r.decided for r in rows), ZERO),
            paid=sum((r.paid for r in rows), ZERO),
        )


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` quantile of ``values`` by linear interpolation between the closest ranks
    (the "inclusive" method of ``statistics.quantiles``, numpy's default); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def durations(days: Iterable[float]) -> Durations:
    values = list(days)
    if not values:
        return Durations(count=0, median=None, mean=None, p90=None)
    return Durations(
        count=len(values),
        median=percentile(values, 0.5),
        mean=sum(values) / len(values),
        p90=percentile(values, 0.9),
    )


def applications(
    *, programme: GrantProgramme, year: int | None = None, canton: Canton | None = None
) -> QuerySet[Application]:
    """The programme's dossiers, of ``year`` of first submission (then never drafts) and ``canton``."""
    queryset = Application.objects.filter(programme=programme)
    if year is not None:
        queryset = queryset.filter(first_submitted_at__year=year)
    if canton is not None:
        queryset = queryset.filter(canton=canton)
    return queryset


def _first_payment_date() -> Subquery:
    first = Payment.objects.filter(application=OuterRef("pk")).order_by("ordered_on", "pk").values("ordered_on")[:1]
    return Subquery(first, output_field=DateField())


def _waiting(queryset: QuerySet[Application], count: int, since: str) -> Waiting:
    if not count:
        return Waiting(count=0)
    oldest = queryset.order_by(F(since).asc(nulls_last=True), "pk").values_list("reference", since).first()
    if oldest is None:  # pragma: no cover - changed between the two reads
        return Waiting(count=count)
    return Waiting(count=count, oldest_reference=oldest[0], oldest_since=oldest[1])


def dashboard(*, programme: GrantProgramme, year: int | None = None, canton: Canton | None = None) -> Dashboard:
    """Every figure of the dashboard. The envelope is the whole programme's; the per-canton
    figures follow the programme and year but not the canton filter (the map shows every
    canton); everything else follows all three filters. Eight queries at most."""
    base = applications(programme=programme, year=year, canton=canton)

    # Per state (1 query); the totals follow from it.
    by_status: dict[str, dict[str, Any]] = {
        row["status"]: dict(row)
        for row in base.order_by()
        .values("status")
        .annotate(
            n=Count("pk"),
            computed=Sum("computed_aid"),
            decided=Sum("decided_amount"),
            paid_sum=Sum("paid_amount"),
        )
    }

    def count(status: str) -> int:
        return int(by_status[status]["n"]) if status in by_status else 0

    states = tuple(StateCount(status=s, label=str(Status(s).label), count=count(s)) for s in WORKFLOW_ORDER)

    def total(key: str, statuses: Iterable[str]) -> Decimal:
        return sum((by_status[s][key] or ZERO for s in statuses if s in by_status), ZERO)

    # Per canton (2 queries): every canton, with zeros.
    cantons = list(dashboard_cantons())
    grouped: dict[int | None, dict[str, Any]] = {
        row["canton"]: dict(row)
        for row in applications(programme=programme, year=year)
        .filter(status__in=SUBMITTED_AND_BEYOND)
        .order_by()
        .values("canton")
        .annotate(
            n=Count("pk"),
            computed=Sum("computed_aid"),
            decided=Sum("decided_amount", filter=Q(status__in=COMMITTED_STATUSES)),
            paid_sum=Sum("paid_amount"),
        )
    }

    def figures(canton_obj: Canton | None, row: dict[str, Any] | None) -> CantonFigures:
        if row is None:
            return CantonFigures(canton=canton_obj)
        return CantonFigures(
            canton=canton_obj,
            dossiers=row["n"],
            requested=row["computed"] or ZERO,
            decided=row["decided"] or ZERO,
            paid=row["paid_sum"] or ZERO,
        )

    per_canton = tuple(figures(c, grouped.pop(c.pk, None)) for c in cantons)
    unknown = None
    if grouped:  # no canton, or one outside the département
        unknown = CantonFigures(
            canton=None,
            dossiers=sum(r["n"] for r in grouped.values()),
            requested=sum((r["computed"] or ZERO for r in grouped.values()), ZERO),
            decided=sum((r["decided"] or ZERO for r in grouped.values()), ZERO),
            paid=sum((r["paid_sum"] or ZERO for r in grouped.values()), ZERO),
        )

    # Processing times (1 query): durations computed by the database, quantiles here.
    rows = (
        base.filter(status__in=STANDING_DECISIONS, first_submitted_at__isnull=False, decided_at__isnull=False)
        .annotate(
            to_decision=ExpressionWrapper(F("decided_at") - F("first_submitted_at"), output_field=DurationField()),
            decision_day=TruncDate("decided_at"),
            first_payment=_first_payment_date(),
        )
        .order_by()
        .values_list("to_decision", "decision_day", "first_payment")
    )
    to_decision: list[float] = []
    to_payment: list[float] = []
    for spent, decision_day, first_payment in rows:
        if spent is not None and spent >= timedelta(0):
            to_decision.append(spent.total_seconds() / SECONDS_PER_DAY)
        if first_payment is not None and decision_day is not None and first_payment >= decision_day:
            to_payment.append(float((first_payment - decision_day).days))

    # Waiting (2 queries at most: the counts come from the per-state figures).
    waiting_decision = _waiting(
        base.filter(status__in=WAITING_DECISION),
        sum(count(s) for s in WAITING_DECISION),
        "first_submitted_at",
    )
    waiting_payment = _waiting(base.filter(status=Status.ACCEPTED), count(Status.ACCEPTED), "decided_at")

    return Dashboard(
        programme=programme,
        year=year,
        canton=canton,
        envelope=envelope(programme),  # 2 queries
        states=states,
        per_canton=per_canton,
        unknown_canton=unknown,
        requested=total("computed", SUBMITTED_AND_BEYOND),
        decided=total("decided", COMMITTED_STATUSES),
        paid=total("paid_sum", WORKFLOW_ORDER),
        submitted=sum(count(s) for s in SUBMITTED_AND_BEYOND),
        to_decision=durations(to_decision),
        to_payment=durations(to_payment),
        waiting_decision=waiting_decision,
        waiting_payment=waiting_payment,
    )


# --- the CSV export ----------------------------------------------------------------------------

EXPORT_FIELDS = (
    "reference",
    "programme__name",
    "status",
    "business_name",
    "siret",
    "premises_commune__name",
    "canton__name",
    "first_submitted_at",
    "decided_at",
    "first_payment",
    "computed_aid",
    "decided_amount",
    "paid_amount",
    "eligibility",
)


def export_rows(
    *, programme: GrantProgramme, year: int | None = None, canton: Canton | None = None
) -> Iterator[tuple[Any, ...]]:
    """One tuple per dossier submitted and beyond (``EXPORT_FIELDS``), read in chunks (one
    query per 2,000 dossiers, none held in memory), by date of first submission."""
    queryset = (
        applications(programme=programme, year=year, canton=canton)
        .filter(status__in=SUBMITTED_AND_BEYOND)
        .annotate(first_payment=_first_payment_date())
        .order_by(F("first_submitted_at").asc(nulls_last=True), "pk")
        .values_list(*EXPORT_FIELDS)
    )
    return queryset.iterator(chunk_size=2000)
