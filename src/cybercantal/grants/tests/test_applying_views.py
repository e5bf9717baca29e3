"""Views of applying: who gets what, the business page, starting, the steps with their
background saving (JSON) and stale tabs, bad input kept with its French message, the live aid,
the idempotent submission."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from cybercantal.accounts.models import Organisation, Role
from cybercantal.accounts.queries import holds_role_on
from cybercantal.places.tests.factories import UserFactory

from ..models import Application, EligibilityAnswer, Status, StatusChange
from ..services import applying as services
from .factories import BusinessFactory, ProgrammeFactory, png_bytes, upload, valid_siret
from .factories_applying import add_line, commune_elsewhere, fake_eligibility, neuveglise, ready_to_submit

pytestmark = pytest.mark.django_db

AUTOSAVE = {"X-Autosave": "1"}


def step_url(application, step):
    return reverse("grants:apply_step", kwargs={"reference": application.reference, "step": step})


def submit_url(application):
    return reverse("grants:apply_submit", kwargs={"reference": application.reference})


@pytest.fixture
def eligible(monkeypatch):
    monkeypatch.setattr(services.coverage, "eligibility_check", fake_eligibility(EligibilityAnswer.ELIGIBLE))


# --- Who gets what ------------------------------------------------------------------------------


def test_urls_are_the_agreed_paths(draft):
    assert reverse("grants:business") == "/aides/entreprise/"
    assert reverse("grants:apply_start", kwargs={"slug": "auverdata"}) == "/aides/dispositifs/auverdata/demander/"
    assert step_url(draft, "locaux") == f"/aides/dossiers/{draft.reference}/modifier/locaux/"
    assert submit_url(draft) == f"/aides/dossiers/{draft.reference}/deposer/"


@pytest.mark.parametrize("step", services.STEPS)
def test_step_access_per_role(client, draft, applicant, other_applicant, instructor, manager, step):
    url = step_url(draft, step)
    response = client.get(url)
    assert response.status_code == 302
    assert "/compte/" in response["Location"]
    expected = {applicant: 200, other_applicant: 404, instructor: 403, manager: 403}
    for person, status in expected.items():
        client.force_login(person)
        assert client.get(url).status_code == status, (person, step)
        if status != 200:
            assert client.post(url, {"version": draft.version}).status_code == status


def test_posting_a_step_as_someone_else_changes_nothing(client, draft, other_applicant, instructor):
    for person, status in ((other_applicant, 404), (instructor, 403)):
        client.force_login(person)
        response = client.post(step_url(draft, "entreprise"), {"activity": "Piratage", "version": draft.version})
        assert response.status_code == status
    draft.refresh_from_db()
    assert draft.activity == ""


def test_unknown_step_or_reference_is_404(client, draft, applicant):
    client.force_login(applicant)
    assert client.get(f"/aides/dossiers/{draft.reference}/modifier/etape-inconnue/").status_code == 404
    assert client.get("/aides/dossiers/NOPE-2026-99999/modifier/entreprise/").status_code == 404
    assert client.get(f"/aides/dossiers/{'X' * 300}/modifier/entreprise/").status_code == 404


def test_submitted_dossier_sends_its_applicant_to_the_dossier_page(client, draft, applicant, instructor):
    draft.status = Status.SUBMITTED
    draft.save()
    client.force_login(applicant)
    response = client.get(step_url(draft, "entreprise"))
    assert response.status_code == 302
    assert response["Location"] == f"/aides/dossiers/{draft.reference}/"
    client.force_login(instructor)
    assert client.get(step_url(draft, "entreprise")).status_code == 403


def test_submit_access_per_role(client, draft, other_applicant, instructor, manager):
    assert client.post(submit_url(draft)).status_code == 302  # anonymous: to the sign-in page
    for person, status in ((other_applicant, 404), (instructor, 403), (manager, 403)):
        client.force_login(person)
        assert client.post(submit_url(draft)).status_code == status
    client.force_login(other_applicant)
    assert client.get(submit_url(draft)).status_code == 405
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


# --- Business page -------------------------------------------------------------------------------


def test_business_page_declares_a_business(client, territory):
    person = UserFactory()
    client.force_login(person)
    assert client.get(reverse("grants:business")).status_code == 200
    siret = valid_siret(4242)
    response = client.post(
        reverse("grants:business"),
        {
            "entreprise": "nouvelle",
            "siret": f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}",
            "name": "Scierie de la Truyère",
            "commune": "neuveglise",
            "email": "scierie@example.fr",
            "next": "/aides/dispositifs/auverdata/demander/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/aides/dispositifs/auverdata/demander/"
    organisation = Organisation.objects.get(siret=siret)
    assert organisation.commune.name == "Neuvéglise-sur-Truyère"
    assert holds_role_on(person, {Role.BUSINESS_APPLICANT}, organisation)


@pytest.mark.parametrize(
    ("siret", "message"),
    [
        ("1234", "Un numéro SIRET compte 14 chiffres (vous en avez saisi 4)."),
        ("abcdefghijklmn", "Un numéro SIRET ne contient que des chiffres"),
        ("73282932000075", "clé de contrôle"),
    ],
)
def test_business_page_bad_siret_keeps_what_was_typed(client, siret, message):
    client.force_login(UserFactory())
    response = client.post(
        reverse("grants:business"),
        {"entreprise": "nouvelle", "siret": siret, "name": "Scierie de la Truyère", "email": "s@example.fr"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page.replace("&#x27;", "'")
    assert 'aria-invalid="true"' in page
    assert 'value="Scierie de la Truyère"' in page
    assert f'value="{siret}"' in page


def test_business_page_refuses_a_known_siret_without_hijack(client, business, applicant):
    intruder = UserFactory()
    client.force_login(intruder)
    response = client.post(
        reverse("grants:business"), {"entreprise": "nouvelle", "siret": business.siret, "name": "Moi"}
    )
    assert response.status_code == 400
    assert "déjà inscrite" in response.content.decode()
    assert not holds_role_on(intruder, {Role.BUSINESS_APPLICANT}, business)


def test_business_page_with_several_businesses(client, business, applicant):
    second = BusinessFactory(name="Gîte des Planèzes")
    from cybercantal.places.tests.factories import grant

    grant(applicant, Role.BUSINESS_APPLICANT, second)
    client.force_login(applicant)
    page = client.get(reverse("grants:business")).content.decode()
    assert "Scierie des Planèzes" in page
    assert "Gîte des Planèzes" in page
    assert client.get(reverse("grants:business") + f"?entreprise={second.pk}").status_code == 200
    assert client.get(reverse("grants:business") + f"?entreprise={BusinessFactory().pk}").status_code == 404
    assert client.get(reverse("grants:business") + "?entreprise=99999999999999999999999").status_code == 404
    response = client.post(
        reverse("grants:business"), {"entreprise": second.pk, "siret": second.siret, "name": "Gîte rural"}
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.name == "Gîte rural"


def test_business_page_ignores_an_outside_next(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("grants:business"),
        {"entreprise": "nouvelle", "siret": valid_siret(77), "name": "X", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/aides/entreprise/")


# --- Starting -----------------------------------------------------------------------------------


def test_start_without_business_goes_to_the_business_page(client, programme):
    client.force_login(UserFactory())
    response = client.get(reverse("grants:apply_start", kwargs={"slug": programme.slug}))
    assert response.status_code == 302
    assert response["Location"] == "/aides/entreprise/?next=%2Faides%2Fdispositifs%2Fauverdata%2Fdemander%2F"


def test_start_creates_then_reuses_the_draft(client, programme, business, applicant):
    client.force_login(applicant)
    url = reverse("grants:apply_start", kwargs={"slug": programme.slug})
    assert client.get(url).status_code == 200
    first = client.post(url, {"entreprise": business.pk})
    second = client.post(url, {"entreprise": business.pk})  # double click
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    application = Application.objects.get(organisation=business)
    assert first["Location"] == step_url(application, "entreprise")
    assert client.get(url)["Location"] == step_url(application, "entreprise")  # GET goes straight to it


def test_start_junk_and_foreign_business_choices(client, programme, applicant):
    client.force_login(applicant)
    url = reverse("grants:apply_start", kwargs={"slug": programme.slug})
    for junk in ("abc", "99999999999999999999999", str(BusinessFactory().pk), "1\x00"):
        response = client.post(url, {"entreprise": junk})
        assert response.status_code == 400, junk
        assert "Entreprise inconnue." in response.content.decode()
    assert not Application.objects.exists()


def test_start_closed_or_unpublished_programme(client, applicant):
    from datetime import timedelta

    from django.utils import timezone

    closed = ProgrammeFactory(
        slug="ancien",
        opens_on=timezone.localdate() - timedelta(days=90),
        closes_on=timezone.localdate() - timedelta(days=2),
    )
    client.force_login(applicant)
    response = client.get(reverse("grants:apply_start", kwargs={"slug": closed.slug}))
    assert response.status_code == 200
    assert "sont closes depuis le" in response.content.decode()
    assert client.post(reverse("grants:apply_start", kwargs={"slug": closed.slug})).status_code == 200
    assert not Application.objects.exists()
    hidden = ProgrammeFactory(slug="cache", is_published=False)
    assert client.get(reverse("grants:apply_start", kwargs={"slug": hidden.slug})).status_code == 404


# --- Steps: saving, background saving, stale tabs, bad input --------------------------------------------


def test_business_step_save_and_continue(client, draft, applicant):
    client.force_login(applicant)
    page = client.get(step_url(draft, "entreprise")).content.decode()
    assert 'aria-current="step"' in page
    assert "data-autosave" in page
    response = client.post(
        step_url(draft, "entreprise"),
        {
            "version": draft.version,
            "business_name": "Scierie des Planèzes",
            "siret": draft.siret,
            "activity": "Scierie",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == step_url(draft, "locaux")
    draft.refresh_from_db()
    assert draft.activity == "Scierie"


def test_background_save_answers_json_with_the_new_version(client, draft, applicant):
    client.force_login(applicant)
    response = client.post(
        step_url(draft, "entreprise"), {"version": draft.version, "activity": "Scierie"}, headers=AUTOSAVE
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["saved"] is True
    assert answer["version"] == draft.version + 1
    assert answer["message"].startswith("Brouillon enregistré à ")
    assert " h " in answer["message"]


def test_second_tab_is_told_to_reload_and_overwrites_nothing(client, draft, applicant):
    client.force_login(applicant)
    old = draft.version
    client.post(step_url(draft, "entreprise"), {"version": old, "activity": "Onglet 1"}, headers=AUTOSAVE)
    response = client.post(step_url(draft, "entreprise"), {"version": old, "activity": "Onglet 2"}, headers=AUTOSAVE)
    assert response.status_code == 409
    assert response.json()["stale"] is True
    assert "Rechargez la page" in response.json()["message"]
    plain = client.post(step_url(draft, "entreprise"), {"version": old, "activity": "Onglet 2"})
    assert plain.status_code == 409
    page = plain.content.decode()
    assert "Rechargez la page" in page
    assert 'value="Onglet 2"' in page  # what was typed is still on screen
    assert f'name="version" value="{old}"' in page  # and the page stays stale until reloaded
    draft.refresh_from_db()
    assert draft.activity == "Onglet 1"
    junk = client.post(step_url(draft, "entreprise"), {"version": "abc", "activity": "X"}, headers=AUTOSAVE)
    assert junk.status_code == 409


def test_bad_fields_keep_the_valid_ones(client, draft, applicant):
    client.force_login(applicant)
    response = client.post(
        step_url(draft, "entreprise"),
        {
            "version": draft.version,
            "activity": "Scierie mobile",
            "siret": "123",
            "employees": "abc",
            "contact_email": "pas-une-adresse",
            "iban": "FR00 1234",
        },
    )
    assert response.status_code == 400
    page = response.content.decode().replace("&#x27;", "'")
    assert "Un numéro SIRET compte 14 chiffres (vous en avez saisi 3)." in page
    assert "Indiquez un nombre entier de salariés" in page
    assert "Saisissez une adresse électronique valide" in page
    assert "IBAN" in page
    assert 'value="abc"' in page
    assert 'value="pas-une-adresse"' in page
    draft.refresh_from_db()
    assert draft.activity == "Scierie mobile"  # the valid field is saved
    assert draft.siret != "123"


def test_premises_step_shows_eligibility_at_once(client, territory, draft, applicant, eligible):
    client.force_login(applicant)
    response = client.post(
        step_url(draft, "locaux"),
        {
            "version": draft.version,
            "address": "Lieu-dit Lescure",
            "commune": "neuveglise sur truyere",
            "postal_code": "",
        },
        headers=AUTOSAVE,
    )
    answer = response.json()
    assert answer["saved"] is True
    assert "Éligibilité des locaux : Éligible" in answer["message"]
    assert "Meilleur débit filaire" in answer["panels"]["eligibility"]
    assert "2026T1" in answer["panels"]["eligibility"]
    draft.refresh_from_db()
    assert draft.premises_commune == neuveglise()
    page = client.get(step_url(draft, "locaux")).content.decode()
    assert "Meilleur débit filaire" in page
    assert 'value="Neuvéglise-sur-Truyère"' in page


def test_premises_outside_the_departement(client, territory, draft, applicant, eligible):
    commune_elsewhere()
    client.force_login(applicant)
    response = client.post(
        step_url(draft, "locaux"),
        {
            "version": draft.version,
            "address": "1 place de Jaude",
            "commune": "Clermont-Ferrand",
            "postal_code": "63000",
        },
    )
    assert response.status_code == 400
    page = response.content.decode().replace("&#x27;", "'")
    assert "Clermont-Ferrand n'est pas dans le département (15)" in page
    assert 'value="Clermont-Ferrand"' in page
    draft.refresh_from_db()
    assert draft.premises_address == "1 place de Jaude"  # the valid field is kept
    assert draft.premises_commune is None
    unknown = client.post(
        step_url(draft, "locaux"), {"version": draft.version, "commune": "Zzyzx-les-Bains"}
    ).content.decode()
    assert "Aucune commune du département ne porte ce nom" in unknown.replace("&#x27;", "'")


def test_wrong_postal_code_for_the_commune(client, territory, draft, applicant, eligible):
    client.force_login(applicant)
    response = client.post(
        step_url(draft, "locaux"),
        {"version": draft.version, "commune": "Neuvéglise-sur-Truyère", "postal_code": "75001"},
    )
    assert response.status_code == 400
    assert "Le code postal de Neuvéglise-sur-Truyère est" in response.content.decode()


def _line(draft, **overrides):
    data = {
        "version": draft.version,
        "category": draft.programme.categories.get(code="installation").pk,
        "description": "Installation satellite",
        "amount": "3 200",
    }
    data.update(overrides)
    return data


def test_expense_line_with_quote_and_the_aid(client, draft, applicant):
    client.force_login(applicant)
    response = client.post(step_url(draft, "depenses"), _line(draft, quote=upload("devis.pdf")))
    assert response.status_code == 302
    line = draft.lines.get()
    assert line.amount == Decimal("3200.00")
    assert line.quote.content_type == "application/pdf"
    page = client.get(step_url(draft, "depenses")).content.decode()
    assert "1\u202f600,00\u00a0€" in page
    assert "3\u202f200,00\u00a0€" in page
    assert "Abonnement mensuel" in page  # shown as not counted


def test_live_aid_preview_stores_nothing(client, draft, applicant):
    client.force_login(applicant)
    response = client.post(
        step_url(draft, "depenses"), _line(draft, amount="3 200,00"), headers={"X-Autosave": "preview"}
    )
    answer = response.json()
    assert answer["saved"] is False
    assert answer["aid"] == "1\u202f600,00\u00a0€"
    assert "Aide estimée" in answer["panels"]["figures"]
    assert not draft.lines.exists()
    incomplete = client.post(
        step_url(draft, "depenses"), _line(draft, amount="abc"), headers={"X-Autosave": "preview"}
    ).json()
    assert incomplete["aid"] == "0,00\u00a0€"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "Le montant ne peut pas être négatif."),
        ("99999999999", "Ce montant n'est pas plausible"),
        ("abc", "Saisissez un montant en euros"),
        ("0", "Le montant doit être supérieur à 0"),
        ("12,345", "au centime près"),
        ("", "Indiquez le montant HT."),
    ],
)
def test_bad_amounts_keep_the_line_on_screen(client, draft, applicant, amount, message):
    client.force_login(applicant)
    response = client.post(step_url(draft, "depenses"), _line(draft, amount=amount, description="Parabole 90 cm"))
    assert response.status_code == 400
    page = response.content.decode().replace("&#x27;", "'")
    assert message in page
    assert 'value="Parabole 90 cm"' in page
    assert not draft.lines.exists()


def test_rejected_quote_does_not_erase_the_line(client, draft, applicant, settings):
    client.force_login(applicant)
    response = client.post(step_url(draft, "depenses"), _line(draft, quote=upload("devis.pdf", b"MZ\x90\x00" * 100)))
    assert response.status_code == 400
    page = response.content.decode().replace("&#x27;", "'")
    assert "n'est pas un fichier PDF, JPEG, PNG ou WebP" in page
    assert "La dépense est enregistrée sans ce fichier" in page
    line = draft.lines.get()
    assert line.quote is None
    assert f'name="ligne" value="{line.pk}"' in page  # the form now edits the stored line
    settings.GRANTS_MAX_UPLOAD_BYTES = 1024
    draft.refresh_from_db()
    response = client.post(step_url(draft, "depenses"), _line(draft, ligne=line.pk, quote=upload("gros.pdf")))
    assert "le maximum est" in response.content.decode()
    assert draft.lines.count() == 1
    settings.GRANTS_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    draft.refresh_from_db()
    client.post(
        step_url(draft, "depenses"), _line(draft, ligne=line.pk, quote=upload("photo.png", png_bytes(), "image/png"))
    )
    line.refresh_from_db()
    assert line.quote.content_type == "image/png"


def test_edit_and_remove_a_line(client, draft, applicant):
    line = add_line(draft)
    client.force_login(applicant)
    page = client.get(step_url(draft, "depenses") + f"?ligne={line.pk}").content.decode()
    assert 'value="3200,00"' in page
    assert client.get(step_url(draft, "depenses") + "?ligne=abc").status_code == 404
    draft.refresh_from_db()
    response = client.post(step_url(draft, "depenses"), _line(draft, ligne=line.pk, amount="4000"))
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.amount == Decimal("4000.00")
    draft.refresh_from_db()
    assert draft.computed_aid == Decimal("2000.00")
    response = client.post(step_url(draft, "depenses"), {"version": draft.version, "supprimer": line.pk})
    assert response.status_code == 302
    assert not draft.lines.exists()
    other_line = add_line(ready_draft_of_someone_else())
    response = client.post(step_url(draft, "depenses"), {"version": draft.version, "supprimer": other_line.pk})
    assert response.status_code == 404
    assert other_line.__class__.objects.filter(pk=other_line.pk).exists()


def ready_draft_of_someone_else():
    from .factories import ApplicationFactory

    return ApplicationFactory()


def test_de_minimis_step(client, draft, applicant):
    add_line(draft)
    from ..services import amounts

    amounts.application_recompute(application=draft)
    draft.programme.applicant_conditions = "Être inscrite au RCS ou au RM\nAvoir ses locaux dans le Cantal"
    draft.programme.save()
    client.force_login(applicant)
    page = client.get(step_url(draft, "minimis")).content.decode()
    assert "Être inscrite au RCS ou au RM" in page
    over = client.post(
        step_url(draft, "minimis"),
        {"version": draft.version, "de_minimis_amount": "299 500", "de_minimis_details": "Région 2024", "sworn": "on"},
    )
    assert over.status_code == 400
    text = over.content.decode()
    assert "301\u202f100,00\u00a0€" in text
    assert "Région 2024" in text
    draft.refresh_from_db()
    assert draft.de_minimis_details == "Région 2024"  # kept
    assert draft.de_minimis_amount is None
    ok = client.post(
        step_url(draft, "minimis"),
        {"version": draft.version, "de_minimis_amount": "0", "condition_0": "on", "condition_1": "on", "sworn": "on"},
    )
    assert ok.status_code == 302
    draft.refresh_from_db()
    assert draft.declarations_certified
    draft.refresh_from_db()
    client.post(step_url(draft, "minimis"), {"version": draft.version, "de_minimis_amount": "0", "sworn": "on"})
    draft.refresh_from_db()
    assert not draft.declarations_certified  # a condition left unticked


def test_recap_lists_what_is_missing_with_links(client, draft, applicant):
    client.force_login(applicant)
    page = client.get(step_url(draft, "recapitulatif")).content.decode()
    assert "Ce qu&#x27;il manque" in page or "Ce qu'il manque" in page
    assert step_url(draft, "locaux") in page
    assert "Déposer mon dossier" in page
    response = client.post(submit_url(draft))
    assert response.status_code == 400
    assert "n&#x27;est pas complet" in response.content.decode() or "n'est pas complet" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_double_submit_through_the_view(
    client, territory, draft, applicant, mailoutbox, django_capture_on_commit_callbacks
):
    ready_to_submit(draft, commune=neuveglise())
    client.force_login(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(submit_url(draft))
        second = client.post(submit_url(draft))
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/aides/dossiers/{draft.reference}/"
    assert StatusChange.objects.filter(application=draft).count() == 1
    assert len(mailoutbox) == 1
    messages = [str(m) for m in second.wsgi_request._messages]
    assert any("déjà déposé" in m for m in messages)


def test_step_page_query_count_does_not_grow_with_lines(client, draft, applicant, django_assert_max_num_queries):
    for _ in range(3):
        add_line(draft)
    client.force_login(applicant)
    client.get(step_url(draft, "depenses"))
    with django_assert_max_num_queries(22) as few:
        client.get(step_url(draft, "depenses"))
    for _ in range(20):
        add_line(draft)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(step_url(draft, "depenses"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(step_url(draft, "recapitulatif"))


def test_json_answer_is_valid_even_for_bad_input(client, draft, applicant):
    client.force_login(applicant)
    response = client.post(
        step_url(draft, "entreprise"),
        {"version": draft.version, "employees": "-3", "activity": "X" * 5000},
        headers=AUTOSAVE,
    )
    answer = json.loads(response.content)
    assert answer["saved"] is False
    assert set(answer["errors"]) == {"employees", "activity"}
    assert "sauf" in answer["message"]
