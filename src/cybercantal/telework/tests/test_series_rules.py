"""RRULE parsing and limits: what a person may type, and the French message for what is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ..services import series as service
from .factories_series import monday_in

pytestmark = pytest.mark.django_db


def dates(pool, rule, first_day=None):
    return service.plan_dates(rrule=rule, first_day=first_day or monday_in(1), resource=pool)


def test_tuesdays_and_thursdays_until_a_date(pool):
    monday = monday_in(1)
    plan = dates(pool, f"FREQ=WEEKLY;BYDAY=TU,TH;UNTIL={monday + dt.timedelta(days=27):%Y%m%d}", monday)
    assert [d.weekday() for d in plan.dates] == [1, 3] * 4
    assert plan.dates[0] == monday + dt.timedelta(days=1)
    # Normalised: the UNTIL day is included whole, in local time.
    assert plan.rule == f"FREQ=WEEKLY;UNTIL={monday + dt.timedelta(days=27):%Y%m%d}T235959;BYDAY=TU,TH"


@pytest.mark.parametrize(
    "text",
    ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=3", "freq=weekly;byday=tu;count=3", "  FREQ=WEEKLY;BYDAY=TU;COUNT=3  "],
)
def test_prefix_case_and_spaces_are_accepted(pool, text):
    plan = dates(pool, text)
    assert len(plan.dates) == 3
    assert plan.rule == "FREQ=WEEKLY;COUNT=3;BYDAY=TU"


def test_until_in_utc_is_read_as_the_last_day(pool):
    monday = monday_in(1)
    plan = dates(pool, f"FREQ=DAILY;UNTIL={monday + dt.timedelta(days=2):%Y%m%d}T230000Z", monday)
    assert plan.dates == [monday, monday + dt.timedelta(days=1), monday + dt.timedelta(days=2)]


def test_weekly_rule_of_the_simple_form():
    monday = monday_in(1)
    text = service.weekly_rule(first_day=monday, weekdays=[3, 1], until=monday + dt.timedelta(days=30))
    assert text == f"FREQ=WEEKLY;UNTIL={monday + dt.timedelta(days=30):%Y%m%d}T235959;BYDAY=TU,TH"
    assert service.weekly_rule(first_day=monday, weekdays=[4], interval=2, count=5) == (
        "FREQ=WEEKLY;INTERVAL=2;COUNT=5;BYDAY=FR"
    )


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("", "empty", "Indiquez une règle"),
        ("bonjour", "syntax", "Règle illisible"),
        ("FREQ=SOMETIMES;COUNT=2", "syntax", "la valeur de FREQ n'est pas valable"),
        ("FREQ=WEEKLY;BYDAY=ZZ;COUNT=2", "syntax", "la valeur de BYDAY n'est pas valable"),
        ("FREQ=WEEKLY;BYDAY=TU", "unbounded", "n'a pas de fin"),
        ("FREQ=WEEKLY;COUNT=121", "too_many", "au plus 120 dates"),
        ("FREQ=WEEKLY;COUNT=99999999999999999999999", "too_many", "au plus 120 dates"),
        ("FREQ=WEEKLY;COUNT=0", "syntax", "COUNT doit valoir au moins 1"),
        ("FREQ=WEEKLY;INTERVAL=0;COUNT=2", "syntax", "INTERVAL"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20990101", "syntax", "pas les deux"),
        ("FREQ=HOURLY;COUNT=3", "frequency", "par jours"),
        ("FREQ=DAILY;BYHOUR=9;COUNT=3", "frequency", "sans BYHOUR"),
        ("DTSTART:20260101\nRRULE:FREQ=DAILY;COUNT=2", "syntax", "sans DTSTART"),
        ("FREQ=DAILY;COUNT=2\nEXDATE:20260101", "syntax", "sans DTSTART ni EXDATE"),
        ("FREQ=WEEKLY;COUNT=3;" + "BYDAY=TU;" * 40, "too_long", "trop longue"),
        ("FREQ=WEEKLY;COUNT=3;BYMONTHDAY=40", "empty", "aucune date"),
        ("FREQ=WEEKLY;UNTIL=2026", "syntax", "UNTIL s'écrit AAAAMMJJ"),
        ("FREQ=\x00WEEKLY;COUNT=2", "syntax", "Règle illisible"),
    ],
)
def test_refused_rules_say_why_in_french(pool, text, code, words):
    with pytest.raises(service.SeriesError) as caught:
        dates(pool, text)
    assert caught.value.code == code
    assert words in caught.value.message_dict["rrule"][0]


def test_more_than_120_dates_by_until(pool):
    pool.booking_window_days = 365
    pool.save()
    monday = monday_in(1)
    with pytest.raises(service.SeriesError, match="au plus 120 dates") as caught:
        dates(pool, f"FREQ=DAILY;UNTIL={monday + dt.timedelta(days=130):%Y%m%d}", monday)
    assert caught.value.code == "too_many"
    assert len(dates(pool, f"FREQ=DAILY;UNTIL={monday + dt.timedelta(days=119):%Y%m%d}", monday).dates) == 120


def test_dates_beyond_the_booking_window_are_refused(pool):
    pool.booking_window_days = 30
    pool.save()
    last = timezone.localdate() + dt.timedelta(days=30)
    with pytest.raises(service.SeriesError, match="au plus 30 jours à l'avance") as caught:
        dates(pool, rule=f"FREQ=DAILY;UNTIL={last + dt.timedelta(days=1):%Y%m%d}", first_day=timezone.localdate())
    assert caught.value.code == "window"
    with pytest.raises(service.SeriesError, match="au plus 30 jours à l'avance"):
        dates(pool, rule="FREQ=DAILY;COUNT=40", first_day=timezone.localdate())
    # The last date exactly at the end of the window is fine.
    assert dates(pool, f"FREQ=DAILY;UNTIL={last:%Y%m%d}", timezone.localdate()).dates[-1] == last


def test_an_until_after_the_window_without_date_after_it_is_fine(pool):
    pool.booking_window_days = 30
    pool.save()
    today = timezone.localdate()
    # Only one date (the first day itself, yearly); the UNTIL is far, nothing falls after the window.
    plan = dates(pool, f"FREQ=YEARLY;UNTIL={today + dt.timedelta(days=200):%Y%m%d}", today)
    assert plan.dates == [today]


def test_first_day_in_the_past_or_too_far(pool):
    with pytest.raises(service.SeriesError) as caught:
        dates(pool, "FREQ=DAILY;COUNT=2", timezone.localdate() - dt.timedelta(days=1))
    assert "déjà passé" in caught.value.message_dict["first_day"][0]
    with pytest.raises(service.SeriesError) as caught:
        dates(pool, "FREQ=DAILY;COUNT=2", timezone.localdate() + dt.timedelta(days=pool.booking_window_days + 1))
    assert "à l'avance" in caught.value.message_dict["first_day"][0]


def test_a_rule_without_any_date_is_refused(pool):
    """February 30th never comes: refused (and not searched for until the year 9999, or the
    test would hang)."""
    with pytest.raises(service.SeriesError):
        dates(pool, "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3")
    with pytest.raises(service.SeriesError, match="aucune date"):
        dates(pool, "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;UNTIL=99991231")


def test_describe_rule(pool, member):
    from ..models import BookingSeries

    def describe(rule):
        return service.describe_rule(BookingSeries(member=member, resource=pool, rrule=rule, first_day=monday_in(1)))

    assert describe("FREQ=WEEKLY;COUNT=4;BYDAY=TU,TH") == "tous les mardis et jeudis"
    assert describe("FREQ=WEEKLY;COUNT=4;BYDAY=MO,WE,FR") == "tous les lundis, mercredis et vendredis"
    assert describe("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=SA") == "un samedi sur 2"
    assert describe("FREQ=MONTHLY;COUNT=4;BYMONTHDAY=1") == "FREQ=MONTHLY;COUNT=4;BYMONTHDAY=1"
