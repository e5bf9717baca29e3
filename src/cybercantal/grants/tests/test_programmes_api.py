"""``GET /api/aides/dispositifs/`` and ``GET /api/aides/dispositifs/{slug}``: published
programmes only, money as strings, French JSON errors, a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ..models import Status
from .factories import ProgrammeFactory
from .factories_programmes import commit

pytestmark = pytest.mark.django_db

LIST = "/api/aides/dispositifs/"


def test_list_gives_published_programmes_open_first_with_money_as_strings(client, programme):
    today = timezone.localdate()
    closed = ProgrammeFactory(
        name="Ancien",
        opens_on=today - timedelta(days=90),
        closes_on=today - timedelta(days=1),
        cap_per_application=None,
    )
    ProgrammeFactory(name="Caché", is_published=False)
    commit(programme, "1600.00")
    commit(programme, "900.00", status=Status.SUBMITTED)  # not committed
    response = client.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert [item["slug"] for item in body] == [programme.slug, closed.slug]
    first = body[0]
    assert first["taux"] == "50.00"
    assert first["plafond_par_dossier"] == "5000.00"
    assert first["enveloppe"] == {"budget": "100000.00", "engage": "1600.00", "verse": "0.00", "restant": "98400.00"}
    assert first["ouvert"] is True
    assert first["etat"] == "open"
    assert first["ouverture"] == programme.opens_on.isoformat()
    assert first["financeur"] == "Région Auvergne-Rhône-Alpes"
    assert first["couverture"]["seuil"] == "HD3"
    assert "d'au moins 3\u00a0Mbit/s" in first["couverture"]["regle"]
    assert first["demandeurs"]["siret_actif_exige"] is True
    assert [c["code"] for c in first["categories"]] == ["equipement", "installation", "activation", "abonnement"]
    assert first["categories"][3]["eligible"] is False
    assert first["url"].endswith(f"/aides/dispositifs/{programme.slug}/")
    assert first["url_eligibilite"].endswith(f"/aides/eligibilite/?dispositif={programme.slug}")
    assert body[1]["ouvert"] is False
    assert body[1]["plafond_par_dossier"] is None
    assert "sans plafond" in body[1]["phrase"]


def test_detail_and_french_404(client, programme):
    response = client.get(f"{LIST}{programme.slug}")
    assert response.status_code == 200
    assert response.json()["nom"] == "Auverdata"
    hidden = ProgrammeFactory(is_published=False)
    for slug in ("inconnu", hidden.slug, "a%00b", "x" * 300, "%C3%A9t%C3%A9"):
        response = client.get(f"{LIST}{slug}")
        assert response.status_code == 404, slug
        assert response.json() == {
            "code": "not_found",
            "message": "Aucun dispositif d'aide publié ne porte cet identifiant.",
            "field": "slug",
        }


def test_amounts_keep_two_decimals(client):
    programme = ProgrammeFactory(rate_percent=Decimal("33.33"), cap_per_application=Decimal("1234.5"))
    body = client.get(f"{LIST}{programme.slug}").json()
    assert (body["taux"], body["plafond_par_dossier"]) == ("33.33", "1234.50")


def test_list_query_count(client, django_assert_max_num_queries):
    for _ in range(6):
        commit(ProgrammeFactory(), "10.00")
    with django_assert_max_num_queries(4):  # programmes, categories, committed, paid
        response = client.get(LIST)
    assert len(response.json()) == 6


def test_writes_are_not_allowed(client, programme):
    assert client.post(LIST, {}).status_code == 405
    assert client.delete(f"{LIST}{programme.slug}").status_code == 405
