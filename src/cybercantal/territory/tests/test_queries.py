"""Reads: point lookup, name search, canton statistics, random points, shape cache."""

from __future__ import annotations

import random

import pytest

from cybercantal.territory import geometry, queries
from cybercantal.territory.models import Canton, Commune
from cybercantal.territory.services import territory_import


def current(code: str) -> Commune:
    return Commune.objects.get(insee_code=code, kind=Commune.Kind.ACTUELLE)


@pytest.mark.parametrize(
    ("lat", "lon", "commune", "canton"),
    [
        (45.282, 2.656, "Riom-ès-Montagnes", "Riom-ès-Montagnes"),
        (45.0339, 3.0928, "Saint-Flour", None),  # the old town, in one of its two cantons
        (44.9266, 2.4397, "Aurillac", None),
        (45.2185, 2.3325, "Mauriac", "Mauriac"),
    ],
)
def test_lookup_known_points(territory, lat, lon, commune, canton):
    found = queries.lookup_point(lat, lon)
    assert found.commune is not None
    assert found.commune.name == commune
    assert found.canton is not None
    assert found.canton in found.commune.cantons.all()
    if canton:
        assert found.canton.name == canton


def test_lookup_at_each_commune_centroid(territory):
    for commune in Commune.objects.current().exclude(insee_code__in=["15031", "15035", "15047", "15171"]):
        found = queries.lookup_point(commune.latitude, commune.longitude)
        assert found.commune == commune, commune.name
        assert found.canton in commune.cantons.all(), commune.name


@pytest.mark.parametrize(("lat", "lon"), [(48.8566, 2.3522), (45.7772, 3.0870), (44.35, 2.57), (0.0, 0.0)])
def test_lookup_outside_the_departement(territory, lat, lon):
    found = queries.lookup_point(lat, lon)
    assert found.commune is None
    assert found.canton is None


def test_shared_polygon_answers_neussargues(territory):
    neussargues = current("15141")
    for code in ["15031", "15035", "15047", "15141"]:
        commune = current(code)
        assert queries.lookup_point(commune.latitude, commune.longitude).commune == neussargues


def test_lookup_is_cheap_after_the_first_call(territory, django_assert_num_queries):
    queries.lookup_point(45.282, 2.656)
    with django_assert_num_queries(2):  # the commune row and the canton row
        queries.lookup_point(45.0339, 3.0928)


def test_lookup_survives_reloaded_rows(territory):
    queries.lookup_point(45.282, 2.656)  # builds the shapes
    riom = current("15162")
    old = geometry.get_index()
    old.lookup_ids[old.lookup_ids.index(riom.pk)] = 10**9  # as if the rows had been recreated since
    found = queries.lookup_point(45.282, 2.656)
    assert found.commune == riom
    assert geometry.get_index() is not old


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("riom es montagnes", "Riom-ès-Montagnes"),
        ("RIOM-ÈS-MONTAGNES", "Riom-ès-Montagnes"),
        ("st flour", "Saint-Flour"),
        ("St-Flour", "Saint-Flour"),
        ("saint flour", "Saint-Flour"),
        ("ste anastasie", "Sainte-Anastasie"),
        ("le claux", "Le Claux"),
        ("claux", "Le Claux"),
        ("aurillac", "Aurillac"),
        ("15400", "Riom-ès-Montagnes"),
        ("montagnes riom", "Riom-ès-Montagnes"),
    ],
)
def test_communes_by_name(territory, typed, expected):
    found = queries.communes_by_name(typed)
    assert found, typed
    assert found[0].name == expected


def test_communes_by_name_prefix_first_and_limit(territory):
    found = queries.communes_by_name("saint", limit=5)
    assert len(found) == 5
    assert all(c.name.startswith("Saint") for c in found)
    assert found[0].name == "Saint-Flour"  # the most populated
    flour = queries.communes_by_name("st flour")
    assert [c.name for c in flour] == ["Saint-Flour", "Anglards-de-Saint-Flour"]
    assert queries.communes_by_name("") == []
    assert queries.communes_by_name(" - ") == []
    assert queries.communes_by_name("zzzz") == []


