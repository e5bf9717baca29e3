"""Reads: search, filters, distance sort, open now, nearest, coverage, my places."""

from __future__ import annotations

from datetime import datetime

import pytest

from cybercantal.accounts.models import Role
from cybercantal.places import queries, schema
from cybercantal.places.models import PlaceKind, PlaceOffer, PlaceStatus

from .conftest import MONDAY_10, PARIS
from .factories import CantonFactory, PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(small_cantal, epn_riom):
    communes = small_cantal["communes"]
    return {
        "riom_epn": epn_riom,
        "riom_mairie": PlaceFactory(
            name="Mairie",
            kind=PlaceKind.MAIRIE,
            offers=[PlaceOffer.KIOSK],
            commune=communes["riom"],
            postal_code="15400",
            latitude=45.2820,
            longitude=2.6570,
            opening_hours="Mo-Fr 14:00-17:00",
            services=[schema.Service.AIDE_AUX_DEMARCHES_ADMINISTRATIVES],
        ),
        "flour": PlaceFactory(
            name="Espace Numérique de la Planèze",
            commune=communes["flour"],
            postal_code="15100",
            latitude=45.0340,
            longitude=3.0930,
            opening_hours="Sa-Su 10:00-18:00",
        ),
        "murat": PlaceFactory(
            name="Télécentre du Lioran",
            kind=PlaceKind.TELECENTRE,
            offers=[PlaceOffer.TELECENTRE],
            commune=communes["murat"],
            postal_code="15300",
            latitude=45.1100,
            longitude=2.8690,
            opening_hours="24/7",
        ),
        "aurillac_draft": PlaceFactory(
            name="Brouillon Aurillac",
            status=PlaceStatus.DRAFT,
            commune=communes["aurillac"],
            latitude=44.93,
            longitude=2.44,
        ),
        "aurillac_college": PlaceFactory(
            name="Collège Jean Monnet",
            kind=PlaceKind.COLLEGE,
            offers=[PlaceOffer.CYBER_ROOM],
            commune=communes["aurillac"],
            opening_hours="",
            latitude=44.93,
            longitude=2.44,
        ),
    }


def names(queryset) -> list[str]:
    return [place.name for place in queryset]


def test_commune_name_without_accents_finds_its_places(places):
    assert names(queries.directory(text="riom es montagnes")) == ["EPN La Fontaine", "Mairie"]


@pytest.mark.parametrize("text", ["RIOM-ÈS-MONTAGNES", "Riom ès Montagnes", "riom", "montagn", "15400"])
def test_case_accents_and_prefixes(places, text):
    assert names(queries.directory(text=text)) == ["EPN La Fontaine", "Mairie"]


def test_words_are_and_and_abbreviations_expand(places):
    assert names(queries.directory(text="planeze st flour")) == ["Espace Numérique de la Planèze"]
    assert names(queries.directory(text="fontaine flour")) == []
    assert names(queries.directory(text="télécentre")) == ["Télécentre du Lioran"]


def test_drafts_are_not_listed(places):
    assert "Brouillon Aurillac" not in names(queries.directory())
    assert len(names(queries.directory())) == 5


def test_filters(places, small_cantal):
    assert names(queries.directory(kind=PlaceKind.MAIRIE)) == ["Mairie"]
    assert names(queries.directory(canton=small_cantal["cantons"]["flour"])) == ["Espace Numérique de la Planèze"]
    assert names(queries.directory(canton=small_cantal["cantons"]["murat"])) == ["Télécentre du Lioran"]
    assert names(queries.directory(commune=small_cantal["communes"]["murat"])) == ["Télécentre du Lioran"]
    assert names(queries.directory(service=schema.Service.AIDE_AUX_DEMARCHES_ADMINISTRATIVES)) == ["Mairie"]


def test_distance_sort_from_a_point(places, small_cantal):
    murat = small_cantal["communes"]["murat"]
    ordered = list(queries.directory(near=(murat.latitude, murat.longitude)))
    assert names(ordered) == [
        "Télécentre du Lioran",
        "Espace Numérique de la Planèze",
        "Mairie",  # a little south-east of the EPN, so nearer to Murat
        "EPN La Fontaine",
        "Collège Jean Monnet",
    ]
    rows = queries.with_distances(ordered, (murat.latitude, murat.longitude))
    assert rows[0].distance_km < 3  # the commune centroid is in the town
    assert 17 < rows[1].distance_km < 22  # Murat - Saint-Flour, as the crow flies
    assert all(row.distance_km is not None for row in rows)


def test_places_without_a_point_come_last_when_sorting_by_distance(places, small_cantal):
    PlaceFactory(name="Sans point", commune=small_cantal["communes"]["riom"], postal_code="15400")
    riom = small_cantal["communes"]["riom"]
    rows = queries.with_distances(
        queries.directory(near=(riom.latitude, riom.longitude)), (riom.latitude, riom.longitude)
    )
    assert rows[-1].name == "Sans point"
    assert rows[-1].distance_km is None


def test_open_now_with_a_frozen_time(places):
    monday_10 = names(queries.directory(open_now=True, at=MONDAY_10))
    assert monday_10 == ["EPN La Fontaine", "Télécentre du Lioran"]
    monday_15 = names(queries.directory(open_now=True, at=datetime(2026, 3, 2, 15, 0, tzinfo=PARIS)))
    assert monday_15 == ["EPN La Fontaine", "Mairie", "Télécentre du Lioran"]
    sunday = names(queries.directory(open_now=True, at=datetime(2026, 3, 8, 11, 0, tzinfo=PARIS)))
    assert sunday == ["Espace Numérique de la Planèze", "Télécentre du Lioran"]


