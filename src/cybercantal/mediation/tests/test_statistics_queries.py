"""Figures of ``queries.statistics`` on a hand-built data set (see factories_statistics)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cybercantal.mediation import models as m
from cybercantal.mediation.queries.statistics import (
    Filters,
    Period,
    covered_until,
    format_number,
    format_percent,
    network_statistics,
)
from cybercantal.mediation.services.statistics import statistics_rebuild_months as rebuild_months
from cybercantal.mediation.services.statistics import statistics_refresh_months

from . import factories_statistics as data
from .factories import MediatorFactory, WorkshopFactory

pytestmark = pytest.mark.django_db

YEAR = Period.year(2025)


@pytest.fixture
def dataset(epn, other_epn):
    return data.build(epn, other_epn)


def rows(stats_rows):
    return {row.key: row.figures for row in stats_rows}


def test_network_totals(manager, dataset):
    stats = network_statistics(user=manager, filters=Filters(period=YEAR))
    total = stats.total
    assert total.sessions == 3  # S1, S2, S4 (S3 cancelled)
    assert total.seats == 25
    assert total.confirmed == 10
    assert total.attended == 7
    assert total.no_shows == 2  # S2's absent person does not count: attendance not taken
    assert total.waitlisted == 1
    assert total.fill_rate == Decimal("0.4")
    assert total.accompaniments == 4  # b0 is in 2024
    assert total.minutes == 255
    assert total.hours == Decimal("4.3")
    assert total.people == 9
    assert total.visits == 15
    assert stats.places_count == 2


def test_per_place_fill_rate_and_no_shows(manager, dataset, epn, other_epn):
    stats = network_statistics(user=manager, filters=Filters(period=YEAR))
    by_place = rows(stats.by_place)
    a, b = by_place[epn.pk], by_place[other_epn.pk]
    assert (a.sessions, a.seats, a.confirmed, a.no_shows, a.waitlisted) == (2, 15, 5, 2, 1)
    assert a.fill_rate == Decimal("0.3333")
    assert format_percent(a.fill_rate) == "33,3\u00a0%"
    assert (a.accompaniments, a.minutes, a.hours, a.people, a.visits) == (3, 195, Decimal("3.3"), 8, 12)
    assert (b.sessions, b.confirmed, b.attended, b.no_shows, b.fill_rate) == (1, 5, 5, 0, Decimal("0.5"))
    assert (b.accompaniments, b.minutes, b.people, b.visits) == (1, 60, 1, 3)


def test_per_canton_and_month(manager, dataset, epn, other_epn):
    stats = network_statistics(user=manager, filters=Filters(period=YEAR))
    by_canton = rows(stats.by_canton)
    assert by_canton[epn.canton_id].accompaniments == 3
    assert by_canton[other_epn.canton_id].sessions == 1
    by_month = rows(stats.by_month)
    assert list(by_month) == [f"2025-{month:02d}" for month in range(1, 13)]  # every month, even empty
    march = by_month["2025-03"]
    assert (march.sessions, march.confirmed, march.no_shows, march.accompaniments, march.visits) == (2, 5, 2, 2, 12)
    assert by_month["2025-04"].sessions == 0  # S3 was cancelled
    assert by_month["2025-06"].people == 6
    assert stats.by_month[2].label == "mars 2025"


def test_month_is_local_time(manager, epn):
    """A session at 00:30 on 1 April in Paris is 22:30 UTC on 31 March: it is April's."""
    starts = dt.datetime(2025, 4, 1, 0, 30, tzinfo=timezone.get_current_timezone())
    m.Session.objects.create(
        workshop=WorkshopFactory(), place=epn, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), capacity=4
    )
    by_month = rows(network_statistics(user=manager, filters=Filters(period=YEAR)).by_month)
    assert by_month["2025-04"].sessions == 1
    assert by_month["2025-03"].sessions == 0