def test_communes_by_name_delegated_after_current(territory):
    found = queries.communes_by_name("murat")
    assert [(c.name, c.kind) for c in found[:2]] == [("Murat", "actuelle"), ("Murat", "deleguee")]
    assert [c.kind for c in queries.communes_by_name("murat", current_only=True)] == ["actuelle"]
    calvinet = queries.communes_by_name("calvinet")[0]
    assert calvinet.parent.name == "Puycapel"


def test_search_communes_filters(territory):
    riom = Canton.objects.get(number=10)
    in_riom = queries.search_communes(canton=riom)
    assert in_riom.count() == 23
    assert all(riom in c.cantons.all() for c in in_riom)
    assert queries.search_communes(kind="associee").count() == 6
    assert next(c.name for c in queries.search_communes(text="st flour")) == "Saint-Flour"


def test_commune_by_code_prefers_the_current_commune(territory):
    assert queries.commune_by_code("15027").name == "Puycapel"
    assert queries.commune_by_code("15136").name == "Mourjou"
    assert queries.commune_by_code("99999") is None


def test_cantons_with_stats(territory, django_assert_num_queries):
    with django_assert_num_queries(1):
        cantons = list(queries.cantons_with_stats())
    assert len(cantons) == 15
    assert [c.number for c in cantons] == list(range(1, 16))
    by_name = {c.name: c for c in cantons}
    assert by_name["Riom-ès-Montagnes"].commune_count == 23
    assert by_name["Aurillac-1"].population >= 26214  # Aurillac counts whole
    # Every current commune is counted once per canton it belongs to.
    assert sum(c.commune_count for c in cantons) == 250 + 2 + 1 + 1 + 1 + 1


def test_cantons_with_communes(territory, django_assert_num_queries):
    with django_assert_num_queries(2):
        cantons = list(queries.cantons_with_communes())
        names = [c.name for c in cantons[9].current_communes]
    assert "Riom-ès-Montagnes" in names
    assert names == sorted(names)


def test_shared_communes_by_canton(territory):
    shared = queries.shared_communes_by_canton()
    aurillac_1 = Canton.objects.get(name="Aurillac-1")
    assert shared[aurillac_1.pk] == ["Aurillac"]
    assert sum(len(v) for v in shared.values()) == 3 + 2 + 2 + 2 + 2


def test_random_point_in_commune(territory):
    rng = random.Random(15)
    communes = list(Commune.objects.current().exclude(insee_code__in=["15031", "15035", "15047", "15171"]))
    for commune in rng.sample(communes, 40):
        lat, lon = queries.random_point_in_commune(commune, rng)
        assert queries.lookup_point(lat, lon).commune == commune, commune.name
    # Reproducible with the same seed.
    aurillac = current("15014")
    assert queries.random_point_in_commune(aurillac, random.Random(1)) == queries.random_point_in_commune(
        aurillac, random.Random(1)
    )


def test_random_point_in_delegated_and_shared_communes(territory):
    rng = random.Random(3)
    murat_deleguee = Commune.objects.get(insee_code="15138", kind=Commune.Kind.DELEGUEE)
    lat, lon = queries.random_point_in_commune(murat_deleguee, rng)
    assert queries.lookup_point(lat, lon).commune == current("15138")
    lat, lon = queries.random_point_in_commune(current("15031"), rng)
    assert queries.lookup_point(lat, lon).commune == current("15141")
    orphan = Commune(pk=10**9, insee_code="15998", name="Sans contour")
    with pytest.raises(ValueError, match="n'a pas de contour"):
        queries.random_point_in_commune(orphan, rng)


def test_shapes_cached_until_the_data_changes(territory):
    first = geometry.get_index()
    assert geometry.get_index() is first
    Commune.objects.filter(insee_code="15014", kind="actuelle").update(name="Orlhac")
    territory_import()  # repairs the name: new data version, shapes rebuilt
    assert geometry.get_index() is not first
    unchanged = geometry.get_index()
    territory_import()  # nothing changes: the same version
    geometry.invalidate()
    assert geometry.get_index().version == unchanged.version


def test_current_departement(territory, settings):
    assert queries.current_departement().code == "15"
    settings.DEPARTEMENT_CODE = "98"
    assert queries.current_departement() is None