def test_open_on_sunday_filter(places):
    from cybercantal.places.models import Place

    on_sunday = Place.objects.published().filter(queries.open_on_weekday_filter(6)).order_by("name")
    assert names(on_sunday) == ["Espace Numérique de la Planèze", "Télécentre du Lioran"]


def test_nearest_widens_its_box(places, small_cantal):
    riom = small_cantal["communes"]["riom"]
    nearest = queries.nearest(riom.latitude, riom.longitude, limit=3)
    assert names(nearest) == ["EPN La Fontaine", "Mairie", "Télécentre du Lioran"]
    assert nearest[2].distance_km > 15
    assert names(queries.nearest(riom.latitude, riom.longitude, limit=10, kind=PlaceKind.TELECENTRE)) == [
        "Télécentre du Lioran"
    ]


def test_resolve_commune_by_name(places):
    match = queries.resolve_commune("st flour")
    assert match.commune is not None
    assert match.commune.name == "Saint-Flour"
    assert queries.resolve_commune("riom es montagnes").commune.name == "Riom-ès-Montagnes"
    assert queries.resolve_commune("zzz").commune is None
    assert queries.resolve_commune("zzz").suggestions == []
    ambiguous = queries.resolve_commune("saint martin")
    assert ambiguous.commune is None
    assert "Saint-Martin-Valmeroux" in [c.name for c in ambiguous.suggestions]
    assert len(ambiguous.suggestions) >= 2


def test_coverage_counts_and_promise(places, small_cantal):
    empty = CantonFactory(name="Canton vide", slug="canton-vide", number=20, code="1520")
    rows = {row.canton.slug: row for row in queries.coverage()}
    riom = rows["riom-es-montagnes"]
    assert riom.counts == {"epn": 1, "kiosk": 1, "france_services": 0, "telecentre": 0, "college": 0}
    assert riom.promise == "both"
    flour = rows["saint-flour-1"]
    assert flour.counts == {"epn": 1, "kiosk": 0, "france_services": 0, "telecentre": 0, "college": 0}
    assert flour.promise == "one"
    assert flour.missing == ["kiosk"]
    murat = rows["murat"]
    assert murat.counts["telecentre"] == 1
    assert murat.promise == "none"
    assert murat.missing == ["epn", "kiosk"]
    aurillac = rows[places["aurillac_college"].canton.slug]
    assert aurillac.counts["college"] == 1
    assert aurillac.counts["epn"] == 0  # the draft EPN in the same canton does not count
    assert rows[empty.slug].promise == "none"


def test_coverage_is_two_queries(places, django_assert_num_queries):
    with django_assert_num_queries(2):
        queries.coverage()


def test_my_places_by_role(places, staff):
    mediator = staff(Role.MEDIATOR, places["riom_epn"])
    assert names(queries.my_places(mediator)) == ["EPN La Fontaine"]
    manager = staff(Role.PROGRAMME_MANAGER)
    assert len(names(queries.my_places(manager))) == 6  # drafts included
    citizen = staff(Role.CITIZEN)
    assert names(queries.my_places(citizen)) == []


def test_open_now_agrees_with_the_status_on_a_public_holiday(small_cantal):
    """14 July 2026 (a Tuesday), 10:30: the filter and the status shown must say the same."""
    from cybercantal.places import hours

    murat = small_cantal["communes"]["murat"]
    office = PlaceFactory(name="Bureau", commune=murat, opening_hours="Mo-Fr 09:00-12:00; PH off")
    no_rule = PlaceFactory(name="Sans règle fériée", commune=murat, opening_hours="Mo-Fr 09:00-12:00")
    holiday_hours = PlaceFactory(
        name="Férié le matin", commune=murat, opening_hours="Mo-Fr 14:00-18:00; PH 10:00-11:00"
    )
    at = datetime(2026, 7, 14, 10, 30, tzinfo=PARIS)
    found = names(queries.directory(open_now=True, at=at))
    assert found == ["Férié le matin", "Sans règle fériée"]
    for place in (office, no_rule, holiday_hours):
        assert hours.status(place.opening_hours, at).is_open is (place.name in found)
    # The next day is a normal Wednesday: the weekly slots alone decide.
    assert names(queries.directory(open_now=True, at=datetime(2026, 7, 15, 10, 30, tzinfo=PARIS))) == [
        "Bureau",
        "Sans règle fériée",
    ]


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (datetime(2026, 3, 6, 23, 30, tzinfo=PARIS), True),  # Friday night
        (datetime(2026, 3, 7, 1, 30, tzinfo=PARIS), True),  # after midnight, still Friday's slot
        (datetime(2026, 3, 7, 2, 0, tzinfo=PARIS), False),
        (datetime(2026, 3, 6, 19, 59, tzinfo=PARIS), False),
    ],
)
def test_open_now_across_midnight_agrees_with_the_status(small_cantal, moment, is_open):
    from cybercantal.places import hours

    night = PlaceFactory(name="Nocturne", commune=small_cantal["communes"]["murat"], opening_hours="Fr 20:00-02:00")
    assert hours.status(night.opening_hours, moment).is_open is is_open
    assert (names(queries.directory(open_now=True, at=moment)) == ["Nocturne"]) is is_open


def test_a_name_shared_by_a_current_and_a_former_commune_means_the_current_one(territory):
    from cybercantal.places.queries import resolve_commune
    from cybercantal.territory.models import Commune

    assert Commune.objects.filter(name="Murat").count() > 1  # Murat and a former commune
    match = resolve_commune("murat")
    assert match.commune is not None
    assert match.commune.kind == Commune.Kind.ACTUELLE
    assert match.commune.name == "Murat"
