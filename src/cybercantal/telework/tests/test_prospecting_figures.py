"""The conversion figures on a hand-built pipeline of five companies, computed by hand:

    A  Cantal Expansion  large   identified 100 → contacted 90 → meeting 70 → pilot 40 → relocated 10
    B  Cantal Expansion  medium  identified 100 → contacted 80 → meeting 60 → lost 50
    C  Réseau national   large   identified 100 → contacted 95 → pilot 30 (meeting skipped)
    D  (no partner)      (none)  identified 50
    E  Réseau national   medium  identified 60 → lost 55

(days ago). Reached: identified 5, contacted 3 (A B C), meeting 3 (C skipped it but went
further), pilot 2 (A C), relocated 1 (A)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from ..models import SizeBand
from ..queries import prospecting as queries
from .factories import AgreementFactory, EmployeeFactory
from .factories_prospecting import moved, partner, prospect

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(telecentre):
    expansion = partner("Cantal Expansion")
    network = partner("Réseau national des télécentres")
    agreement = AgreementFactory(telecentres=[telecentre])
    now = timezone.now()
    EmployeeFactory(agreement=agreement, joined_at=now - dt.timedelta(days=9))
    EmployeeFactory(
        agreement=agreement,
        joined_at=now - dt.timedelta(days=8),
        removed_on=timezone.localdate() - dt.timedelta(days=2),
    )
    EmployeeFactory(agreement=agreement)  # invitation pending
    a = moved(
        prospect("A", identified_days_ago=100, source_partner=expansion, size_band=SizeBand.LARGE, potential_staff=10),
        ("contacted", 90),
        ("meeting", 70),
        ("pilot", 40),
        ("relocated", 10),
        agreement=agreement,
    )
    b = moved(
        prospect("B", identified_days_ago=100, source_partner=expansion, size_band=SizeBand.MEDIUM, potential_staff=4),
        ("contacted", 80),
        ("meeting", 60),
        ("lost", 50),
    )
    c = moved(
        prospect("C", identified_days_ago=100, source_partner=network, size_band=SizeBand.LARGE, potential_staff=5),
        ("contacted", 95),
        ("pilot", 30),
    )
    d = prospect("D", identified_days_ago=50, potential_staff=7)
    e = moved(prospect("E", identified_days_ago=60, source_partner=network, size_band=SizeBand.MEDIUM), ("lost", 55))
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "agreement": agreement}


def test_reached_and_conversion_rates(pipeline):
    figures = queries.figures()
    assert figures.companies == 5
    assert [(s.stage.value, s.reached, s.now) for s in figures.stages] == [
        ("identified", 5, 1),
        ("contacted", 3, 0),
        ("meeting", 3, 0),
        ("pilot", 2, 1),
        ("relocated", 1, 1),
    ]
    assert [s.to_next for s in figures.stages] == [
        Decimal("60.0"),
        Decimal("100.0"),
        Decimal("66.7"),
        Decimal("50.0"),
        None,
    ]
    assert figures.overall == Decimal("20.0")
    assert figures.max_reached == 5


def test_median_days_between_stages(pipeline):
    figures = queries.figures()
    assert [(d.from_stage.value, d.to_stage.value, d.companies, d.median_days) for d in figures.durations] == [
        ("identified", "contacted", 3, Decimal("10.0")),  # A 10, B 20, C 5
        ("contacted", "meeting", 3, Decimal("20.0")),  # A 20, B 20, C 65 (reached through pilot)
        ("meeting", "pilot", 2, Decimal("15.0")),  # A 30, C 0
        ("pilot", "relocated", 1, Decimal("30.0")),  # A 30
    ]
    overall = figures.overall_duration
    assert (overall.companies, overall.median_days) == (1, Decimal("90.0"))


def test_by_source_partner_and_by_size_band(pipeline):
    figures = queries.figures()
    assert [(g.label, g.companies, g.reached, g.lost, g.overall) for g in figures.by_source] == [
        ("Cantal Expansion", 2, [2, 2, 2, 1, 1], 1, Decimal("50.0")),
        ("Réseau national des télécentres", 2, [2, 1, 1, 1, 0], 1, Decimal("0.0")),
        ("Sans partenaire", 1, [1, 0, 0, 0, 0], 0, Decimal("0.0")),
    ]
    assert [(g.label, g.companies, g.reached, g.lost, g.overall) for g in figures.by_size] == [
        ("50 à 249 salariés", 2, [2, 1, 1, 0, 0], 2, Decimal("0.0")),
        ("250 à 4 999 salariés", 2, [2, 2, 2, 2, 1], 0, Decimal("50.0")),
        ("Effectif non renseigné", 1, [1, 0, 0, 0, 0], 0, Decimal("0.0")),
    ]


def test_lost_reasons_and_stages(pipeline):
    figures = queries.figures()
    assert figures.lost_total == 2
    assert figures.lost_reasons == [("Plus de réponse", 2)]
    assert figures.lost_at_stage == [("Identifiée", 1), ("Rendez-vous", 1)]


def test_a_company_taken_back_no_longer_counts_as_lost(pipeline):
    moved(pipeline["E"], ("contacted", 0))
    figures = queries.figures()
    assert figures.lost_total == 1
    assert figures.lost_reasons == [("Plus de réponse", 1)]
    assert [s.reached for s in figures.stages] == [5, 4, 3, 2, 1]


def test_staff_relocated_come_from_the_linked_agreements(pipeline):
    figures = queries.figures()
    assert [
        (s.prospect_name, s.agreement_reference, s.potential, s.named, s.joined, s.active) for s in figures.staff
    ] == [("A", pipeline["agreement"].reference, 10, 3, 2, 1)]
    assert (figures.staff_named, figures.staff_joined, figures.staff_active) == (3, 2, 1)
    assert figures.potential_in_play == 12  # C 5 + D 7 (A is relocated, B lost)


def test_figures_of_nothing(db):
    figures = queries.figures()
    assert figures.companies == 0
    assert figures.overall is None
    assert [s.to_next for s in figures.stages] == [None] * 5
    assert all(d.median_days is None for d in figures.durations)
    assert figures.staff == []
    assert figures.lost_reasons == []


def test_rate_rounds_half_up():
    assert queries.rate(1, 8) == Decimal("12.5")
    assert queries.rate(1, 3) == Decimal("33.3")
    assert queries.rate(2, 3) == Decimal("66.7")
    assert queries.rate(1, 0) is None


def test_figures_cost_a_fixed_number_of_queries(pipeline, django_assert_max_num_queries):
    for index in range(10):
        moved(prospect(f"Extra {index}", identified_days_ago=20), ("contacted", 10), ("meeting", 5))
    with django_assert_max_num_queries(4):
        queries.figures()
