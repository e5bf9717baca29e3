"""Writes of the statistics part: the monthly aggregate ``StatisticsMonth`` (derived data).

The statistics page reads closed months from ``StatisticsMonth`` and counts the rest live
(``queries.statistics``). These functions (re)build it from the source rows; they write no
journal entry (nobody acts: it is a cache of figures that can be rebuilt at any time).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ..models import Accompaniment, FreeAccessVisit, Session, StatisticsMonth
from ..queries.statistics import (
    BREAKDOWN_COLUMNS,
    COVERAGE_MARK,
    FIGURE_FIELDS,
    Filters,
    Period,
    _collect,
    _previous_month,
    covered_until,
    month_start,
)

REFRESHED_MONTHS = 3  # late records (attendance, a forgotten CRA) change the last months


@transaction.atomic
def statistics_rebuild_months(*, first: dt.date | None = None, until: dt.date | None = None) -> int:
    """(Re)build ``StatisticsMonth`` for the days from the month of ``first`` (default: the first
    month of activity) to the day before ``until`` (default: today, which stays live; the month
    of ``until`` is stored up to the day before). Returns the number of rows written. Derived
    data: no journal entry."""
    until = until or timezone.localdate()
    if first is None:
        starts = [
            Accompaniment.objects.order_by("date").values_list("date", flat=True).first(),
            FreeAccessVisit.objects.order_by("date").values_list("date", flat=True).first(),
        ]
        session_start = Session.objects.order_by("starts_at").values_list("starts_at", flat=True).first()
        if session_start is not None:
            starts.append(timezone.localdate(session_start))
        known = [day for day in starts if day is not None]
        first = min(known) if known else until
    first = month_start(first)
    StatisticsMonth.objects.filter(theme=COVERAGE_MARK).delete()
    written = 0
    if first < until:
        period = Period(first, month_start(until - dt.timedelta(days=1)), to_day=until)
        StatisticsMonth.objects.filter(month__gte=period.first, month__lte=period.last).delete()
        everything = Filters(period=period)
        rows = []
        network: dict[tuple[str, str], StatisticsMonth] = {}  # (month, theme): the network's theme rows
        for split in (False, True):
            parts = _collect(everything, None, period, split_themes=split)
            for key, figures in parts.figures.items():
                place_id, month, theme = key
                counted = parts.counted.get(key, {})
                row = StatisticsMonth(
                    place_id=place_id,
                    month=dt.date(int(month[:4]), int(month[5:7]), 1),
                    theme=theme,
                    **{name: getattr(figures, name) for name in FIGURE_FIELDS},
                    **{name: counted.get(name) or 0 for name in BREAKDOWN_COLUMNS},
                )
                rows.append(row)
                if theme:
                    total = network.setdefault(
                        (month, theme), StatisticsMonth(place=None, month=row.month, theme=theme)
                    )
                    for name in (*FIGURE_FIELDS, *BREAKDOWN_COLUMNS):
                        setattr(total, name, getattr(total, name) + getattr(row, name))
        rows.extend(network.values())
        StatisticsMonth.objects.bulk_create(rows, batch_size=2000)
        written = len(rows)
    StatisticsMonth.objects.create(place=None, theme=COVERAGE_MARK, month=until)
    return written


def statistics_refresh_months(*, months: int = REFRESHED_MONTHS) -> int:
    """Rebuild the aggregate up to yesterday, from ``months`` closed months back (nightly: late
    records change them; ``months=0``, every few minutes: this month only), from where it
    stopped when it is behind, everything when it was never built. Returns the rows written."""
    today = timezone.localdate()
    first = month_start(today)
    for _ in range(months):
        first = _previous_month(first)
    covered = covered_until()
    if covered is None:
        return statistics_rebuild_months(until=today)
    return statistics_rebuild_months(first=min(first, month_start(covered - dt.timedelta(days=1))), until=today)
