"""Two or three managers import at the same second, on PostgreSQL with real threads and their
own connections: the imports wait for each other, none ends in an error, and exactly one
edition is current at the end."""

from __future__ import annotations

import pytest

from cybercantal.core.testing import run_in_parallel

from ..models import Building, CoverageEdition
from .factories_coverage import import_sample

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def attempt(quarter: str) -> str:
    try:
        import_sample(quarter=quarter)
    except Exception as exc:  # noqa: BLE001 - a 500 in real life: the test must say which
        return f"error: {exc!r}"
    return "ok"


def test_three_editions_imported_at_once_leave_one_current(territory):
    results = run_in_parallel(attempt, ["2026T2", "2026T3", "2026T4"])
    assert results == ["ok", "ok", "ok"]
    assert CoverageEdition.objects.filter(is_current=True).count() == 1
    assert Building.objects.count() == 3 * 381


def test_the_same_edition_imported_twice_at_once_is_one_edition(territory):
    results = run_in_parallel(attempt, ["2026T2", "2026T2"])
    assert results == ["ok", "ok"]
    assert CoverageEdition.objects.count() == 1
    assert Building.objects.count() == 381
