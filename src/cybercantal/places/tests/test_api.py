"""The places API (/api/lieux/): list, search, filters, pagination, nearest, detail, errors."""

from __future__ import annotations

import pytest

from cybercantal.places import schema
from cybercantal.places.models import PlaceKind, PlaceStatus
from cybercantal.territory.models import Commune

from .factories import PlaceFactory

pytestmark = pytest.mark.django_db

URL = "/api/lieux/"


@pytest.fixture
def geo(territory):
    """The real Riom-ès-Montagnes and Aurillac, from the reference territory."""
    riom = Commune.objects.current().get(insee_code="15162")
    aurillac = Commune.objects.current().get(insee_code="15014")
    return {"riom": riom, "aurillac": aurillac, "nord": riom.cantons.get()}


@pytest.fixture
def places(geo):
    riom, aurillac = geo["riom"], geo["aurillac"]
    return {
        "epn_riom": PlaceFactory(
            name="Espace numérique du Cézallier",
            commune=riom,
            postal_code="15400",
            latitude=45.2821,
            longitude=2.6609,
            services=[schema.Service.AIDE_AUX_DEMARCHES_ADMINISTRATIVES],
            opening_hours="Mo-Su 00:00-24:00",
        ),
        "mairie_riom": PlaceFactory(
            name="Mairie",
            kind=PlaceKind.MAIRIE,
            commune=riom,
            postal_code="15400",
            latitude=45.29,
            longitude=2.67,
            opening_hours="",
        ),
        "epn_aurillac": PlaceFactory(
            name="Cyber-base d'Aurillac",
            commune=aurillac,
            postal_code="15000",
            latitude=44.9264,
            longitude=2.4397,
            services=[schema.Service.LOISIRS_ET_CREATIONS_NUMERIQUES],
            # Never open, so that the "ouvert" filter does not depend on when the test runs.
            opening_hours="Mo-Su off",
        ),
        "draft": PlaceFactory(
            name="Brouillon de Riom",
            commune=riom,
            postal_code="15400",
            status=PlaceStatus.DRAFT,
            latitude=45.28,
            longitude=2.66,
        ),
    }


def names(response) -> list[str]:
    return [item["nom"] for item in response.json()["results"]]


def test_list_published_places_by_name(client, places, geo):
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["next"] is None
    assert body["previous"] is None
    assert names(response) == ["Cyber-base d'Aurillac", "Espace numérique du Cézallier", "Mairie"]
    first = body["results"][1]
    assert first["commune"] == {"code_insee": "15162", "nom": "Riom-ès-Montagnes"}
    assert first["canton"]["slug"] == geo["nord"].slug
    assert first["type"] == "epn"
    assert first["type_libelle"] == "Espace public numérique"
    assert first["services"] == ["Aide aux démarches administratives"]
    assert first["url"] == f"http://testserver/lieux/{places['epn_riom'].slug}/"


def test_search_is_accent_and_case_insensitive(client, places):
    response = client.get(URL, {"q": "riom es montagnes"})
    assert names(response) == ["Espace numérique du Cézallier", "Mairie"]
    assert names(client.get(URL, {"q": "CEZALLIER"})) == ["Espace numérique du Cézallier"]
    assert names(client.get(URL, {"q": "aurillac cyber"})) == ["Cyber-base d'Aurillac"]


def test_filters(client, places, geo):
    assert names(client.get(URL, {"type": "mairie"})) == ["Mairie"]
    aurillac_canton = places["epn_aurillac"].canton
    assert names(client.get(URL, {"canton": aurillac_canton.slug})) == ["Cyber-base d'Aurillac"]
    assert names(client.get(URL, {"canton": geo["nord"].code})) == ["Espace numérique du Cézallier", "Mairie"]
    assert names(client.get(URL, {"commune": "15014"})) == ["Cyber-base d'Aurillac"]
    assert names(client.get(URL, {"service": "Loisirs et créations numériques"})) == ["Cyber-base d'Aurillac"]
    assert names(client.get(URL, {"ouvert": "true"})) == ["Espace numérique du Cézallier"]
    assert names(client.get(URL, {"q": "riom", "type": "epn", "ouvert": "true"})) == ["Espace numérique du Cézallier"]


