"""The public programme pages and the programme team's pages: per role, content, the second
programme made without code, errors next to the fields, fuzz, query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ..models import ExpenseCategory, GrantProgramme, SpeedClass, Status
from ..services import amounts
from .factories import ExpenseLineFactory, ProgrammeFactory
from .factories_programmes import SECOND, SECOND_CATEGORIES, category_rows, commit, edit_data, form_data

pytestmark = pytest.mark.django_db

NBSP, NNBSP = "\u00a0", "\u202f"


def text_of(response) -> str:
    html = response.content.decode()
    return html.replace(NBSP, " ").replace(NNBSP, " ").replace("&#x27;", "'")


ROLES = ["anonymous", "applicant", "other_applicant", "instructor", "manager"]


def sign_in(client, request, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))


# --- public pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_public_pages_are_open_to_everyone(client, request, programme, role):
    sign_in(client, request, role)
    assert client.get(reverse("grants:index")).status_code == 200
    assert client.get(reverse("grants:programme", args=[programme.slug])).status_code == 200


@pytest.mark.parametrize(("role", "status"), [(r, 200 if r == "manager" else 404) for r in ROLES])
def test_unpublished_programme_is_404_except_for_the_programme_team(client, request, role, status):
    hidden = ProgrammeFactory(slug="cache", name="Dispositif caché", is_published=False)
    sign_in(client, request, role)
    response = client.get(reverse("grants:programme", args=[hidden.slug]))
    assert response.status_code == status
    if status == 200:
        assert "n'est pas publié" in text_of(response)
    assert "Dispositif caché" not in text_of(client.get(reverse("grants:index")))


def test_unknown_programme_is_404(client):
    assert client.get("/aides/dispositifs/nexiste-pas/").status_code == 404


def test_index_lists_open_programmes_first_with_their_figures_and_links(client, programme):
    today = timezone.localdate()
    ProgrammeFactory(
        name="Ancien dispositif", opens_on=today - timedelta(days=400), closes_on=today - timedelta(days=30)
    )
    response = client.get(reverse("grants:index"))
    text = text_of(response)
    assert text.index("Auverdata") < text.index("Ancien dispositif")
    assert "Région Auvergne-Rhône-Alpes" in text
    assert "L'aide couvre 50 % de vos dépenses éligibles, jusqu'à 5 000 € par dossier." in text
    assert "1 dispositif ouvert aux demandes aujourd'hui" in text
    assert "/aides/eligibilite/?dispositif=auverdata" in text
    assert "Vérifier mon éligibilité" in text
    assert text.count("Déposer une demande") == 1  # only the open programme
    assert "/aides/dispositifs/auverdata/demander/" in text
    assert "Ouvert" in text
    assert "Clos" in text


def test_programme_page_tells_the_applicant_everything(client, programme):
    programme.applicant_conditions = (
        "L'entreprise est à jour de ses obligations fiscales et sociales.\nLes locaux sont situés dans le Cantal."
    )
    programme.save()
    ExpenseCategory.objects.filter(programme=programme, code="abonnement").update(
        description="Le coût mensuel reste à votre charge."
    )
    commit(programme, "12000.00")
    text = text_of(client.get(reverse("grants:programme", args=[programme.slug])))
    assert "SIRET actif" in text
    assert "L'entreprise est à jour de ses obligations fiscales et sociales." in text
    assert "Les locaux sont situés dans le Cantal." in text
    assert "vos locaux n'ont pas accès à un débit filaire d'au moins 3 Mbit/s" in text
    assert "Équipement (parabole, modem, routeur)" in text
    assert text.index("Dépenses éligibles") < text.index("Installation et mise en service")
    assert text.index("Dépenses exclues") < text.index("Abonnement mensuel")
    assert "Le coût mensuel reste à votre charge." in text
    assert "Reste disponible : 88 000,00 € sur une enveloppe de 100 000,00 €" in text
    assert "12 000,00 € sont déjà engagés" in text
    assert '<progress id="envelope-progress" max="100000.00" value="12000.00"' in text
    assert "mailto:aides@example.org" in text
    assert "Les demandes sont ouvertes du" in text


def test_closed_programme_page_has_no_apply_button(client):
    today = timezone.localdate()
    closed = ProgrammeFactory(opens_on=today - timedelta(days=60), closes_on=today - timedelta(days=1))
    text = text_of(client.get(reverse("grants:programme", args=[closed.slug])))
    assert "Déposer une demande" not in text
    assert "elles sont closes" in text


# --- programme team's pages: access --------------------------------------------------------------


def _manage_urls(programme):
    return [
        reverse("grants:programme_list_manage"),
        reverse("grants:programme_create"),
        reverse("grants:programme_manage", args=[programme.slug]),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_manage_pages_per_role(client, request, programme, role):
    sign_in(client, request, role)
    for url in _manage_urls(programme):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if role == "anonymous":
                assert response.status_code == 302, url
                assert "/compte/" in response["Location"]
            elif role == "manager":
                expected = 405 if (method, url) == ("post", reverse("grants:programme_list_manage")) else 200
                assert response.status_code == expected, url
            else:
                assert response.status_code == 403, (role, url)
    assert GrantProgramme.objects.count() == 1


def test_manage_unknown_programme_is_404(client, manager):
    client.force_login(manager)
    assert client.get("/aides/gestion/dispositifs/inconnu/").status_code == 404


def test_manage_list_shows_each_envelope(client, manager, programme):
    commit(programme, "7000.00")
    other = ProgrammeFactory(name="Autre dispositif", budget=Decimal("20000"), is_published=False)
    commit(other, "500.00", status=Status.ACCEPTED)
    client.force_login(manager)
    text = text_of(client.get(reverse("grants:programme_list_manage")))
    for figure in ("100 000,00 €", "7 000,00 €", "93 000,00 €", "20 000,00 €", "19 500,00 €"):
        assert figure in text
    assert "Autre dispositif" in text


# --- create and edit ----------------------------------------------------------------------------


def test_second_programme_made_through_the_pages_works_without_code(client, manager):
    client.force_login(manager)
    response = client.post(reverse("grants:programme_create"), form_data(SECOND, SECOND_CATEGORIES))
    assert response.status_code == 302, response.context and response.context["form"].errors
    second = GrantProgramme.objects.get(slug="connect-artisans")
    assert response["Location"] == reverse("grants:programme_manage", args=[second.slug])
    assert (second.rate_percent, second.cap_per_application, second.budget) == (
        Decimal("40.00"),
        Decimal("8000.00"),
        Decimal("50000.00"),
    )
    assert second.coverage_threshold == SpeedClass.BHD8
    assert [(c.code, c.is_eligible) for c in second.categories.order_by("position")] == [
        ("antenne", True),
        ("pose", True),
        ("forfait", False),
    ]
    figures = amounts.compute(second, [(Decimal("3200.00"), True), (Decimal("600.00"), False)])
    assert figures.aid == Decimal("1280.00")
    assert amounts.compute(second, [(Decimal("25000.00"), True)]).aid == Decimal("8000.00")
    client.logout()
    text = text_of(client.get(reverse("grants:programme", args=[second.slug])))
    assert "L'aide couvre 40 % de vos dépenses éligibles, jusqu'à 8 000 € par dossier." in text
    assert "d'au moins 8 Mbit/s" in text
    assert "Reste disponible : 50 000,00 €" in text
    assert "Forfait de données" in text
    assert "Communauté de communes Hautes Terres" in text
    # A dossier of this programme counts with its figures too.
    from .factories import ApplicationFactory

    dossier = ApplicationFactory(programme=second)
    ExpenseLineFactory(application=dossier, amount=Decimal("3200.00"))
    assert amounts.application_recompute(application=dossier).aid == Decimal("1280.00")


def test_double_submission_of_create_makes_one_programme(client, manager):
    client.force_login(manager)
    data = form_data(SECOND, SECOND_CATEGORIES)
    assert client.post(reverse("grants:programme_create"), data).status_code == 302
    again = client.post(reverse("grants:programme_create"), data)
    assert again.status_code == 200
    assert "déjà" in " ".join(again.context["form"].errors["slug"])
    assert GrantProgramme.objects.count() == 1
    assert ExpenseCategory.objects.count() == 3


def test_errors_are_in_french_next_to_the_fields_and_nothing_is_saved(client, manager):
    client.force_login(manager)
    bad = {
        **SECOND,
        "opens_on": "2026-06-01",
        "closes_on": "2026-05-01",
        "rate_percent": "150",
        "budget": "-10",
        "code": "a1",
    }
    response = client.post(reverse("grants:programme_create"), form_data(bad, SECOND_CATEGORIES))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "après" in errors["closes_on"][0]
    assert "100" in errors["rate_percent"][0]
    assert "négative" in errors["budget"][0]
    assert "lettres majuscules" in errors["code"][0]
    html = text_of(response)
    assert "Le dispositif n'est pas enregistré" in html
    assert 'aria-invalid="true"' in html
    assert GrantProgramme.objects.count() == 0


def test_lowering_the_budget_below_committed_is_refused_on_the_page(client, manager, programme):
    commit(programme, "12000.00")
    client.force_login(manager)
    url = reverse("grants:programme_manage", args=[programme.slug])
    response = client.post(url, edit_data(programme, budget="10000", rate_percent="45"))
    assert response.status_code == 200
    message = response.context["form"].errors["budget"][0].replace(NBSP, " ").replace(NNBSP, " ")
    assert message == "L'enveloppe ne peut pas être inférieure aux 12 000,00 € déjà engagés."
    programme.refresh_from_db()
    assert (programme.budget, programme.rate_percent) == (Decimal("100000.00"), Decimal("50.00"))
    assert client.post(url, edit_data(programme, budget="12000")).status_code == 302
    programme.refresh_from_db()
    assert programme.budget == Decimal("12000.00")


def test_edit_page_shows_the_programme_and_its_categories(client, manager, programme):
    client.force_login(manager)
    text = text_of(client.get(reverse("grants:programme_manage", args=[programme.slug])))
    assert 'value="Auverdata"' in text
    assert "Abonnement mensuel" in text
    assert "Reste disponible" in text


def test_categories_are_added_reordered_excluded_and_deleted_through_the_page(client, manager, programme):
    client.force_login(manager)
    rows = category_rows(programme)
    by_code = {row["code"]: row for row in rows}
    by_code["equipement"]["position"] = "99"
    by_code["activation"]["excluded"] = True
    by_code["abonnement"]["delete"] = True
    rows.append({"label": "Mât et fixations", "code": "", "description": "Pour la parabole.", "position": "2"})
    rows.append({"label": "", "code": "", "description": "", "position": ""})  # an empty extra row
    response = client.post(reverse("grants:programme_manage", args=[programme.slug]), edit_data(programme, rows))
    assert response.status_code == 302, response.context["formset"].errors
    assert [(c.code, c.is_eligible) for c in programme.categories.order_by("position", "pk")] == [
        ("installation", True),
        ("activation", False),
        ("mat-et-fixations", True),
        ("equipement", True),
    ]


def test_duplicate_category_codes_and_used_category_deletion_are_explained(client, manager, draft):
    programme = draft.programme
    ExpenseLineFactory(application=draft)  # uses « equipement »
    client.force_login(manager)
    url = reverse("grants:programme_manage", args=[programme.slug])
    rows = category_rows(programme)
    rows[1]["code"] = "equipement"
    response = client.post(url, edit_data(programme, rows))
    assert response.status_code == 200
    assert "a déjà ce code" in " ".join(response.context["formset"].forms[1].errors["code"])
    rows = category_rows(programme)
    rows[0]["delete"] = True
    response = client.post(url, edit_data(programme, rows))
    assert response.status_code == 200
    assert "figure dans des dossiers" in " ".join(response.context["category_errors"])
    assert "figure dans des dossiers" in text_of(response)
    assert programme.categories.count() == 4


def test_a_junk_or_foreign_category_id_is_an_error_not_a_500(client, manager, programme):
    client.force_login(manager)
    url = reverse("grants:programme_manage", args=[programme.slug])
    foreign = ProgrammeFactory().categories.first()
    for pk in ("9" * 40, "abc", str(foreign.pk), "1\x00"):
        rows = category_rows(programme)
        rows[0]["pk"] = pk
        response = client.post(url, edit_data(programme, rows))
        assert response.status_code == 200, pk
    assert ExpenseCategory.objects.get(pk=foreign.pk).programme_id != programme.pk


# --- fuzz ------------------------------------------------------------------------------------

BAD_VALUES = ["", " ", "x" * 20000, "\x00", "a\x00b", ["liste", "de", "valeurs"], "-1", "9" * 40, "<script>", "1e999"]
FIELDS = [*SECOND.keys()]


def _counts():
    return GrantProgramme.objects.count(), ExpenseCategory.objects.count()


@pytest.mark.parametrize("value", BAD_VALUES, ids=range(len(BAD_VALUES)))
def test_fuzz_forms_never_500_and_save_nothing_wrong(client, manager, programme, value):
    client.force_login(manager)
    clearly_bad = value in ("\x00", "a\x00b", "x" * 20000)
    for name in FIELDS:
        for url, base in (
            (
                reverse("grants:programme_create"),
                form_data({**SECOND, "slug": "fuzz", "code": "FUZZ"}, SECOND_CATEGORIES),
            ),
            (reverse("grants:programme_manage", args=[programme.slug]), edit_data(programme)),
        ):
            before = _counts()
            response = client.post(url, {**base, name: value})
            assert response.status_code < 500, (name, url)
            if response.status_code == 200:
                assert _counts() == before, (name, url)
            if clearly_bad and name not in ("is_published", "requires_active_siret", "coverage_rule_enabled"):
                assert response.status_code == 200, (name, url)
            GrantProgramme.objects.filter(slug__in=["fuzz", "x"]).delete()
            programme.refresh_from_db()
    for name in ("label", "code", "description", "position", "pk"):
        rows = category_rows(programme)
        rows[0][name] = value
        response = client.post(
            reverse("grants:programme_manage", args=[programme.slug]),
            edit_data(programme, rows),
        )
        assert response.status_code < 500, name
    for key in ("categories-TOTAL_FORMS", "categories-INITIAL_FORMS"):
        data = edit_data(programme)
        data[key] = value
        assert client.post(reverse("grants:programme_manage", args=[programme.slug]), data).status_code < 500
    assert client.get(reverse("grants:programme_list_manage"), {"page": value}).status_code < 500
    assert client.get(reverse("grants:index"), {"page": value}).status_code < 500


def test_management_form_missing_is_an_error(client, manager, programme):
    client.force_login(manager)
    data = {k: v for k, v in edit_data(programme).items() if not k.startswith("categories-")}
    response = client.post(reverse("grants:programme_manage", args=[programme.slug]), data)
    assert response.status_code == 200
    assert programme.categories.count() == 4


# --- query counts ----------------------------------------------------------------------------


def _many_programmes(count: int):
    for _ in range(count):
        programme = ProgrammeFactory()
        commit(programme, "100.00")


def test_index_query_count(client, django_assert_max_num_queries):
    _many_programmes(8)
    with django_assert_max_num_queries(2):  # programmes, categories
        response = client.get(reverse("grants:index"))
    assert len(response.context["cards"]) == 8


def test_programme_page_query_count(client, programme, django_assert_max_num_queries):
    commit(programme, "100.00")
    with django_assert_max_num_queries(4):  # programme, categories, committed, paid
        client.get(reverse("grants:programme", args=[programme.slug]))


def test_manage_list_query_count(client, manager, django_assert_max_num_queries):
    _many_programmes(3)
    client.force_login(manager)
    client.get(reverse("grants:programme_list_manage"))
    with django_assert_max_num_queries(10):
        small = client.get(reverse("grants:programme_list_manage"))
    _many_programmes(12)
    with django_assert_max_num_queries(10):
        big = client.get(reverse("grants:programme_list_manage"))
    assert len(big.context["rows"]) == 15 > len(small.context["rows"])
