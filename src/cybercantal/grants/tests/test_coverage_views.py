"""The eligibility page (public) and the coverage management page, for each role."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cybercantal.accounts.models import Role

from ..demo.coverage import sample_files
from ..models import Building, CoverageEdition
from .factories import ProgrammeFactory, days_ago, pdf_bytes
from .factories_coverage import ACTUEL_HEADER, BASE_IMB_HEADER, actuel_row, building_row, csv_bytes, import_sample

pytestmark = pytest.mark.django_db

URL = "/aides/eligibilite/"
MANAGE = "/aides/gestion/couverture/"


@pytest.fixture
def sample(territory):
    import_sample()


def test_urls_are_the_agreed_ones():
    assert reverse("grants:eligibility") == URL
    assert reverse("grants:coverage") == MANAGE
    assert reverse("grants:coverage_make_current", args=["2026T2"]) == MANAGE + "2026T2/en-vigueur/"


# --- Eligibility page ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [None, "applicant", "other_applicant", "instructor", "manager"])
def test_everyone_may_check(client, sample, programme, role, request):
    if role:
        client.force_login(request.getfixturevalue(role))
    response = client.get(URL)
    assert response.status_code == 200
    assert "Vérifier l'éligibilité de vos locaux" in response.content.decode()
    response = client.get(URL, {"commune": "Neuvéglise-sur-Truyère", "adresse": "3 Le Bousquet"})
    assert response.status_code == 200


def test_the_sawmill_sees_its_answer_the_data_the_edition_and_the_link_to_apply(client, sample, programme):
    response = client.get(
        URL, {"dispositif": "auverdata", "commune": "neuveglise sur truyere", "adresse": "3 Le Bousquet"}
    )
    page = response.content.decode()
    assert "Réponse : Éligible" in page
    assert "Vos locaux sont éligibles" in page
    assert "3 Le Bousquet" in page
    assert "Moins de 3 Mbit/s" in page
    assert '<th scope="row">Édition des données</th>' in page
    assert "2026T2" in page
    assert 'href="/aides/dispositifs/auverdata/demander/"' in page
    assert "Demander l'aide" in page


def test_no_link_to_apply_when_not_eligible_and_a_shy_one_when_to_check(client, sample, programme):
    page = client.get(URL, {"commune": "Aurillac", "adresse": "3 rue des Carmes"}).content.decode()
    assert "Réponse : Non éligible" in page
    assert "/demander/" not in page
    page = client.get(URL, {"commune": "15142"}).content.decode()
    assert "Réponse : À vérifier par l&#x27;instructeur" in page
    assert "l&#x27;instructeur vérifiera" in page
    assert "/aides/dispositifs/auverdata/demander/" in page


def test_the_only_open_programme_is_the_default_and_others_can_be_chosen(client, sample, programme):
    closed = ProgrammeFactory(
        slug="ancien", opens_on=days_ago(400), closes_on=days_ago(30), coverage_rule_enabled=False
    )
    page = client.get(URL, {"commune": "Aurillac", "adresse": "3 rue des Carmes"}).content.decode()
    assert "Réponse : Non éligible" in page
    page = client.get(URL, {"dispositif": closed.slug, "commune": "Aurillac"}).content.decode()
    assert "Réponse : Éligible" in page
    assert "ne reçoit pas de demandes en ce moment" in page
    assert "/aides/dispositifs/ancien/demander/" not in page
    # Preselected from the programme page's link.
    page = client.get(URL, {"dispositif": "ancien"}).content.decode()
    assert '<option value="ancien" selected>' in page


@pytest.mark.parametrize(
    ("commune", "message"),
    [
        ("", "Indiquez la commune de vos locaux."),
        ("Clermont-Ferrand", "Aucune commune du département Cantal ne s&#x27;appelle « Clermont-Ferrand »"),
        ("63113", "La commune 63113 n&#x27;est pas dans le département Cantal"),
        ("15999", "Aucune commune du département Cantal n&#x27;a le code 15999."),
        ("aurilac", "Vouliez-vous dire"),
        ("x" * 151, "150 caractères"),
    ],
)
def test_bad_communes_get_a_french_message_next_to_the_field(client, sample, programme, commune, message):
    response = client.get(URL, {"commune": commune, "adresse": "3 Le Bousquet"})
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'aria-invalid="true"' in page
    assert 'id="id_commune_error"' in page
    assert "Réponse :" not in page


def test_a_close_spelling_offers_links_that_answer(client, sample, programme):
    page = client.get(URL, {"commune": "aurilac", "adresse": "3 rue des Carmes"}).content.decode()
    assert "commune=Aurillac" in page
    page = client.get(URL, {"commune": "Aurillac", "adresse": "3 rue des Carmes"}).content.decode()
    assert "Réponse : Non éligible" in page


def test_a_postal_code_shared_by_communes_asks_which_one(client, sample, programme):
    page = client.get(URL, {"commune": "15100"}).content.decode()
    assert "Plusieurs communes ont le code postal 15100" in page
    assert "commune=Saint-Flour" in page
    assert "commune=Laveissenet" in page  # 15100 is its INSEE code
    page = client.get(URL, {"commune": "15300"}).content.decode()  # Murat, Lavigerie...
    assert "Plusieurs communes" in page
    page = client.get(URL, {"commune": "15014"}).content.decode()  # an INSEE code only
    assert "Réponse :" in page


def test_several_open_programmes_ask_which_one(client, sample, programme):
    ProgrammeFactory(slug="autre")
    page = client.get(URL, {"commune": "Aurillac"}).content.decode()
    assert "Choisissez le dispositif d&#x27;aide." in page
    page = client.get(URL, {"commune": "Aurillac", "dispositif": "inconnu"}).content.decode()
    assert "Sélectionnez un choix valide" in page


def test_page_is_a_handful_of_queries(client, sample, programme, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        client.get(URL, {"commune": "15142", "adresse": "3 Le Bousquet"})


# --- Management page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 302), ("applicant", 403), ("other_applicant", 403), ("instructor", 403), ("manager", 200)],
)
def test_only_the_programme_team_manages_coverage(client, sample, role, status, request):
    if role:
        client.force_login(request.getfixturevalue(role))
    assert client.get(MANAGE).status_code == status
    response = client.post(MANAGE, {"edition": "2026T3"})
    assert response.status_code == (status if status != 200 else 400)
    response = client.post(MANAGE + "2026T2/en-vigueur/")
    assert response.status_code == (status if status != 200 else 302)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def sample_uploads() -> dict[str, SimpleUploadedFile]:
    files = sample_files()
    return {
        "communes": upload("commune_debit_filaire.csv", files["communes"].read_bytes()),
        "immeubles": upload("base_imb_15.csv", files["buildings"].read_bytes()),
        "actuel": upload("actuel_15.csv", files["eligibility"].read_bytes()),
    }


def test_manager_imports_the_files_and_sees_the_editions(client, territory, manager, django_assert_max_num_queries):
    client.force_login(manager)
    response = client.post(MANAGE, {"edition": "2026t2", **sample_uploads()})
    assert response.status_code == 302
    edition = CoverageEdition.objects.get(quarter="2026T2")
    assert edition.is_current
    assert edition.building_count == 381
    assert edition.imported_by == manager
    page = client.get(MANAGE).content.decode()
    assert "Édition 2026T2 importée, désormais en vigueur." in page
    assert "base_imb_15.csv (381)" in page
    assert "en vigueur" in page
    # Double submission (two tabs, a double click): the same edition is replaced, not doubled.
    assert client.post(MANAGE, {"edition": "2026T2", **sample_uploads()}).status_code == 302
    assert CoverageEdition.objects.count() == 1
    assert Building.objects.count() == 381
    import_sample(quarter="2025T4")
    with django_assert_max_num_queries(10):
        page = client.get(MANAGE).content.decode()
    assert "Mettre 2026T2 en vigueur" in page
    assert client.post(MANAGE + "2026T2/en-vigueur/").status_code == 302
    assert CoverageEdition.objects.get(is_current=True).quarter == "2026T2"
    assert client.post(MANAGE + "1999T1/en-vigueur/").status_code == 404


def test_a_bad_file_shows_the_report_and_imports_nothing(client, territory, manager):
    client.force_login(manager)
    rows = [building_row("1", "15142", 3, "Le Bousquet"), building_row("2", "63113", 1, "Rue Blatin")]
    response = client.post(
        MANAGE,
        {
            "edition": "2026T2",
            "immeubles": upload("base_imb_15.csv", csv_bytes(BASE_IMB_HEADER, rows)),
            "actuel": upload("actuel_15.csv", csv_bytes(ACTUEL_HEADER, [actuel_row("1", "CU", "TURBO")])),
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "rien n&#x27;a été importé" in page
    assert "classe de débit inconnue : « TURBO »" in page
    assert "la commune 63113 n&#x27;est pas dans le département 15." in page
    assert not CoverageEdition.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"edition": ""}, "Indiquez l&#x27;édition"),
        ({"edition": "2026-2"}, "par exemple 2026T2"),
        ({"edition": "2026T2"}, "Donnez au moins un fichier à importer."),
        ({"edition": "2026T2", "communes": "pas un fichier"}, "Donnez au moins un fichier"),
    ],
)
def test_form_errors(client, territory, manager, data, message):
    client.force_login(manager)
    response = client.post(MANAGE, data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_uploads_are_checked_for_pair_size_and_content(client, territory, manager, settings):
    client.force_login(manager)
    uploads = sample_uploads()
    page = client.post(MANAGE, {"edition": "2026T2", "immeubles": uploads["immeubles"]}).content.decode()
    assert "vont ensemble" in page
    page = client.post(MANAGE, {"edition": "2026T2", "communes": upload("communes.csv", pdf_bytes())}).content.decode()
    assert "Ce n&#x27;est pas un fichier CSV" in page
    page = client.post(MANAGE, {"edition": "2026T2", "communes": upload("communes.csv", b"")}).content.decode()
    assert "Le fichier soumis est vide" in page or "Le fichier est vide" in page
    settings.GRANTS_COVERAGE_MAX_UPLOAD_BYTES = 1024
    page = client.post(MANAGE, {"edition": "2026T2", **sample_uploads()}).content.decode()
    assert "le maximum est 0 Mo" in page or "Mo, le maximum" in page
    assert not CoverageEdition.objects.exists()


def test_manager_needs_the_permission_in_the_service_too(territory, staff):
    from cybercantal.accounts.services import NotAllowed
    from cybercantal.grants.services.coverage import coverage_edition_make_current

    edition = CoverageEdition.objects.create(quarter="2026T1", departement_code="15")
    with pytest.raises(NotAllowed):
        coverage_edition_make_current(actor=staff(Role.GRANT_INSTRUCTOR), edition=edition)
