"""The territory API at /api/territoire/."""

from __future__ import annotations

import pytest

BASE = "/api/territoire"


def test_communes_first_page(client, territory, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # count, page, cantons of the page
        response = client.get(f"{BASE}/communes")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 268
    assert len(data["results"]) == 20
    assert data["previous"] is None
    assert data["next"] == "http://testserver/api/territoire/communes?page=2"
    first = data["results"][0]
    assert set(first) == {
        "insee_code",
        "name",
        "slug",
        "kind",
        "parent",
        "postal_codes",
        "population",
        "latitude",
        "longitude",
        "cantons",
    }


def test_communes_pagination_links_keep_filters(client, territory):
    data = client.get(f"{BASE}/communes", {"kind": "actuelle", "size": 100, "page": 3}).json()
    assert data["count"] == 250
    assert len(data["results"]) == 50
    assert data["next"] is None
    assert data["previous"] == "http://testserver/api/territoire/communes?kind=actuelle&size=100&page=2"


def test_communes_search_and_filters(client, territory):
    data = client.get(f"{BASE}/communes", {"q": "st flour"}).json()
    assert [c["name"] for c in data["results"]] == ["Saint-Flour", "Anglards-de-Saint-Flour"]
    riom = client.get(f"{BASE}/communes", {"canton": "15010", "size": 100}).json()
    assert riom["count"] == 23
    assert all(any(c["code"] == "15010" for c in commune["cantons"]) for commune in riom["results"])
    delegated = client.get(f"{BASE}/communes", {"kind": "deleguee", "q": "calvinet"}).json()
    assert delegated["results"][0]["parent"] == {
        "insee_code": "15027",
        "name": "Puycapel",
        "kind": "actuelle",
        "slug": "puycapel",
    }


def test_communes_bad_filters(client, territory):
    response = client.get(f"{BASE}/communes", {"canton": "99999"})
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid_choice",
        "message": "Aucun canton n'a le code « 99999 ».",
        "field": "canton",
    }
    response = client.get(f"{BASE}/communes", {"kind": "village"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_choice"
    assert body["field"] == "kind"
    assert body["message"].startswith("Valeur non autorisée")


def test_pagination_errors(client, territory):
    response = client.get(f"{BASE}/communes", {"size": 1000})
    assert response.status_code == 422
    assert response.json()["field"] == "size"
    assert response.json()["message"] == "La valeur doit être inférieure ou égale à 100."
    response = client.get(f"{BASE}/communes", {"page": 0})
    assert response.status_code == 422
    assert response.json()["message"] == "La valeur doit être supérieure ou égale à 1."
    response = client.get(f"{BASE}/communes", {"page": 99})
    assert response.status_code == 404
    assert response.json() == {
        "code": "page_not_found",
        "message": "Cette page n'existe pas : la dernière est la page 14.",
        "field": "page",
    }
    response = client.get(f"{BASE}/communes", {"page": "deux"})
    assert response.status_code == 422
    assert response.json()["message"] == "Saisissez un nombre entier."


def test_commune_detail(client, territory):
    data = client.get(f"{BASE}/communes/15014").json()
    assert data["name"] == "Aurillac"
    assert [c["name"] for c in data["cantons"]] == ["Aurillac-1", "Aurillac-2", "Aurillac-3"]
    assert data["epci"] == "CA du Bassin d'Aurillac"
    assert data["arrondissement"] == "Aurillac"
    assert data["departement"] == "15"
    assert data["boundary"] is None
    puycapel = client.get(f"{BASE}/communes/15027", {"boundary": "true"}).json()
    assert puycapel["name"] == "Puycapel"
    assert [c["name"] for c in puycapel["children"]] == ["Calvinet", "Mourjou"]
    assert puycapel["boundary"]["type"] == "Polygon"
    assert "Mourjou" in puycapel["boundary_source"]
    mourjou = client.get(f"{BASE}/communes/15136").json()
    assert mourjou["kind"] == "deleguee"
    assert mourjou["parent"]["name"] == "Puycapel"


def test_commune_detail_not_found(client, territory):
    response = client.get(f"{BASE}/communes/99999")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "Aucune commune n'a le code INSEE « 99999 ».",
        "field": "insee_code",
    }


def test_cantons(client, territory, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        data = client.get(f"{BASE}/cantons").json()
    assert data["count"] == 15
    assert [c["number"] for c in data["results"]] == list(range(1, 16))
    riom = data["results"][9]
    assert riom["name"] == "Riom-ès-Montagnes"
    assert riom["commune_count"] == 23
    assert riom["population"] > 0


@pytest.mark.parametrize("key", ["15010", "riom-es-montagnes"])
def test_canton_detail(client, territory, key):
    data = client.get(f"{BASE}/cantons/{key}").json()
    assert data["code"] == "15010"
    assert len(data["communes"]) == 23
    assert "Riom-ès-Montagnes" in [c["name"] for c in data["communes"]]


def test_canton_detail_not_found(client, territory):
    response = client.get(f"{BASE}/cantons/15099")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["message"] == "Aucun canton n'a le code « 15099 »."


def test_locate(client, territory):
    data = client.get(f"{BASE}/localiser", {"lat": 45.282, "lon": 2.656}).json()
    assert data["commune"]["name"] == "Riom-ès-Montagnes"
    assert data["canton"]["code"] == "15010"
    outside = client.get(f"{BASE}/localiser", {"lat": 48.8566, "lon": 2.3522}).json()
    assert outside == {"latitude": 48.8566, "longitude": 2.3522, "commune": None, "canton": None}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"lat": 95, "lon": 2.5}, "lat", "La valeur doit être inférieure ou égale à 90."),
        ({"lat": -91, "lon": 2.5}, "lat", "La valeur doit être supérieure ou égale à -90."),
        ({"lat": 45, "lon": 181}, "lon", "La valeur doit être inférieure ou égale à 180."),
        ({"lat": 45}, "lon", "Ce paramètre est obligatoire."),
        ({"lat": "quarante-cinq", "lon": 2.5}, "lat", "Saisissez un nombre (point décimal : 45.03)."),
    ],
)
def test_locate_validation(client, territory, params, field, message):
    response = client.get(f"{BASE}/localiser", params)
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field
    assert body["message"] == message
    assert body["errors"][0] == {"code": body["code"], "message": message, "field": field}
