"""``GET /api/aides/dossiers/{reference}``: the dossier's status for its applicant and the staff."""

from __future__ import annotations

import pytest

from ..models import Status
from .factories import BusinessFactory
from .factories_dossier import dossier, message

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(programme, business, applicant):
    return dossier(programme=programme, business=business, created_by=applicant, status=Status.ACCEPTED)


def _url(reference: str) -> str:
    return f"/api/aides/dossiers/{reference}"


def test_applicant_gets_state_changes_amounts_and_next_step(client, accepted, applicant, instructor):
    message(accepted, author=instructor, from_applicant=False)
    client.force_login(applicant)
    response = client.get(_url(accepted.reference))
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == accepted.reference
    assert body["dispositif"] == {"slug": "auverdata", "nom": "Auverdata"}
    assert body["etat"] == {"code": "accepted", "libelle": "Accepté"}
    assert [(c["de"], c["vers"]) for c in body["changements"]] == [
        ("draft", "submitted"),
        ("submitted", "under_review"),
        ("under_review", "accepted"),
    ]
    assert body["changements"][-1]["libelle"] == "Accepté"
    assert body["changements"][0]["le"]
    assert body["montants"] == {
        "depenses_eligibles": "3200.00",
        "aide_calculee": "1600.00",
        "aide_accordee": "1600.00",
        "aide_versee": "0.00",
    }
    assert body["messages_non_lus"] == 1
    codes = [step["code"] for step in body["attendu"]]
    assert codes == ["messages", "invoices", "decision_letter"]
    invoices = body["attendu"][1]
    assert invoices["libelle"] == "Déposer vos factures"
    assert invoices["url"].endswith(f"/aides/dossiers/{accepted.reference}/factures/")


def test_undecided_amount_is_null_and_draft_expects_completion(client, programme, business, applicant):
    draft = dossier(programme=programme, business=business, created_by=applicant, status=Status.DRAFT)
    client.force_login(applicant)
    body = client.get(_url(draft.reference)).json()
    assert body["montants"]["aide_accordee"] is None
    assert body["changements"] == []
    assert body["depose_le"] is None
    assert body["attendu"][0]["code"] == "complete"


@pytest.mark.parametrize("who", ["instructor", "manager"])
def test_staff_may_read_it(client, accepted, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(_url(accepted.reference)).status_code == 200


def test_anonymous_gets_a_json_401(client, accepted):
    response = client.get(_url(accepted.reference))
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_required"
    assert "connectez-vous" in response.json()["message"]


def test_not_mine_and_not_existing_get_the_same_404(client, programme, accepted, other_applicant):
    other = dossier(programme=programme, business=BusinessFactory())
    client.force_login(other_applicant)
    not_mine = client.get(_url(accepted.reference))
    missing = client.get(_url("AUV-2099-99999"))
    junk = client.get(_url("x" * 300))
    assert not_mine.status_code == missing.status_code == junk.status_code == 404
    assert not_mine.json() == missing.json() == junk.json()
    assert not_mine.json()["code"] == "not_found"
    assert accepted.reference not in not_mine.content.decode()
    assert other.reference  # another business's dossier exists and is irrelevant here


def test_only_get_is_allowed(client, accepted, applicant):
    client.force_login(applicant)
    response = client.post(_url(accepted.reference))
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_documented_in_openapi(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/aides/dossiers/{reference}" in schema["paths"]
