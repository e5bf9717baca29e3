"""Opening hours: parsing, French rendering, holidays, weekly slots, slots <-> OSM text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cybercantal.places import hours

PARIS = ZoneInfo("Europe/Paris")
OFFICE = "Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; PH off"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 3, 2, 10, 0), "Ouvert · ferme à 12 h"),  # Monday morning
        (at(2026, 3, 2, 15, 0), "Ouvert · ferme à 17 h 30"),
        (at(2026, 3, 2, 12, 30), "Fermé · ouvre à 14 h"),
        (at(2026, 3, 2, 18, 0), "Fermé · ouvre demain à 9 h"),
        (at(2026, 3, 7, 13, 0), "Fermé · ouvre lundi à 9 h"),  # Saturday afternoon
        (at(2026, 3, 8, 10, 0), "Fermé · ouvre demain à 9 h"),  # Sunday
    ],
)
def test_status_line_in_plain_french(moment: datetime, expected: str) -> None:
    assert hours.status_line(OFFICE, moment) == expected


def test_public_holiday_is_closed_with_ph_off() -> None:
    # 14 July 2026 is a Tuesday: closed, opens again on Wednesday.
    assert hours.status_line(OFFICE, at(2026, 7, 14, 10, 0)) == "Fermé · ouvre demain à 9 h"
    assert not hours.is_open(OFFICE, at(2026, 7, 14, 10, 0))
    assert hours.is_open(OFFICE, at(2026, 7, 15, 10, 0))
    week = hours.week_table(OFFICE, at(2026, 7, 14, 10, 0))
    tuesday = week[1]
    assert tuesday.is_today
    assert tuesday.holiday
    assert tuesday.text == "Fermé (jour férié)"
    assert week[0].text == "9 h – 12 h, 14 h – 17 h 30"


def test_next_opening_in_more_than_a_week_gives_the_date() -> None:
    assert hours.status_line("Apr 09:00-12:00", at(2026, 3, 2, 23, 0)) == "Fermé · ouvre le mercredi 1er avril à 9 h"


def test_midnight() -> None:
    assert hours.status_line("Mo 20:00-24:00", at(2026, 3, 2, 21, 0)) == "Ouvert · ferme à minuit"
    assert hours.status_line("Mo 22:00-02:00", at(2026, 3, 2, 23, 0)) == "Ouvert · ferme demain à 2 h"
    assert hours.status_line("24/7", at(2026, 3, 2, 23, 0)) == "Ouvert 24 h/24"
    assert hours.format_time(0) == "minuit"
    assert hours.format_slots([(0, 1440)]) == "minuit – minuit"
    # Over midnight the slots are split per day.
    assert hours.weekly_slots("Mo 22:00-02:00") == [(0, 1320, 1440), (1, 0, 120)]


def test_closed_all_week() -> None:
    assert hours.status_line("closed", at(2026, 3, 2, 10, 0)) == "Fermé"
    assert all(day.text == "Fermé" for day in hours.week_table("off", at(2026, 3, 2, 10, 0)))
    assert hours.weekly_slots("closed") == []


def test_empty_and_invalid() -> None:
    assert hours.status("", at(2026, 3, 2, 10, 0)).state == "none"
    assert hours.status_line("", at(2026, 3, 2, 10, 0)) == "Horaires non renseignés"
    assert hours.parse_error("") == ""
    message = hours.parse_error("Lu-Ve 9h-12h")
    assert message.startswith("Horaires illisibles")
    assert "caractère 1" in message
    assert hours.parse_error("Mo 25:00-26:00").startswith("Horaires illisibles")
    assert hours.status("n'importe quoi", at(2026, 3, 2, 10, 0)).state == "unknown"
    assert hours.week_table("n'importe quoi") == []


def test_week_table_marks_today_and_names_days_in_french() -> None:
    week = hours.week_table(OFFICE, at(2026, 3, 4, 10, 0))
    assert [day.name for day in week] == ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
    assert [day.is_today for day in week] == [False, False, True, False, False, False, False]
    assert week[5].text == "9 h – 12 h"
    assert week[6].text == "Fermé"


def test_weekly_slots_ignore_holidays() -> None:
    # The week of 14 July keeps its Tuesday in the regular slots.
    slots = hours.weekly_slots(OFFICE, on=at(2026, 7, 14, 0, 0).date())
    assert (1, 540, 720) in slots
    assert len(slots) == 11


def test_slots_to_osm_groups_identical_days() -> None:
    morning_afternoon = [(540, 720), (840, 1050)]
    days = {0: morning_afternoon, 1: morning_afternoon, 2: morning_afternoon, 4: morning_afternoon, 5: [(540, 720)]}
    assert hours.slots_to_osm(days) == "Mo-We,Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; PH off"
    assert hours.slots_to_osm({}, holidays_closed=False) == "closed"
    assert hours.slots_to_osm({6: [(600, 1440)]}, holidays_closed=False) == "Su 10:00-24:00"


def test_osm_to_slots_round_trip_and_refusal_of_complex_rules() -> None:
    days, holidays_closed = hours.osm_to_slots(OFFICE)
    assert holidays_closed
    assert days[0] == [(540, 720), (840, 1050)]
    assert days[5] == [(540, 720)]
    assert 6 not in days
    assert hours.normalise(hours.slots_to_osm(days)) == hours.normalise(OFFICE)
    assert hours.osm_to_slots("Mo-Fr 09:00-12:00; Jul-Aug off") is None
    assert hours.osm_to_slots("Mo 08:00-09:00,10:00-11:00,12:00-13:00,14:00-15:00") is None
    assert hours.osm_to_slots("Mo 22:00-02:00") is None


def test_weekly_slots_are_the_seven_real_days_from_the_given_one() -> None:
    """Seasonal rules apply to each of the seven days' own date (summer starts on a Wednesday)."""
    summer_off = "Mo-Fr 09:00-12:00; Jul-Aug off"
    assert hours.weekly_slots(summer_off, on=at(2026, 6, 29, 0, 0).date()) == [(0, 540, 720), (1, 540, 720)]
    assert hours.weekly_slots(summer_off, on=at(2026, 7, 1, 0, 0).date()) == []
    # Starting on a Thursday, the rows still come in weekday order.
    assert hours.weekly_slots("Mo 22:00-02:00", on=at(2026, 3, 5, 0, 0).date()) == [(0, 1320, 1440), (1, 0, 120)]


def test_public_holidays_are_the_french_ones() -> None:
    assert hours.is_public_holiday(at(2026, 7, 14, 0, 0).date())
    assert hours.is_public_holiday(at(2026, 5, 25, 0, 0).date())  # Whit Monday
    assert not hours.is_public_holiday(at(2026, 7, 15, 0, 0).date())


def test_today_text_is_a_sentence() -> None:
    assert hours.today_text(OFFICE, at(2026, 3, 2, 8, 0)) == "Aujourd'hui : 9 h – 12 h, 14 h – 17 h 30"
    assert hours.today_text(OFFICE, at(2026, 3, 8, 8, 0)) == "Aujourd'hui : fermé"
    assert hours.today_text(OFFICE, at(2026, 7, 14, 8, 0)) == "Aujourd'hui : fermé"  # 14 July
    assert hours.today_text("", at(2026, 3, 2, 8, 0)) == ""