def test_record_with_two_themes_counts_in_both(manager, dataset):
    stats = network_statistics(user=manager, filters=Filters(period=YEAR))
    themes = rows(stats.by_theme)
    assert (themes["email"].accompaniments, themes["email"].minutes, themes["email"].hours) == (2, 75, Decimal("1.3"))
    assert (themes["security"].accompaniments, themes["security"].minutes, themes["security"].people) == (2, 150, 7)
    assert (themes["email"].sessions, themes["email"].confirmed) == (1, 4)
    assert (themes["security"].sessions, themes["security"].confirmed) == (1, 4)
    assert (themes["banking"].sessions, themes["banking"].confirmed) == (2, 6)
    assert themes["health"].accompaniments == 0
    admin = rows(stats.by_admin_theme)
    assert (admin["money"].accompaniments, admin["money"].minutes) == (2, 105)
    assert admin["housing"].accompaniments == 1


def test_reasons_autonomy_outcomes_and_kinds(manager, dataset):
    stats = network_statistics(user=manager, filters=Filters(period=YEAR))
    reasons = {row.key: (row.figures.count, row.figures.share) for row in stats.reasons}
    assert reasons == {
        "no_equipment": (1, Decimal("0.25")),
        "know_how": (1, Decimal("0.25")),
        "trust": (1, Decimal("0.25")),
        "other": (0, Decimal("0")),
        "": (1, Decimal("0.25")),  # not given
    }
    assert {row.key: row.figures.count for row in stats.autonomy}["partly"] == 1
    assert {row.key: row.figures.count for row in stats.outcomes}["completed"] == 1
    kinds = rows(stats.by_kind)
    assert (kinds["individual"].accompaniments, kinds["individual"].minutes) == (2, 75)
    assert (kinds["collective"].accompaniments, kinds["collective"].people) == (1, 6)
    assert kinds["procedure"].hours == Decimal("1.0")


def test_filters_canton_place_theme(manager, dataset, epn, other_epn):
    by_canton = network_statistics(user=manager, filters=Filters(period=YEAR, canton=other_epn.canton))
    assert (by_canton.total.sessions, by_canton.total.accompaniments) == (1, 1)
    by_place = network_statistics(user=manager, filters=Filters(period=YEAR, place_id=epn.pk))
    assert (by_place.total.sessions, by_place.total.accompaniments, by_place.total.visits) == (2, 3, 12)
    security = network_statistics(user=manager, filters=Filters(period=YEAR, theme="security"))
    assert (security.total.sessions, security.total.confirmed, security.total.accompaniments) == (1, 4, 2)
    assert security.total.visits == 0  # visits have no theme
    money = network_statistics(user=manager, filters=Filters(period=YEAR, theme="money"))
    assert (money.total.sessions, money.total.accompaniments, money.total.minutes) == (0, 2, 105)


def test_month_range(manager, dataset):
    spring = Period(dt.date(2025, 3, 1), dt.date(2025, 5, 1))
    stats = network_statistics(user=manager, filters=Filters(period=spring))
    assert [row.key for row in stats.by_month] == ["2025-03", "2025-04", "2025-05"]
    assert (stats.total.sessions, stats.total.accompaniments) == (3, 3)  # a3 is in June
    one = network_statistics(user=manager, filters=Filters(period=Period(dt.date(2025, 5, 1), dt.date(2025, 5, 1))))
    assert (one.total.sessions, one.total.accompaniments, one.total.visits) == (1, 1, 3)


def test_sessions_not_yet_started_are_not_held(manager, epn):
    later = timezone.now() + dt.timedelta(days=2)
    earlier = timezone.now() - dt.timedelta(days=2)
    for starts in (later, earlier):
        m.Session.objects.create(
            workshop=WorkshopFactory(), place=epn, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), capacity=4
        )
    period = Period(dt.date(earlier.year - 1, 1, 1), dt.date(later.year + 1, 12, 1))
    assert network_statistics(user=manager, filters=Filters(period=period)).total.sessions == 1


