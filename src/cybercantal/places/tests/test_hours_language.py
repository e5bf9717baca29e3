"""Times and dates follow the person's language: "17 h 30" in French, "5:30 pm" in English."""

from __future__ import annotations

from datetime import date, time

from django.utils import translation

from cybercantal.places.hours import format_day, format_time


def test_french_times_follow_the_typographic_rules():
    with translation.override("fr"):
        assert format_time(time(17, 30)) == "17 h 30"
        assert format_time(time(9, 0)) == "9 h"
        assert format_day(date(2026, 4, 1)) == "mercredi 1er avril"


def test_english_times_use_am_and_pm():
    with translation.override("en"):
        assert format_time(time(17, 30)) == "5:30 pm"
        assert format_time(time(9, 0)) == "9 am"
        assert format_time(time(12, 0)) == "12 pm"
        assert "1er" not in format_day(date(2026, 4, 1))
