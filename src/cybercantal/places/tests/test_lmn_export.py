"""LMN exports: they conform to the schema, they stream, and import(export(x)) changes nothing."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.places import lmn, schema, views_lmn
from cybercantal.places.models import Place, PlaceKind, PlaceStatus
from cybercantal.territory.models import Commune

from .factories import PlaceFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

CSV_URL = "/lieux/export/lmn.csv"
JSON_URL = "/lieux/export/lmn.json"


@pytest.fixture
def places(territory):
    riom = Commune.objects.current().get(insee_code="15162")
    saint_flour = Commune.objects.current().get(insee_code="15187")
    full = PlaceFactory(
        name="Espace numérique « Le Lien »",
        commune=riom,
        postal_code="15400",
        address="2 place de l'Église",
        address_complement="1er étage, porte B",
        latitude=45.28213456789,
        longitude=2.6609,
        phone="0471780000",
        email="contact@epn-riom.fr",
        website="https://www.riom-es-montagnes.fr/epn",
        opening_hours="Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; PH off",
        presentation_summary='Un espace "ouvert", au cœur du bourg ; accès libre.',
        presentation_detail="Ateliers\nsur deux lignes.",
        date_maj=date(2025, 3, 31),
        pivot="21150162400015",
        lmn_id="epn-riom-1",
        structure_parente="Commune de Riom-ès-Montagnes",
        source="CyberCantal",
        typologie=[schema.Typologie.EPN, schema.Typologie.MUNI],
        services=[schema.Service.AIDE_AUX_DEMARCHES_ADMINISTRATIVES, schema.Service.LOISIRS_ET_CREATIONS_NUMERIQUES],
        publics_specifiquement_adresses=[schema.PublicSpecifiquementAdresse.SENIORS],
        prise_en_charge_specifique=[schema.PriseEnChargeSpecifique.SURDITE],
        frais_a_charge=[schema.Frais.GRATUIT],
        modalites_acces=[schema.ModaliteAcces.SE_PRESENTER, schema.ModaliteAcces.TELEPHONER],
        modalites_accompagnement=[schema.ModaliteAccompagnement.DANS_UN_ATELIER],
        dispositif_programmes_nationaux=[schema.DispositifProgrammeNational.CONSEILLERS_NUMERIQUES],
        formations_labels=[schema.FormationLabel.ETAPES_NUMERIQUES],
        autres_formations_labels="Label EPN Cantal|NetPublic",
        itinerance=[schema.Itinerance.FIXE],
        fiche_acces_libre="https://acceslibre.beta.gouv.fr/app/15-riom/a/mairie/erp/epn/",
        prise_rdv="https://rdv.example.fr/epn-riom",
    )
    bare = PlaceFactory(name="Mairie de Saint-Flour", kind=PlaceKind.MAIRIE, commune=saint_flour, postal_code="15100")
    draft = PlaceFactory(name="Lieu en préparation", commune=saint_flour, postal_code="15100", status=PlaceStatus.DRAFT)
    return {"full": full, "bare": bare, "draft": draft}


def content_of(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_export_urls_are_in_the_url_map():
    assert reverse("places:export_csv") == CSV_URL
    assert reverse("places:export_json") == JSON_URL


def test_csv_export_checks_against_the_rules(client, places):
    response = client.get(CSV_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().strftime("%Y%m%d")
    assert response["Content-Disposition"] == (
        f'attachment; filename="{today}_cybercantal_lieux-de-mediation-numerique_15.csv"'
    )
    text = content_of(response)
    assert not text.startswith("\ufeff")
    assert text.splitlines()[0] == ",".join(lmn.COLUMNS)  # every column, in the schema's order
    rows = csv_rows(text)
    assert [row["nom"] for row in rows] == ["Espace numérique « Le Lien »", "Mairie de Saint-Flour"]  # published only
    for row in rows:
        assert lmn.validate_row(row) == [], row["id"]
    full, bare = rows
    assert full["id"] == "epn-riom-1"
    assert full["telephone"] == "+33471780000"
    assert full["latitude"] == "45.28213456789"
    assert full["date_maj"] == "2025-03-31"
    assert full["services"] == "Aide aux démarches administratives|Loisirs et créations numériques"
    assert full["code_insee"] == "15162"
    assert full["commune"] == "Riom-ès-Montagnes"
    assert full["horaires"] == "Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; PH off"
    assert bare["id"] == f"cybercantal-lieu-{places['bare'].pk}"
    assert bare["pivot"] == "00000000000000"
    assert bare["latitude"] == bare["services"] == ""


def test_json_export_checks_against_the_rules(client, places):
    response = client.get(JSON_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].endswith('_lieux-de-mediation-numerique_15.json"')
    items = json.loads(content_of(response))
    assert len(items) == 2
    full, bare = items
    assert full["latitude"] == 45.28213456789
    assert "complement_adresse" not in bare  # absent values are left out, as the package does
    assert set(full) <= set(lmn.COLUMNS)
    for item in items:
        assert lmn.validate_row({key: str(value) for key, value in item.items()}) == []


def test_exports_are_public_and_not_journalled(client, places):
    from cybercantal.core.models import JournalEntry

    before = JournalEntry.objects.count()
    assert client.get(CSV_URL).status_code == 200
    user = UserFactory()
    grant(user, Role.CITIZEN)
    client.force_login(user)
    assert client.get(JSON_URL).status_code == 200
    assert JournalEntry.objects.count() == before
    assert client.post(CSV_URL).status_code == 405


def test_export_streams_and_reads_the_places_lazily(client, places, django_assert_num_queries, monkeypatch):
    seen = {}
    original = type(Place.objects.all()).iterator

    def spy(self, chunk_size=None):
        seen["chunk_size"] = chunk_size
        return original(self, chunk_size=chunk_size)

    monkeypatch.setattr(type(Place.objects.all()), "iterator", spy)
    monkeypatch.setattr(views_lmn, "STREAM_BUFFER_BYTES", 1)  # one chunk per place, to watch them
    with django_assert_num_queries(0):
        response = client.get(CSV_URL)
        chunks = iter(response.streaming_content)
        header = next(chunks)  # the header goes out before the database is read
    assert header.decode().startswith("id,pivot,nom,")
    rest = list(chunks)
    assert len(rest) == 2  # one chunk per place
    assert seen["chunk_size"] == lmn.EXPORT_CHUNK_SIZE


def test_an_invalid_optional_value_is_emptied_and_an_invalid_place_left_out(client, places):
    Place.objects.filter(pk=places["full"].pk).update(phone="appeler la mairie")
    Place.objects.filter(pk=places["bare"].pk).update(address="« Le Bourg »")
    rows = csv_rows(content_of(client.get(CSV_URL)))
    assert [row["id"] for row in rows] == ["epn-riom-1"]
    assert rows[0]["telephone"] == ""
    assert lmn.validate_row(rows[0]) == []


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL])
def test_import_of_the_export_leaves_places_unchanged(client, places, url):
    manager = UserFactory()
    before = {place.pk: (lmn.place_to_row(place), place.updated_at) for place in lmn.export_queryset()}
    content = b"".join(client.get(url).streaming_content)
    result = lmn.lmn_import(actor=manager, rows=lmn.parse_file(content).rows, mode=lmn.ImportMode.ALL)
    assert result.counts == {"created": 0, "updated": 0, "unchanged": 2, "invalid": 0}
    after = {place.pk: (lmn.place_to_row(place), place.updated_at) for place in lmn.export_queryset()}
    assert after == before
    assert Place.objects.count() == 3


def test_lmn_export_command_writes_both_files(places, tmp_path):
    out = io.StringIO()
    call_command("lmn_export", csv=str(tmp_path / "a.csv"), json=str(tmp_path / "a.json"), stdout=out)
    assert "2 lieux" in out.getvalue()
    rows = csv_rows((tmp_path / "a.csv").read_text(encoding="utf-8"))
    assert [row["id"] for row in rows] == [item["id"] for item in json.loads((tmp_path / "a.json").read_text())]


def test_the_demo_places_export_passes_the_rules_and_round_trips(client, territory):
    """Every demo place (the data ``make run`` loads) exports as a conforming row, and reimports as is."""
    from cybercantal.places.demo import load_demo_places

    load_demo_places()
    queryset = lmn.export_queryset()
    assert queryset.count() > 30
    problems = {}
    for place in queryset:
        errors = lmn.validate_row(lmn.place_to_row(place))
        if errors:
            problems[place.slug] = errors
    assert problems == {}
    content = b"".join(client.get(CSV_URL).streaming_content)
    result = lmn.lmn_import(actor=None, rows=lmn.parse_file(content).rows, mode=lmn.ImportMode.ALL)
    assert result.counts["unchanged"] == queryset.count()
    assert result.counts["created"] == result.counts["updated"] == result.counts["invalid"] == 0