def test_mediator_sees_only_their_places(mediator, dataset, epn):
    stats = network_statistics(user=mediator.user, filters=Filters(period=YEAR))
    assert not stats.network
    assert [row.key for row in stats.by_place] == [epn.pk]
    assert (stats.total.sessions, stats.total.accompaniments, stats.total.visits) == (2, 3, 12)
    assert rows(stats.by_admin_theme)["housing"].accompaniments == 0  # b1 is at B


def test_registrations_are_counted_the_same_in_small_batches(manager, dataset, monkeypatch):
    """Registrations are counted per batch of held sessions: batches of one give the same."""
    from cybercantal.mediation.queries import statistics as queries

    whole = _snapshot(network_statistics(user=manager, filters=Filters(period=YEAR), use_stored=False))
    original = queries._chunks
    monkeypatch.setattr(queries, "_chunks", lambda values, size=2000: original(values, 1))
    assert _snapshot(network_statistics(user=manager, filters=Filters(period=YEAR), use_stored=False)) == whole


def test_every_breakdown_has_its_column():
    """The breakdown sums of the live count are columns of StatisticsMonth (a new choice in
    AccompanimentKind, HelpReason, Autonomy or Outcome needs a column and a migration)."""
    from cybercantal.mediation.queries.statistics import BREAKDOWN_COLUMNS

    columns = {f.name for f in m.StatisticsMonth._meta.get_fields()}
    assert set(BREAKDOWN_COLUMNS) <= columns
    assert len(BREAKDOWN_COLUMNS) == 3 * len(m.AccompanimentKind) + len(m.HelpReason) + len(m.Autonomy) + len(m.Outcome)


def test_network_theme_rows_add_up_the_places(dataset):
    """The network's theme rows (no place) are the sums of the places' theme rows."""
    from django.db.models import Sum

    rebuild_months(until=dt.date(2026, 1, 1))
    per_place = m.StatisticsMonth.objects.filter(place__isnull=False).exclude(theme="")
    network = m.StatisticsMonth.objects.filter(place__isnull=True).exclude(theme__in=["", "*"])
    assert network.exists()
    for name in ("sessions", "confirmed", "accompaniments", "minutes", "people", "reason_trust"):
        assert network.aggregate(n=Sum(name))["n"] == per_place.aggregate(n=Sum(name))["n"]


def test_french_number_formatting():
    assert format_number(1234567) == "1\u202f234\u202f567"
    assert format_number(Decimal("1234.25"), 1) == "1\u202f234,3"
    assert format_number(None) == "—"
    assert format_percent(None) == "—"
    assert format_percent(Decimal("0.5")) == "50,0\u00a0%"


# --- the monthly aggregate -----------------------------------------------------------------------


def _snapshot(stats):
    return (
        stats.total,
        [(r.key, r.figures) for r in stats.by_place],
        [(r.key, r.figures) for r in stats.by_canton],
        [(r.key, r.figures) for r in stats.by_month],
        [(r.key, r.figures) for r in stats.by_theme],
        [(r.key, r.figures) for r in stats.by_admin_theme],
        [(r.key, r.figures) for r in stats.by_kind],
        [(r.key, r.figures.count) for r in stats.reasons],
        [(r.key, r.figures.count) for r in stats.autonomy],
    )


@pytest.mark.parametrize(
    "until",
    [dt.date(2025, 4, 1), dt.date(2026, 1, 1), dt.date(2025, 1, 1), dt.date(2025, 3, 15), dt.date(2025, 6, 10)],
)
@pytest.mark.parametrize("theme", ["", "security", "money"])
def test_stored_months_give_the_same_figures_as_live(manager, mediator, dataset, other_epn, until, theme):
    """Days read from StatisticsMonth + the rest live == everything live, also when the
    aggregate stops in the middle of a month (its start stored, its end live)."""
    written = rebuild_months(until=until)
    assert covered_until() == until
    assert written > 0 or until <= dt.date(2025, 1, 1)
    for user in (manager, mediator.user):
        for filters in (
            Filters(period=YEAR, theme=theme),
            Filters(period=YEAR, theme=theme, canton=other_epn.canton),
            Filters(period=Period(dt.date(2025, 3, 1), dt.date(2025, 6, 1)), theme=theme),
        ):
            stored = network_statistics(user=user, filters=filters)
            live = network_statistics(user=user, filters=filters, use_stored=False)
            assert _snapshot(stored) == _snapshot(live)


