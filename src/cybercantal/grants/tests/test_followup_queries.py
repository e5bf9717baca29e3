"""Figures of the dashboard on hand-built dossiers: states, cantons, amounts, durations with
fixed dates, waiting dossiers, the default programme, the export rows, the query count."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cybercantal.territory.models import Canton

from ..models import Status
from ..queries import followup as queries
from .factories import ProgrammeFactory
from .factories_followup import at, dossier

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def dossiers(territory, programme):
    """Ten dossiers of Auverdata in three cantons and one without, plus one of another programme."""
    made = {
        # Murat
        "a1": dossier(
            programme, status=Status.SUBMITTED, commune_name="Murat", computed="1000.00", submitted=at(2026, 3, 2)
        ),
        "a2": dossier(
            programme,
            status=Status.UNDER_REVIEW,
            commune_name="Murat",
            computed="2000.00",
            submitted=at(2026, 2, 1),
            decided_at=at(2026, 2, 20),  # a decision reopened: it does not count in the times
        ),
        "a3": dossier(
            programme,
            status=Status.ACCEPTED,
            commune_name="Murat",
            computed="1600.00",
            decided="1500.00",
            submitted=at(2026, 1, 5),
            decided_at=at(2026, 1, 15),
        ),
        # Ydes
        "a4": dossier(
            programme,
            status=Status.PAID,
            commune_name="Ydes",
            computed="2500.00",
            decided="2500.00",
            paid="2500.00",
            submitted=at(2026, 1, 10),
            decided_at=at(2026, 1, 30),
            payment_on=date(2026, 2, 9),
        ),
        "a5": dossier(
            programme,
            status=Status.REFUSED,
            commune_name="Ydes",
            computed="800.00",
            submitted=at(2026, 2, 1),
            decided_at=at(2026, 2, 5, hour=22),
            eligibility="not_eligible",
        ),
        "a6": dossier(
            programme, status=Status.CORRECTIONS, commune_name="Ydes", computed="1200.00", submitted=at(2026, 3, 1)
        ),
        # Neuvéglise-sur-Truyère (canton of Neuvéglise)
        "a7": dossier(
            programme,
            status=Status.CLOSED,
            commune_name="Neuvéglise-sur-Truyère",
            computed="500.00",
            submitted=at(2026, 4, 1),
            decided_at=at(2026, 4, 11),
        ),
        "a8": dossier(
            programme,
            status=Status.PAID,
            commune_name="Neuvéglise-sur-Truyère",
            computed="1600.00",
            decided="1600.00",
            paid="1000.00",
            submitted=at(2025, 12, 1),
            decided_at=at(2025, 12, 31),
            payment_on=date(2026, 1, 5),
        ),
        # No premises yet known
        "a9": dossier(programme, status=Status.SUBMITTED, computed="300.00", submitted=at(2026, 5, 1)),
        "draft": dossier(programme, status=Status.DRAFT, commune_name="Murat", computed="999.00"),
    }
    other = ProgrammeFactory()
    dossier(
        other,
        status=Status.ACCEPTED,
        commune_name="Murat",
        computed="4000.00",
        decided="4000.00",
        submitted=at(2026, 1, 2),
        decided_at=at(2026, 1, 3),
    )
    return made


def _by_canton(data):
    return {f.canton.name: f for f in data.per_canton}


def test_every_figure_of_the_whole_programme(dossiers, programme, django_assert_num_queries):
    with django_assert_num_queries(8):
        data = queries.dashboard(programme=programme)
    assert [(s.status, s.count) for s in data.states] == [
        ("draft", 1),
        ("submitted", 2),
        ("under_review", 1),
        ("corrections", 1),
        ("accepted", 1),
        ("refused", 1),
        ("closed", 1),
        ("paid", 2),
    ]
    assert data.states[0].label == "Brouillon"
    assert data.total_dossiers == 10
    assert data.submitted == 9
    assert (data.requested, data.decided, data.paid) == (D("11500.00"), D("5600.00"), D("3500.00"))
    assert (data.envelope.budget, data.envelope.committed, data.envelope.paid, data.envelope.remaining) == (
        D("100000.00"),
        D("5600.00"),
        D("3500.00"),
        D("94400.00"),
    )


def test_per_canton_every_canton_with_zeros(dossiers, programme):
    data = queries.dashboard(programme=programme)
    assert len(data.per_canton) == Canton.objects.count() == 15
    assert [f.canton.number for f in data.per_canton] == sorted(f.canton.number for f in data.per_canton)
    by = _by_canton(data)
    murat, ydes, neuveglise = by["Murat"], by["Ydes"], by["Neuvéglise"]
    assert (murat.dossiers, murat.requested, murat.decided, murat.paid) == (3, D("4600.00"), D("1500.00"), D("0.00"))
    assert (ydes.dossiers, ydes.requested, ydes.decided, ydes.paid) == (3, D("4500.00"), D("2500.00"), D("2500.00"))
    assert (neuveglise.dossiers, neuveglise.requested, neuveglise.decided, neuveglise.paid) == (
        2,
        D("2100.00"),
        D("1600.00"),
        D("1000.00"),
    )
    assert by["Maurs"] == queries.CantonFigures(canton=by["Maurs"].canton)  # zeros
    assert (data.unknown_canton.dossiers, data.unknown_canton.requested) == (1, D("300.00"))
    total = data.canton_total
    assert (total.dossiers, total.requested, total.decided, total.paid) == (
        9,
        D("11500.00"),
        D("5600.00"),
        D("3500.00"),
    )


def test_processing_times_in_days(dossiers, programme):
    data = queries.dashboard(programme=programme)
    # First submission -> decision: 10 (a3), 20 (a4), 4.5 (a5), 10 (a7), 30 (a8); a2 was reopened.
    assert data.to_decision.count == 5
    assert data.to_decision.median == pytest.approx(10)
    assert data.to_decision.mean == pytest.approx(14.9)
    assert data.to_decision.p90 == pytest.approx(26)  # 20 + 0.6 x (30 - 20)
    # Decision -> first payment order: 10 days (a4), 5 days (a8).
    assert data.to_payment.count == 2
    assert (data.to_payment.median, data.to_payment.mean) == (pytest.approx(7.5), pytest.approx(7.5))
    assert data.to_payment.p90 == pytest.approx(9.5)


def test_waiting_dossiers_and_the_oldest(dossiers, programme):
    data = queries.dashboard(programme=programme)
    assert data.waiting_decision.count == 3  # a1, a2, a9 (a6 waits for its applicant)
    assert data.waiting_decision.oldest_reference == dossiers["a2"].reference
    assert data.waiting_decision.oldest_since == at(2026, 2, 1)
    assert data.waiting_decision.oldest_days == (timezone.localdate() - date(2026, 2, 1)).days
    assert data.waiting_payment.count == 1
    assert data.waiting_payment.oldest_reference == dossiers["a3"].reference


def test_year_filter_is_the_year_of_first_submission(dossiers, programme):
    data = queries.dashboard(programme=programme, year=2025)
    assert {s.status: s.count for s in data.states if s.count} == {"paid": 1}
    assert data.requested == D("1600.00")
    assert _by_canton(data)["Neuvéglise"].dossiers == 1
    assert _by_canton(data)["Murat"].dossiers == 0
    assert data.unknown_canton is None
    assert data.to_decision.count == 1
    assert data.to_decision.median == pytest.approx(30)
    # The envelope stays the whole programme's.
    assert data.envelope.committed == D("5600.00")
    empty = queries.dashboard(programme=programme, year=2019)
    assert empty.total_dossiers == 0
    assert (empty.to_decision.median, empty.to_payment.p90) == (None, None)
    assert empty.waiting_decision == queries.Waiting(count=0)


def test_canton_filter_narrows_everything_but_the_map(dossiers, programme):
    ydes = Canton.objects.get(name="Ydes")
    data = queries.dashboard(programme=programme, year=2026, canton=ydes)
    assert {s.status: s.count for s in data.states if s.count} == {"paid": 1, "refused": 1, "corrections": 1}
    assert (data.requested, data.decided, data.paid) == (D("4500.00"), D("2500.00"), D("2500.00"))
    assert data.waiting_decision.count == 0
    assert data.to_decision.count == 2
    # The per-canton figures keep every canton (the map shows them all).
    assert _by_canton(data)["Murat"].dossiers == 3
    murat = Canton.objects.get(name="Murat")
    assert queries.dashboard(programme=programme, canton=murat).states[0].count == 1  # the draft in Murat


def test_query_count_does_not_grow_with_dossiers(territory, programme, django_assert_num_queries):
    for name in ("Murat", "Ydes", "Maurs", "Riom-ès-Montagnes"):
        for status in (Status.SUBMITTED, Status.ACCEPTED, Status.PAID):
            dossier(
                programme,
                status=status,
                commune_name=name,
                decided="500.00" if status != Status.SUBMITTED else None,
                paid="500.00" if status == Status.PAID else "0.00",
                submitted=at(2026, 2, 1),
                decided_at=at(2026, 2, 10) if status != Status.SUBMITTED else None,
                payment_on=date(2026, 3, 1) if status == Status.PAID else None,
            )
    with django_assert_num_queries(8):
        data = queries.dashboard(programme=programme)
    assert data.submitted == 12


def test_default_programme_is_the_most_recent_open_one(db):
    today = timezone.localdate()
    assert queries.default_programme() is None
    closed = ProgrammeFactory(opens_on=today - timedelta(days=800), closes_on=today - timedelta(days=400))
    assert queries.default_programme() == closed  # none open: the most recent
    older_open = ProgrammeFactory(opens_on=today - timedelta(days=300), closes_on=today + timedelta(days=30))
    newer_open = ProgrammeFactory(opens_on=today - timedelta(days=10), closes_on=today + timedelta(days=300))
    ProgrammeFactory(opens_on=today + timedelta(days=20), closes_on=today + timedelta(days=300))  # not yet open
    assert queries.default_programme() == newer_open
    assert older_open != newer_open


def test_percentile_interpolates_between_ranks():
    assert queries.percentile([], 0.5) is None
    assert queries.percentile([7.0], 0.9) == 7.0
    assert queries.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert queries.percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == pytest.approx(9.1)
    assert queries.durations([]) == queries.Durations(count=0, median=None, mean=None, p90=None)


def test_export_rows_leave_drafts_out_and_follow_the_filters(dossiers, programme, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(queries.export_rows(programme=programme))
    assert len(rows) == 9
    assert dossiers["draft"].reference not in {row[0] for row in rows}
    assert rows[0][0] == dossiers["a8"].reference  # by first submission
    a4 = dict(zip(queries.EXPORT_FIELDS, next(r for r in rows if r[0] == dossiers["a4"].reference), strict=True))
    assert a4["premises_commune__name"] == "Ydes"
    assert a4["canton__name"] == "Ydes"
    assert a4["first_payment"] == date(2026, 2, 9)
    assert (a4["computed_aid"], a4["decided_amount"], a4["paid_amount"]) == (D("2500.00"), D("2500.00"), D("2500.00"))
    ydes = Canton.objects.get(name="Ydes")
    assert len(list(queries.export_rows(programme=programme, year=2026, canton=ydes))) == 3
    assert len(list(queries.export_rows(programme=programme, year=2025))) == 1
