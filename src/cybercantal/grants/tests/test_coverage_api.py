"""``GET /api/aides/eligibilite``: the same answer as the page, French JSON errors."""

from __future__ import annotations

import pytest

from .factories import ProgrammeFactory
from .factories_coverage import import_sample

pytestmark = pytest.mark.django_db

URL = "/api/aides/eligibilite"


@pytest.fixture
def sample(territory):
    import_sample()


def test_answer_by_insee_code_and_address(client, sample, programme):
    response = client.get(URL, {"dispositif": "auverdata", "commune": "15142", "adresse": "3 Le Bousquet"})
    assert response.status_code == 200
    body = response.json()
    assert body["programme"] == "auverdata"
    assert body["commune"] == {"code_insee": "15142", "nom": "Neuvéglise-sur-Truyère"}
    assert (body["answer"], body["label"], body["basis"], body["edition"]) == (
        "eligible",
        "Éligible",
        "building",
        "2026T2",
    )
    assert body["data"]["best_class"] == "HD05"
    assert body["data"]["imb_id"]
    assert "Vos locaux sont éligibles" in body["explanation"]
    assert body["checked_at"]


def test_answer_by_name_with_the_only_open_programme(client, sample, programme):
    body = client.get(URL, {"commune": "Mauriac"}).json()
    assert (body["answer"], body["basis"]) == ("not_eligible", "commune")
    assert body["data"]["premises"] == 2840
    # 15100 is an INSEE code (Laveissenet) for the API, even if it is also a postal code.
    assert client.get(URL, {"commune": "15100"}).json()["commune"]["nom"] == "Laveissenet"


@pytest.mark.parametrize(
    ("params", "status", "code", "field", "message"),
    [
        ({"dispositif": "inconnu", "commune": "15142"}, 404, "not_found", "dispositif", "Aucun dispositif publié"),
        ({"commune": ""}, 422, "required", "commune", "Indiquez la commune"),
        ({"commune": "63113"}, 422, "outside_departement", "commune", "n'est pas dans le département Cantal"),
        ({"commune": "Clermont-Ferrand"}, 422, "unknown_commune", "commune", "Aucune commune du département"),
        ({"commune": "aurilac"}, 422, "unknown_commune", "commune", "Aurillac (15014)"),
        ({"commune": "x" * 200}, 422, "max_length", "commune", "au plus 150"),
        ({"commune": "15142", "adresse": "y" * 300}, 422, "max_length", "adresse", "au plus 250"),
        ({"commune": "15142", "dispositif": "a/b\x00"}, 404, "not_found", "dispositif", "Aucun dispositif"),
    ],
)
def test_errors_are_french_json(client, sample, programme, params, status, code, field, message):
    response = client.get(URL, params)
    assert response.status_code == status
    body = response.json()
    assert (body["code"], body["field"]) == (code, field)
    assert message in body["message"]


def test_several_open_programmes_need_the_slug(client, sample, programme):
    ProgrammeFactory(slug="autre")
    body = client.get(URL, {"commune": "15142"}).json()
    assert (body["code"], body["field"]) == ("required", "dispositif")
    assert "auverdata" in body["message"]
    assert "autre" in body["message"]
    assert client.get(URL, {"commune": "15142", "dispositif": "autre"}).status_code == 200


def test_no_data_imported_is_to_check(client, territory, programme):
    body = client.get(URL, {"commune": "15142"}).json()
    assert (body["answer"], body["basis"], body["edition"]) == ("to_check", "none", "")