def test_rebuild_is_idempotent_and_reads_fewer_rows(manager, dataset):
    assert covered_until() is None
    first = rebuild_months(until=dt.date(2026, 1, 1))
    assert rebuild_months(until=dt.date(2026, 1, 1)) == first
    assert m.StatisticsMonth.objects.filter(place__isnull=True, theme="*").count() == 1
    whole = m.StatisticsMonth.objects.filter(theme="", place__isnull=False)
    assert whole.count() == 4  # A: March, June; B: May 2025 and December 2024 (b0)
    stats = network_statistics(user=manager, filters=Filters(period=YEAR))
    assert (stats.total.sessions, stats.total.no_shows, stats.total.accompaniments, stats.total.visits) == (3, 2, 4, 15)
    assert rows(stats.by_theme)["email"].accompaniments == 2


def test_nightly_refresh_builds_then_refreshes_recent_months(manager, dataset, epn):
    from cybercantal.mediation.tasks import refresh_statistics_months

    assert refresh_statistics_months.call() > 0
    today = timezone.localdate()
    assert covered_until() == today  # this month is stored up to yesterday, today is live
    before = m.StatisticsMonth.objects.count()
    assert statistics_refresh_months() >= 0
    assert m.StatisticsMonth.objects.count() == before  # same months, rewritten, not doubled
    assert network_statistics(user=manager, filters=Filters(period=YEAR)).total.accompaniments == 4


def test_frequent_refresh_stores_this_month_up_to_yesterday(manager, epn):
    """Yesterday's accompaniment goes into the aggregate (every 10 minutes), today's stays live;
    the page counts both, once each."""
    from cybercantal.mediation.tasks import refresh_statistics_this_month

    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    author = MediatorFactory().user
    data.accompaniment(epn, author, yesterday, duration_minutes=30, themes=["email"])
    data.accompaniment(epn, author, today, duration_minutes=45, themes=["email"])
    refresh_statistics_this_month.call()
    assert covered_until() == today
    stored = m.StatisticsMonth.objects.filter(place=epn, theme="", month=yesterday.replace(day=1))
    assert [row.accompaniments for row in stored] == [1]
    period = Period(yesterday.replace(day=1), today.replace(day=1))
    stats = network_statistics(user=manager, filters=Filters(period=period))
    live = network_statistics(user=manager, filters=Filters(period=period), use_stored=False)
    assert (stats.total.accompaniments, stats.total.minutes) == (2, 75)
    assert _snapshot(stats) == _snapshot(live)
    assert rows(stats.by_theme)["email"].accompaniments == 2


def test_demo_load_builds_the_aggregate_idempotently(dataset):
    from cybercantal.mediation.demo.statistics import load

    first = load()
    assert first["mois de statistiques"] > 0
    assert load() == first
    assert covered_until() is not None


def test_live_visits_are_read_through_the_date_index(manager, dataset):
    """The days not yet in the aggregate (today) are counted live over the whole network: the
    free-access visits of those days are found by date (``free_access_visit_date_idx``), not by
    a scan of every visit through the place index (177 ms on 5 years of 100 EPN)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("plan read with SQLite's EXPLAIN QUERY PLAN (PostgreSQL scans a tiny table)")
    rebuild_months(until=dt.date(2025, 6, 10))
    with CaptureQueriesContext(connection) as captured:
        stats = network_statistics(user=manager, filters=Filters(period=YEAR))
    assert stats.total.visits == 15
    visits = [q["sql"] for q in captured.captured_queries if 'FROM "mediation_freeaccessvisit"' in q["sql"]]
    assert len(visits) == 1
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {visits[0]}")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "free_access_visit_date_idx" in plan, plan