def test_pagination(client, places):
    first = client.get(URL, {"size": 2}).json()
    assert first["count"] == 3
    assert [item["nom"] for item in first["results"]] == ["Cyber-base d'Aurillac", "Espace numérique du Cézallier"]
    assert first["next"] == "http://testserver/api/lieux/?size=2&page=2"
    second = client.get(first["next"]).json()
    assert [item["nom"] for item in second["results"]] == ["Mairie"]
    assert second["previous"] == "http://testserver/api/lieux/?size=2&page=1"


def test_list_is_two_queries(client, places, django_assert_num_queries):
    with django_assert_num_queries(2):  # count, page (commune and canton joined)
        assert client.get(URL).status_code == 200


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"size": 101}, "size", "max_value"),
        ({"page": "deux"}, "page", "invalid"),
        ({"type": "chateau"}, "type", "invalid_choice"),
        ({"service": "Cuisine"}, "service", "invalid_choice"),
        ({"canton": "inconnu"}, "canton", "invalid_choice"),
        ({"commune": "15999"}, "commune", "invalid_choice"),
        ({"commune": "abc"}, "commune", "invalid"),
        ({"ouvert": "peut-être"}, "ouvert", "invalid"),
    ],
)
def test_bad_parameters_get_a_structured_french_422(client, places, params, field, code):
    response = client.get(URL, params)
    assert response.status_code == 422
    body = response.json()
    assert (body["field"], body["code"]) == (field, code)
    assert body["message"].endswith(".")
    assert not body["message"].startswith(("Input", "Value error", "String"))  # French, not pydantic's


def test_nearest_places_are_ordered_by_distance(client, places):
    response = client.get(f"{URL}proches", {"lat": 45.2822, "lon": 2.6610, "limit": 3})
    assert response.status_code == 200
    items = response.json()
    assert [item["nom"] for item in items] == ["Espace numérique du Cézallier", "Mairie", "Cyber-base d'Aurillac"]
    distances = [item["distance_km"] for item in items]
    assert distances == sorted(distances)
    assert distances[0] < 0.1
    assert 1 < distances[1] < 2
    assert 40 < distances[2] < 50
    assert len(client.get(f"{URL}proches", {"lat": 45.2822, "lon": 2.6610, "limit": 1}).json()) == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": 2.66}, "lat"),
        ({"lat": 95, "lon": 2.66}, "lat"),
        ({"lat": "nord", "lon": 2.66}, "lat"),
        ({"lat": 45, "lon": 2.66, "limit": 51}, "limit"),
    ],
)
def test_nearest_needs_a_valid_point(client, places, params, field):
    response = client.get(f"{URL}proches", params)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_detail(client, places):
    place = places["epn_riom"]
    response = client.get(f"{URL}{place.slug}")
    assert response.status_code == 200
    body = response.json()
    assert body["nom"] == "Espace numérique du Cézallier"
    assert body["horaires"] == "Mo-Su 00:00-24:00"
    assert body["typologie"] == []
    assert body["date_maj"]


@pytest.mark.parametrize("slug", ["nulle-part", "draft"])
def test_detail_404_is_structured(client, places, slug):
    slug = places["draft"].slug if slug == "draft" else slug
    response = client.get(f"{URL}{slug}")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "Aucun lieu publié ne porte cet identifiant.",
        "field": "slug",
    }


def test_openapi_describes_the_places_in_french(client):
    spec = client.get("/api/openapi.json").json()
    assert {"/api/lieux/", "/api/lieux/proches", "/api/lieux/{slug}"} <= set(spec["paths"])
    operation = spec["paths"]["/api/lieux/"]["get"]
    assert operation["summary"] == "Lister et rechercher les lieux"
    assert "riom es montagnes" in operation["description"]
    parameters = {p["name"] for p in operation["parameters"]}
    assert {"q", "type", "canton", "commune", "service", "ouvert", "page", "size"} <= parameters


@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        ("/api/lieux/%00", 404, "slug"),
        ("/api/lieux/lieu%20inconnu", 404, "slug"),
        ("/api/lieux/?canton=%00", 422, "canton"),
    ],
)
def test_odd_identifiers_get_a_french_error_not_a_500(client, places, url, status, field):
    """A NUL character in a query used to be a 500 on PostgreSQL."""
    response = client.get(url)
    assert response.status_code == status
    assert response.json()["field"] == field
