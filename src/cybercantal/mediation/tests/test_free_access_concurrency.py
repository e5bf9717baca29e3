"""Races on PostgreSQL with real threads and their own connections: the exclusion constraint
lets exactly one booking win, the others get the clean conflict; the counter loses no tap."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils import timezone

from cybercantal.core.testing import run_in_parallel
from cybercantal.mediation.models import ComputerBooking, FreeAccessVisit
from cybercantal.mediation.services import free_access as services
from cybercantal.places.tests.factories import PlaceFactory

from .factories import PublicComputerFactory
from .factories_free_access import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_parallel_bookings_of_the_same_slot_one_winner():
    place = PlaceFactory(opening_hours="Mo-Su 08:00-20:00")
    computer = PublicComputerFactory(place=place, label="Poste 1")
    day = timezone.localdate() + dt.timedelta(days=2)

    def attempt(number):
        try:
            services.computer_booking_create(
                actor=AnonymousUser(),
                computer=computer,
                starts_at=at(day, "14:00"),
                ends_at=at(day, "15:00"),
                name=f"Personne {number}",
                email=f"personne{number}@example.fr",
            )
        except services.BookingConflictError as exc:
            # The loser is offered other slots, in French.
            offered = bool(exc.alternatives) and "Créneaux libres les plus proches" in exc.messages[0]
            return "conflict" if offered else "conflict without alternatives"
        except ValidationError as exc:  # pragma: no cover - would be a bug
            return f"validation: {exc.messages}"
        except Exception as exc:  # noqa: BLE001 - a 500 in real life: the test must say which
            return f"error: {exc!r}"
        return "ok"

    results = run_in_parallel(attempt, list(range(20)))
    assert results.count("ok") == 1, results
    assert results.count("conflict") == 19, results
    assert ComputerBooking.objects.filter(computer=computer, status="confirmed").count() == 1


def test_ten_parallel_taps_on_the_counter_count_ten():
    place = PlaceFactory(opening_hours="Mo-Su 08:00-20:00")
    today = timezone.localdate()

    def tap(_number):
        services.free_access_visit_add(actor=None, place=place, date=today, slot="afternoon")
        return "ok"

    results = run_in_parallel(tap, list(range(10)))
    assert results == ["ok"] * 10
    assert FreeAccessVisit.objects.get(place=place, date=today, slot="afternoon").count == 10


def _book_hour(computer, day, hour, *, phone="04 71 11 22 33"):
    try:
        services.computer_booking_create(
            actor=AnonymousUser(),
            computer=computer,
            starts_at=at(day, f"{hour:02d}:00"),
            ends_at=at(day, f"{hour + 1:02d}:00"),
            name="Jeanne Vidal",
            phone=phone,
        )
    except ValidationError as exc:
        return "daily_limit" if "Deux heures" in " ".join(exc.messages) else f"validation: {exc.messages}"
    except Exception as exc:  # noqa: BLE001 - a 500 in real life
        return f"error: {exc!r}"
    return "ok"


def test_one_person_booking_four_computers_at_once_gets_two_hours_only():
    """The two-hours-a-day rule holds when the same person books from four screens at once."""
    place = PlaceFactory(opening_hours="Mo-Su 08:00-20:00")
    computers = [PublicComputerFactory(place=place, label=f"Poste {n}") for n in range(1, 5)]
    day = timezone.localdate() + dt.timedelta(days=2)

    results = run_in_parallel(lambda n: _book_hour(computers[n], day, 9 + 2 * n), [0, 1, 2, 3])

    assert sorted(results) == ["daily_limit", "daily_limit", "ok", "ok"], results
    assert ComputerBooking.objects.filter(phone="0471112233", status="confirmed").count() == 2


def test_one_person_booking_at_two_places_at_once_gets_two_hours_only():
    places = [PlaceFactory(opening_hours="Mo-Su 08:00-20:00") for _ in range(3)]
    computers = [PublicComputerFactory(place=place, label="Poste 1") for place in places]
    day = timezone.localdate() + dt.timedelta(days=2)

    results = run_in_parallel(lambda n: _book_hour(computers[n], day, 9 + 2 * n), [0, 1, 2])

    assert sorted(results) == ["daily_limit", "ok", "ok"], results
    assert ComputerBooking.objects.filter(phone="0471112233", status="confirmed").count() == 2


def test_different_people_at_the_same_place_are_not_limited_by_each_other():
    place = PlaceFactory(opening_hours="Mo-Su 08:00-20:00")
    computers = [PublicComputerFactory(place=place, label=f"Poste {n}") for n in range(1, 5)]
    day = timezone.localdate() + dt.timedelta(days=2)

    results = run_in_parallel(lambda n: _book_hour(computers[n], day, 10, phone=f"04 71 00 00 0{n}"), [0, 1, 2, 3])

    assert results == ["ok"] * 4
