"""LMN import: the service (idempotency, all-or-nothing, valid rows only) and the two-step pages."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry
from cybercantal.places import lmn
from cybercantal.places.models import Place, PlaceKind, PlaceStatus

from .factories import CommuneFactory, PlaceFactory, UserFactory, give_totp, grant
from .test_lmn import csv_bytes, good_row

pytestmark = pytest.mark.django_db

IMPORT_URL = "/lieux/import/"


@pytest.fixture
def riom(db):
    return CommuneFactory(
        insee_code="15162", name="Riom-ès-Montagnes", slug="riom-es-montagnes", postal_codes=["15400"]
    )


@pytest.fixture
def aurillac(db):
    return CommuneFactory(insee_code="15014", name="Aurillac", slug="aurillac", postal_codes=["15000"])


@pytest.fixture
def manager(db):
    user = UserFactory(email="chargee@example.test")
    grant(user, Role.PROGRAMME_MANAGER)
    give_totp(user)
    return user


def parsed(*rows: dict[str, str], columns=lmn.COLUMNS) -> list[lmn.ParsedRow]:
    return lmn.parse_file(csv_bytes(list(rows), columns=columns).encode()).rows


def import_rows(actor, *rows, mode=lmn.ImportMode.ALL, columns=lmn.COLUMNS, **kwargs):
    return lmn.lmn_import(actor=actor, rows=parsed(*rows, columns=columns), mode=mode, **kwargs)


def bad_row() -> dict[str, str]:
    return good_row(id="epn-bad", nom="Lieu faux", code_postal="154", services="Cuisine")


# --- The service ---------------------------------------------------------------------------------


def test_import_twice_creates_then_leaves_unchanged(riom, manager):
    first = import_rows(manager, good_row())
    assert first.counts == {"created": 1, "updated": 0, "unchanged": 0, "invalid": 0}
    place = Place.objects.get(lmn_id="epn-riom-1")
    assert place.commune == riom
    assert place.status == PlaceStatus.PUBLISHED
    assert place.kind == PlaceKind.EPN  # from the typologie
    assert place.services == ["Aide aux démarches administratives", "Accès internet et matériel informatique"]
    assert place.phone == "04 71 78 00 00"
    assert str(place.date_maj) == "2025-03-31"
    assert place.search_text  # derived data kept by the services

    updated_at = place.updated_at
    second = import_rows(manager, good_row())
    assert second.counts == {"created": 0, "updated": 0, "unchanged": 1, "invalid": 0}
    assert Place.objects.count() == 1
    place.refresh_from_db()
    assert place.updated_at == updated_at

    entries = JournalEntry.objects.filter(action=lmn.IMPORT_ACTION).order_by("id")
    assert [(e.data["created"], e.data["unchanged"], e.actor_id) for e in entries] == [
        (1, 0, manager.pk),
        (0, 1, manager.pk),
    ]
    assert entries[0].data["schema_version"] == "1.0.2"


def test_import_updates_the_place_with_the_same_id(riom, manager):
    import_rows(manager, good_row())
    result = import_rows(manager, good_row(nom="EPN de Riom", horaires="Tu-Sa 10:00-18:00", date_maj="2025-04-01"))
    assert result.counts["updated"] == 1
    [line] = result.plan.lines
    assert set(line.fields) == {"name", "opening_hours", "date_maj"}
    place = Place.objects.get()
    assert (place.name, place.opening_hours, str(place.date_maj)) == ("EPN de Riom", "Tu-Sa 10:00-18:00", "2025-04-01")
    assert place.opening_slots.filter(weekday=5).exists()  # Saturday, from the new hours


def test_a_column_absent_from_the_file_is_left_as_it_is(riom, manager):
    import_rows(manager, good_row())
    columns = [column for column in lmn.COLUMNS if column not in {"horaires", "telephone"}]
    result = import_rows(manager, good_row(nom="Nouveau nom"), columns=columns)
    assert result.counts["updated"] == 1
    place = Place.objects.get()
    assert place.name == "Nouveau nom"
    assert place.opening_hours.startswith("Mo-Fr 09:00-12:00")
    assert place.phone == "04 71 78 00 00"


def test_nothing_is_saved_from_a_file_with_errors(riom, manager):
    with pytest.raises(lmn.ImportRefusedError) as refused:
        import_rows(manager, good_row(), bad_row())
    assert refused.value.plan.counts == {"created": 1, "updated": 0, "unchanged": 0, "invalid": 1}
    assert not Place.objects.exists()
    assert not JournalEntry.objects.filter(action__in=[lmn.IMPORT_ACTION, "place.created"]).exists()
    errors = {(e.column, e.value) for e in refused.value.plan.invalid_lines[0].errors}
    assert errors == {("code_postal", "154"), ("services", "Cuisine")}


def test_valid_rows_only_when_asked(riom, manager):
    result = import_rows(manager, good_row(), bad_row(), mode=lmn.ImportMode.VALID_ONLY)
    assert result.counts == {"created": 1, "updated": 0, "unchanged": 0, "invalid": 1}
    assert list(Place.objects.values_list("lmn_id", flat=True)) == ["epn-riom-1"]
    assert JournalEntry.objects.get(action=lmn.IMPORT_ACTION).data["invalid"] == 1


def test_a_row_the_services_refuse_is_reported_and_the_others_kept(riom, manager, monkeypatch):
    from django.core.exceptions import ValidationError

    from cybercantal.places import services

    original = services.place_create

    def refuse_b(**kwargs):
        if kwargs["name"] == "B":
            original(**kwargs)  # writes, then fails: the savepoint must undo it
            raise ValidationError({"website": ["Refusé pour le test."]})
        return original(**kwargs)

    monkeypatch.setattr(services, "place_create", refuse_b)
    result = import_rows(manager, good_row(), good_row(id="b", nom="B"), mode="valid_only")
    assert result.counts == {"created": 1, "updated": 0, "unchanged": 0, "invalid": 1}
    assert [(e.column, e.message) for e in result.plan.invalid_lines[0].errors] == [
        ("site_web", "Refusé pour le test.")
    ]
    assert list(Place.objects.values_list("lmn_id", flat=True)) == ["epn-riom-1"]

    with pytest.raises(lmn.ImportRefusedError):
        import_rows(manager, good_row(id="c", nom="C"), good_row(id="d", nom="B"))
    assert not Place.objects.filter(lmn_id__in=["c", "d"]).exists()  # all or nothing


def test_commune_is_found_by_insee_code_or_by_name(riom, aurillac, manager):
    result = import_rows(
        manager,
        good_row(id="a", nom="A", code_insee="", commune="AURILLAC", code_postal="15000"),
        good_row(id="b", nom="B", code_insee="15162", commune="Riom"),
        good_row(id="c", nom="C", code_insee="15999"),
        good_row(id="d", nom="D", code_insee="", commune="Paris"),
        mode="valid_only",
    )
    assert Place.objects.get(lmn_id="a").commune == aurillac
    assert Place.objects.get(lmn_id="b").commune == riom
    errors = {line.lmn_id: [(e.column, e.message) for e in line.errors] for line in result.plan.invalid_lines}
    assert errors["c"] == [("code_insee", "Aucune commune du territoire n'a le code INSEE 15999.")]
    assert errors["d"][0][0] == "commune"


def test_canton_comes_from_the_commune(riom, manager):
    import_rows(manager, good_row(latitude="", longitude=""))
    assert Place.objects.get().canton == riom.cantons.get()


def test_duplicate_ids_in_one_file_are_errors(riom, manager):
    with pytest.raises(lmn.ImportRefusedError) as refused:
        import_rows(manager, good_row(), good_row(nom="Autre"))
    [line] = refused.value.plan.invalid_lines
    assert line.line == 3
    assert line.errors[0].message == "Identifiant déjà utilisé ligne 2 du fichier."


def test_a_place_entered_by_hand_is_linked_not_duplicated(riom, manager):
    existing = PlaceFactory(name="Espace numérique de Riom", commune=riom, postal_code="15400")
    result = import_rows(manager, good_row())
    assert result.counts["updated"] == 1
    assert Place.objects.count() == 1
    existing.refresh_from_db()
    assert existing.lmn_id == "epn-riom-1"


def test_the_same_upload_is_imported_once(riom, manager):
    import_rows(manager, good_row(), token="jeton-1")
    with pytest.raises(lmn.AlreadyImportedError):
        import_rows(manager, good_row(id="autre", nom="Autre"), token="jeton-1")
    assert Place.objects.count() == 1
    assert lmn.already_imported("jeton-1")
    assert not lmn.already_imported("jeton-2")


def test_the_plan_reads_the_database_in_a_few_queries(riom, manager, django_assert_max_num_queries):
    rows = parsed(*[good_row(id=f"id-{n}", nom=f"Lieu {n}") for n in range(60)])
    with django_assert_max_num_queries(6):
        plan = lmn.lmn_plan(rows)
    assert plan.counts["created"] == 60


# --- The pages -------------------------------------------------------------------------------------


def upload(client, content: bytes, name: str = "lieux.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(IMPORT_URL, {"etape": "envoyer", "fichier": SimpleUploadedFile(name, content)})


def token_of(response) -> str:
    match = re.search(r"jeton=([\w-]+)", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def test_import_page_is_in_the_url_map():
    assert reverse("places:import") == IMPORT_URL


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(IMPORT_URL)
    assert response.status_code == 302
    assert "/compte/" in response["Location"]


@pytest.mark.parametrize("role", [None, Role.CITIZEN, Role.MEDIATOR, Role.KIOSK_AGENT, Role.GRANT_INSTRUCTOR])
def test_other_roles_are_refused(client, riom, role):
    user = UserFactory()
    if role is not None:
        scope = PlaceFactory(commune=riom) if role in {Role.MEDIATOR, Role.KIOSK_AGENT} else None
        grant(user, role, scope=scope)
        give_totp(user)
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, csv_bytes([good_row()]).encode()).status_code == 403
    assert not Place.objects.filter(lmn_id="epn-riom-1").exists()


@pytest.mark.parametrize("role", [Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR])
def test_programme_managers_and_administrators_may_import(client, role):
    user = UserFactory()
    grant(user, role)
    give_totp(user)
    client.force_login(user)
    response = client.get(IMPORT_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_fichier">Fichier des lieux (CSV ou JSON)</label>' in html
    assert 'type="file"' in html


def test_upload_preview_then_import(client, riom, manager):
    client.force_login(manager)
    response = upload(client, csv_bytes([good_row()], delimiter=";").encode("cp1252"))
    assert response.status_code == 302
    token = token_of(response)
    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert preview.status_code == 200
    assert 'Lieux créés</th><td class="num">1<' in html
    assert "Windows-1252" in html
    assert 'value="importer"' in html
    assert "importer_valides" not in html
    assert not Place.objects.exists()  # nothing before the confirmation

    done = client.post(IMPORT_URL, {"jeton": token, "etape": "importer"})
    assert done.status_code == 302
    assert Place.objects.get().name == "Espace numérique de Riom"
    result = client.get(done["Location"])
    assert "Import LMN terminé" in result.content.decode()


def test_a_file_with_errors_shows_them_and_saves_nothing(client, riom, manager):
    client.force_login(manager)
    token = token_of(upload(client, csv_bytes([good_row(), bad_row()]).encode()))
    html = client.get(f"{IMPORT_URL}?jeton={token}").content.decode()
    assert "1 ligne contient des erreurs" in html
    assert "Le code postal compte exactement 5 chiffres." in html
    assert "« Cuisine » n&#x27;est pas une valeur admise par le schéma." in html
    assert 'value="importer"' not in html
    assert 'value="importer_valides"' in html

    refused = client.post(IMPORT_URL, {"jeton": token, "etape": "importer"})
    assert refused.status_code == 400
    assert "rien n&#x27;a été importé" in refused.content.decode()
    assert not Place.objects.exists()

    client.post(IMPORT_URL, {"jeton": token, "etape": "importer_valides"})
    assert list(Place.objects.values_list("lmn_id", flat=True)) == ["epn-riom-1"]


def test_double_submit_imports_once(client, riom, manager):
    client.force_login(manager)
    token = token_of(upload(client, csv_bytes([good_row()]).encode()))
    first = client.post(IMPORT_URL, {"jeton": token, "etape": "importer"})
    second = client.post(IMPORT_URL, {"jeton": token, "etape": "importer"}, follow=True)
    assert first.status_code == 302
    assert "déjà été importé" in second.content.decode()
    assert Place.objects.count() == 1
    assert JournalEntry.objects.filter(action=lmn.IMPORT_ACTION).count() == 1


def test_double_submit_from_a_second_tab_imports_once(client, riom, manager):
    """Two requests carrying the same session state (the second read before the first wrote)."""
    client.force_login(manager)
    token = token_of(upload(client, csv_bytes([good_row()]).encode()))
    session_before = dict(client.session)
    client.post(IMPORT_URL, {"jeton": token, "etape": "importer"})
    session = client.session
    session.update(session_before)  # as the second tab saw it: the upload still pending
    session.save()
    response = client.post(IMPORT_URL, {"jeton": token, "etape": "importer"}, follow=True)
    assert "déjà été importé" in response.content.decode()
    assert JournalEntry.objects.filter(action=lmn.IMPORT_ACTION).count() == 1


def test_cancel_forgets_the_file(client, riom, manager):
    client.force_login(manager)
    token = token_of(upload(client, csv_bytes([good_row()]).encode()))
    response = client.post(IMPORT_URL, {"jeton": token, "etape": "annuler"}, follow=True)
    assert "Import annulé" in response.content.decode()
    assert not Place.objects.exists()
    assert client.post(IMPORT_URL, {"jeton": token, "etape": "importer"}).status_code == 302
    assert not Place.objects.exists()


def test_another_persons_upload_cannot_be_used(client, riom, manager):
    client.force_login(manager)
    token = token_of(upload(client, csv_bytes([good_row()]).encode()))
    other = UserFactory()
    grant(other, Role.PROGRAMME_MANAGER)
    give_totp(other)
    client.force_login(other)  # a new session: the token is not in it
    response = client.post(IMPORT_URL, {"jeton": token, "etape": "importer"}, follow=True)
    assert "plus en attente" in response.content.decode()
    assert not Place.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Le fichier soumis est vide."),
        (b"nom;ville\nEPN;Aurillac\n", "colonnes obligatoires absentes"),
        (b"PK\x03\x04rest", "Ce fichier est un classeur"),
    ],
)
def test_an_unreadable_file_gets_a_message_next_to_the_field(client, manager, content, message):
    client.force_login(manager)
    response = upload(client, content)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html.replace("&#x27;", "'")
    assert 'aria-invalid="true"' in html


def test_json_upload(client, riom, manager):
    client.force_login(manager)
    content = json.dumps([lmn.row_to_json(good_row())], ensure_ascii=False).encode()
    token = token_of(upload(client, content, name="lieux.json"))
    client.post(IMPORT_URL, {"jeton": token, "etape": "importer"})
    assert Place.objects.get().lmn_id == "epn-riom-1"


@pytest.mark.parametrize("where", ["json", "csv_after_4_kb"])
def test_a_nul_character_is_a_row_error_not_a_crash(client, riom, manager, where):
    """A NUL inside a value (JSON "\\u0000", or deep in a CSV) is reported; nothing is saved.

    On PostgreSQL it used to reach the INSERT and end in a 500.
    """
    client.force_login(manager)
    if where == "json":
        content = json.dumps([lmn.row_to_json(good_row(nom="Espace\x00 de Riom"))]).encode()
        response = upload(client, content, name="lieux.json")
    else:
        rows = [good_row(id=f"epn-{n}", nom=f"Espace {n}") for n in range(40)]
        rows.append(good_row(id="epn-nul", nom="Espace\x00 de Riom"))
        content = csv_bytes(rows).encode()
        assert content.index(b"\x00") > 4096  # beyond the "is it a text file?" check
        response = upload(client, content)
    token = token_of(response)
    preview = client.get(f"{IMPORT_URL}?jeton={token}")
    assert "caractère nul" in preview.content.decode()
    refused = client.post(IMPORT_URL, {"jeton": token, "etape": "importer"})
    assert refused.status_code == 400
    assert not Place.objects.filter(lmn_id__in=["epn-riom-1", "epn-nul"]).exists()


def test_cancelling_an_imported_file_says_it_is_too_late(client, riom, manager):
    client.force_login(manager)
    token = token_of(upload(client, csv_bytes([good_row()]).encode()))
    client.post(IMPORT_URL, {"jeton": token, "etape": "importer"})
    response = client.post(IMPORT_URL, {"jeton": token, "etape": "annuler"}, follow=True)
    page = response.content.decode()
    assert "Import annulé" not in page
    assert "il n&#x27;y a plus rien à annuler" in page
    assert Place.objects.count() == 1


def test_pending_uploads_are_bounded_in_the_session(client, riom, manager, monkeypatch):
    """The session is read on every request: the files waiting in it stay within a budget."""
    from cybercantal.places import views_lmn

    client.force_login(manager)
    first = token_of(upload(client, csv_bytes([good_row()]).encode()))
    stored = len(client.session[views_lmn.SESSION_KEY][first]["payload"]) * 3 // 4
    monkeypatch.setattr(views_lmn, "MAX_STORED_BYTES", stored + stored // 2)  # room for one file, not two
    second = token_of(upload(client, csv_bytes([good_row(id="epn-riom-2")]).encode()))
    assert list(client.session[views_lmn.SESSION_KEY]) == [second]
    response = client.get(f"{IMPORT_URL}?jeton={first}", follow=True)
    assert "plus en attente" in response.content.decode()
