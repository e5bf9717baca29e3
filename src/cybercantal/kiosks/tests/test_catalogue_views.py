"""Public catalogue pages, the places near a commune, and the staff pages (per role, fuzz,
query counts)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cybercantal.accounts.models import Role
from cybercantal.kiosks.models import Category, Procedure, ProcedureRevision
from cybercantal.kiosks.queries import catalogue as queries
from cybercantal.kiosks.services import catalogue as services
from cybercantal.places.models import PlaceKind, PlaceOffer
from cybercantal.places.tests.factories import PlaceFactory

from .factories import ProcedureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    services.procedures_seed()
    return Procedure.objects.get(slug="carte-identite")


# --- public catalogue -------------------------------------------------------------------------


def test_catalogue_lists_categories_and_procedures_without_sign_in(client, seeded):
    response = client.get(reverse("kiosks:catalogue"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Papiers d&#x27;identité" in html or "Papiers d'identité" in html
    assert "Carte d&#x27;identité" in html
    assert reverse("kiosks:procedure", args=["carte-identite"]) in html
    assert "Santé" in html


@pytest.mark.parametrize("typed", ["carte d'identite", "CARTE IDENTITÉ", "identite"])
def test_catalogue_search_is_accent_and_case_insensitive(client, seeded, typed):
    response = client.get(reverse("kiosks:catalogue"), {"q": typed})
    html = response.content.decode()
    assert reverse("kiosks:procedure", args=["carte-identite"]) in html
    assert reverse("kiosks:procedure", args=["cheque-energie"]) not in html


def test_search_helper_puts_title_matches_first(seeded):
    results = queries.search("vitale")
    assert results[0].slug == "carte-vitale"
    assert queries.search("nimportequoi") == []
    assert {p.category for p in queries.search("", category=Category.HEALTH)} == {Category.HEALTH}


def test_catalogue_search_without_result_says_so(client, seeded):
    response = client.get(reverse("kiosks:catalogue"), {"q": "zzzz"})
    assert "Aucune démarche ne correspond" in response.content.decode()


def test_unpublished_procedures_are_hidden_from_the_public(client, manager):
    hidden = ProcedureFactory(title="Démarche cachée", slug="cachee", is_published=False)
    assert "Démarche cachée" not in client.get(reverse("kiosks:catalogue")).content.decode()
    assert client.get(reverse("kiosks:procedure", args=[hidden.slug])).status_code == 404
    client.force_login(manager)
    assert client.get(reverse("kiosks:procedure", args=[hidden.slug])).status_code == 200


def test_procedure_page_shows_summary_documents_and_official_link(client, seeded):
    response = client.get(reverse("kiosks:procedure", args=["carte-identite"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert seeded.summary.replace("'", "&#x27;") in html
    for document in seeded.document_list():
        assert document.replace("'", "&#x27;") in html
    assert f'href="{seeded.official_url}"' in html
    assert "Où se faire aider près de chez vous" in html


def test_unknown_procedure_is_404(client):
    assert client.get("/demarches/nexiste-pas/").status_code == 404


# --- help near a commune ----------------------------------------------------------------------


@pytest.fixture
def helpers(murat_place, territory):
    from cybercantal.territory.models import Commune

    def commune(name):
        return Commune.objects.current().get(name=name)

    aurillac = commune("Aurillac")
    places = {
        "murat": murat_place,
        "aurillac_kiosk": PlaceFactory(
            name="Maison des services du Cap", kind=PlaceKind.MSAP, offers=[PlaceOffer.KIOSK], commune=aurillac
        ),
        "epn_murat": PlaceFactory(
            name="EPN du Lioran", kind=PlaceKind.EPN, offers=[PlaceOffer.EPN], commune=commune("Murat")
        ),
        "epn_aurillac": PlaceFactory(
            name="EPN d'Aurillac", kind=PlaceKind.EPN, offers=[PlaceOffer.EPN], commune=aurillac
        ),
        "fs_allanche": PlaceFactory(
            name="France Services d'Allanche",
            kind=PlaceKind.FRANCE_SERVICES,
            offers=[PlaceOffer.FRANCE_SERVICES],
            commune=commune("Allanche"),
        ),
    }
    return places


def _point(place):
    return place.latitude, place.longitude


def test_helpers_near_murat_are_ordered_by_distance(helpers, murat_place):
    answer = queries.help_near_commune("murat")
    assert answer.problem == ""
    assert answer.commune.name == "Murat"
    groups = {group.offer: group for group in answer.groups}
    kiosks = groups[PlaceOffer.KIOSK].rows
    assert kiosks[0]["place"] == murat_place
    assert [row["place"].name for row in kiosks] == [
        "Communauté de communes Hautes Terres",
        "Maison des services du Cap",
    ]
    distances = [row["distance_km"] for row in kiosks]
    assert distances == sorted(distances)
    assert distances[0] < 3 < distances[1]
    assert groups[PlaceOffer.EPN].rows[0]["place"].name == "EPN du Lioran"
    assert groups[PlaceOffer.FRANCE_SERVICES].rows[0]["place"].name == "France Services d'Allanche"


def test_helpers_near_aurillac_puts_aurillac_first(helpers):
    answer = queries.help_near_commune("Aurillac")
    groups = {group.offer: group for group in answer.groups}
    assert groups[PlaceOffer.KIOSK].rows[0]["place"].name == "Maison des services du Cap"
    assert groups[PlaceOffer.EPN].rows[0]["place"].name == "EPN d'Aurillac"


def test_procedure_page_near_murat_shows_places(client, seeded, helpers, murat_place):
    response = client.get(reverse("kiosks:procedure", args=["carte-identite"]), {"commune": "murat"})
    html = response.content.decode()
    assert "Les lieux les plus proches de Murat" in html
    assert murat_place.get_absolute_url() in html
    assert html.index("Communauté de communes Hautes Terres") < html.index("Maison des services du Cap")
    assert "4 rue du Faubourg Notre-Dame" in html
    assert " km" in html
    assert "Aujourd" in html


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Trifouillis-les-Oies", "Aucune commune du département"),
        ("Paris", "Aucune commune du département"),
        ("75001", "n&#x27;est pas dans le département"),
        ("saint", "Plusieurs communes correspondent"),
        ("aurilac", "Vouliez-vous dire"),
    ],
)
def test_procedure_page_explains_unknown_ambiguous_and_outside_communes(client, seeded, territory, typed, expected):
    response = client.get(reverse("kiosks:procedure", args=["carte-identite"]), {"commune": typed})
    assert response.status_code == 200
    assert expected in response.content.decode()


def test_commune_outside_the_departement(territory, settings):
    settings.DEPARTEMENT_CODE = "63"
    answer = queries.help_near_commune("Murat")
    assert answer.groups == []
    assert "n'est pas dans le département" in answer.problem


# --- query counts -----------------------------------------------------------------------------


def test_catalogue_page_query_count(client, seeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get(reverse("kiosks:catalogue"), {"q": "carte"})
    assert response.status_code == 200


def test_procedure_page_query_count(client, seeded, helpers, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        client.get(reverse("kiosks:procedure", args=["carte-identite"]))
    # commune lookup (a few queries) + département + 3 kinds of places, whatever their number
    with django_assert_max_num_queries(12):
        response = client.get(reverse("kiosks:procedure", args=["carte-identite"]), {"commune": "murat"})
    assert "Hautes Terres" in response.content.decode()


def test_manage_list_query_count(client, manager, seeded, django_assert_max_num_queries):
    client.force_login(manager)
    client.get(reverse("kiosks:catalogue_manage"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("kiosks:catalogue_manage"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == Procedure.objects.count()


# --- staff pages: access per role -------------------------------------------------------------


def _staff_urls(procedure: Procedure) -> list[tuple[str, str]]:
    revision = procedure.revisions.first()
    return [
        ("get", reverse("kiosks:catalogue_manage")),
        ("get", reverse("kiosks:procedure_create")),
        ("get", reverse("kiosks:procedure_edit", args=[procedure.slug])),
        ("get", reverse("kiosks:procedure_history", args=[procedure.slug])),
        ("post", reverse("kiosks:procedure_restore", args=[procedure.slug, revision.pk])),
    ]


@pytest.mark.parametrize("role", ["anonymous", Role.CITIZEN, "agent_here", "agent_elsewhere", Role.MEDIATOR, "manager"])
def test_staff_pages_per_role(client, seeded, role, staff, agent, other_kiosk, manager):
    users = {
        Role.CITIZEN: lambda: staff(Role.CITIZEN),
        "agent_here": lambda: agent,
        "agent_elsewhere": lambda: staff(Role.KIOSK_AGENT, other_kiosk.place),
        Role.MEDIATOR: lambda: staff(Role.MEDIATOR),
        "manager": lambda: manager,
    }
    if role != "anonymous":
        client.force_login(users[role]())
    for method, url in _staff_urls(seeded):
        response = getattr(client, method)(url)
        if role == "anonymous":
            assert response.status_code == 302, url
            assert "/compte/" in response["Location"], url
        elif role == "manager":
            assert response.status_code in (200, 302), url
        else:
            assert response.status_code == 403, (role, url)
    # Public pages stay open to every role.
    assert client.get(reverse("kiosks:catalogue")).status_code == 200
    assert client.get(reverse("kiosks:procedure", args=[seeded.slug])).status_code == 200


# --- staff pages: create, edit, history, restore ----------------------------------------------

FORM = {
    "title": "Demande de logement étudiant",
    "category": Category.HOUSING,
    "summary": "Demander un logement du Crous. Faire la demande au printemps.",
    "documents": "Avis d'impôt des parents\nCertificat de scolarité",
    "official_url": "https://www.messervices.etudiant.gouv.fr/",
    "official_name": "Mes services étudiant",
    "position": "10",
    "is_published": "on",
    "comment": "Ajout pour les étudiants",
}


def test_manager_creates_edits_and_restores(client, manager):
    client.force_login(manager)
    response = client.post(reverse("kiosks:procedure_create"), FORM)
    assert response.status_code == 302
    procedure = Procedure.objects.get(slug="demande-de-logement-etudiant")
    assert procedure.revisions.get().comment == "Ajout pour les étudiants"

    edit_url = reverse("kiosks:procedure_edit", args=[procedure.slug])
    page = client.get(edit_url).content.decode()
    assert "Mes services étudiant" in page
    response = client.post(edit_url, {**FORM, "documents": "Certificat de scolarité\nRIB", "comment": "Liste"})
    assert response.status_code == 302

    history = client.get(reverse("kiosks:procedure_history", args=[procedure.slug])).content.decode()
    assert "ajouté : RIB" in history
    assert "retiré : Avis d&#x27;impôt des parents" in history
    assert "version en cours" in history
    assert "Liste" in history

    first = procedure.revisions.last()
    response = client.post(reverse("kiosks:procedure_restore", args=[procedure.slug, first.pk]))
    assert response.status_code == 302
    procedure.refresh_from_db()
    assert procedure.documents == FORM["documents"].replace("\r", "")
    assert procedure.revisions.count() == 3


def test_form_shows_french_errors_next_to_fields_and_saves_nothing(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("kiosks:procedure_create"), {**FORM, "official_url": "javascript:alert(1)", "summary": ""}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "https://" in " ".join(form.errors["official_url"])
    assert form.errors["summary"]
    assert "La démarche n'est pas enregistrée" in response.content.decode()
    assert Procedure.objects.count() == 0


def test_duplicate_title_in_form(client, manager, seeded):
    client.force_login(manager)
    response = client.post(reverse("kiosks:procedure_create"), {**FORM, "title": "carte d'identite"})
    assert "déjà" in " ".join(response.context["form"].errors["title"])


def test_restore_of_a_revision_of_another_procedure_is_404(client, manager, seeded):
    client.force_login(manager)
    other = Procedure.objects.exclude(pk=seeded.pk).first()
    response = client.post(reverse("kiosks:procedure_restore", args=[seeded.slug, other.revisions.first().pk]))
    assert response.status_code == 404


# --- fuzz -------------------------------------------------------------------------------------

BAD_VALUES = ["", " ", "x" * 20000, "\x00", "a\x00b", ["liste", "de", "valeurs"], "-1", "9" * 40, "<script>", "é" * 301]


def _counts():
    return Procedure.objects.count(), ProcedureRevision.objects.count()


@pytest.mark.parametrize("value", BAD_VALUES, ids=range(len(BAD_VALUES)))
def test_fuzz_forms_never_500_and_save_nothing(client, manager, seeded, value):
    """Each field in turn gets a bad value; a form shown again (200) has saved nothing; the
    clearly bad values (NUL bytes, huge texts) are always refused. A list posted for a
    field counts as its last value (Django's QueryDict)."""
    client.force_login(manager)
    current = {**services.snapshot(seeded), "is_published": "on", "comment": ""}
    clearly_bad = value in ("\x00", "a\x00b", "x" * 20000)
    for name in ("title", "category", "summary", "documents", "official_url", "official_name", "position", "comment"):
        for url, base in (
            (reverse("kiosks:procedure_create"), FORM),
            (reverse("kiosks:procedure_edit", args=[seeded.slug]), current),
        ):
            before = _counts()
            response = client.post(url, {**base, name: value})
            assert response.status_code < 500, (name, url)
            if response.status_code == 200:
                assert _counts() == before, (name, url)
            if clearly_bad:
                assert response.status_code == 200, (name, url)
                assert _counts() == before
    for params in ({"q": value}, {"categorie": value}):
        assert client.get(reverse("kiosks:catalogue"), params).status_code < 500
    assert client.get(reverse("kiosks:procedure", args=[seeded.slug]), {"commune": value}).status_code < 500
    assert client.get(reverse("kiosks:catalogue_manage"), {"q": value, "page": value}).status_code < 500
