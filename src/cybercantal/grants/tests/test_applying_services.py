"""The rules of applying: business account (SIRET with its reasons, La Poste, no hijack), the
draft (one per business and programme), the steps with their version (stale tabs), premises in
the département with eligibility, lines and the aid, de minimis, completeness and the
idempotent submission."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from cybercantal.accounts.models import Organisation, Role
from cybercantal.accounts.queries import holds_role_on
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry
from cybercantal.places.tests.factories import UserFactory

from ..models import Application, EligibilityAnswer, Status, StatusChange
from ..services import applying as services
from ..services import workflow
from .factories import ApplicationFactory, BusinessFactory, ProgrammeFactory, upload
from .factories_applying import (
    LA_POSTE_BAD_SIRET,
    LA_POSTE_SIRET,
    add_line,
    commune_elsewhere,
    fake_eligibility,
    neuveglise,
    ready_to_submit,
)

pytestmark = pytest.mark.django_db


# --- SIRET and the business account ----------------------------------------------------------------


def test_stdnum_knows_la_poste_exception():
    from stdnum import luhn
    from stdnum.fr import siret

    assert not luhn.is_valid(LA_POSTE_SIRET)  # would fail the general rule...
    assert siret.is_valid(LA_POSTE_SIRET)  # ...but La Poste's digits add up to a multiple of 5
    assert luhn.is_valid(LA_POSTE_BAD_SIRET)
    assert not siret.is_valid(LA_POSTE_BAD_SIRET)


@pytest.mark.parametrize(
    ("typed", "code", "words"),
    [
        ("123 456 789", "siret_length", "14 chiffres (vous en avez saisi 9)"),
        ("1234567890123A", "siret_format", "que des chiffres"),
        ("73282932000075", "siret_checksum", "clé de contrôle"),
        (LA_POSTE_BAD_SIRET, "siret_checksum", "clé de contrôle"),
    ],
)
def test_business_declare_says_why_a_siret_is_invalid(typed, code, words):
    person = UserFactory()
    with pytest.raises(ValidationError) as caught:
        services.business_declare(actor=person, siret=typed, name="Scierie")
    assert caught.value.error_dict["siret"][0].code == code
    assert words in caught.value.message_dict["siret"][0]
    assert not Organisation.objects.filter(name="Scierie").exists()


def test_business_declare_creates_the_business_and_the_role(django_assert_max_num_queries):
    person = UserFactory()
    organisation = services.business_declare(
        actor=person, siret=" 356 000 000 00001 ", name="Bureau de poste de Chaudes-Aigues", email="poste@example.fr"
    )
    assert organisation.siret == LA_POSTE_SIRET  # spaces removed, La Poste rule accepted
    assert organisation.kind == Organisation.Kind.BUSINESS
    assert holds_role_on(person, {Role.BUSINESS_APPLICANT}, organisation)
    assert JournalEntry.objects.filter(action="grants.business.declared", actor_id=person.pk).exists()
    # Declaring it again: the person already manages it, nothing new.
    assert services.business_declare(actor=person, siret=LA_POSTE_SIRET, name="Autre nom") == organisation
    assert Organisation.objects.filter(siret=LA_POSTE_SIRET).count() == 1


def test_a_known_siret_is_not_taken_over(business, applicant):
    intruder = UserFactory()
    with pytest.raises(ValidationError, match="demandez à la personne qui gère déjà ses dossiers") as caught:
        services.business_declare(actor=intruder, siret=business.siret, name="Ma scierie")
    assert caught.value.error_dict["siret"][0].code == "siret_known"
    assert not holds_role_on(intruder, {Role.BUSINESS_APPLICANT}, business)
    business.refresh_from_db()
    assert business.name == "Scierie des Planèzes"


def test_business_update_only_by_its_applicant(business, applicant, other_applicant):
    services.business_update(actor=applicant, organisation=business, siret=business.siret, name="Scierie Planèzes")
    business.refresh_from_db()
    assert business.name == "Scierie Planèzes"
    with pytest.raises(NotAllowed):
        services.business_update(actor=other_applicant, organisation=business, siret=business.siret, name="X")
    other = BusinessFactory()
    with pytest.raises(ValidationError, match="déjà inscrite"):
        services.business_update(actor=applicant, organisation=business, siret=other.siret, name="Scierie")


# --- Starting ---------------------------------------------------------------------------------------


def test_start_creates_one_draft_with_the_business_data(programme, business, applicant):
    business.email = "scierie@example.fr"
    business.save()
    application, created = services.application_start(actor=applicant, programme=programme, organisation=business)
    assert created
    assert application.reference == f"AUV-{timezone.localdate().year}-{application.pk:05d}"
    assert (application.business_name, application.siret, application.contact_email) == (
        "Scierie des Planèzes",
        business.siret,
        "scierie@example.fr",
    )
    assert application.created_by == applicant
    again, created_again = services.application_start(actor=applicant, programme=programme, organisation=business)
    assert (again, created_again) == (application, False)
    assert Application.objects.filter(organisation=business).count() == 1


def test_start_after_a_concurrent_insert_finds_the_other_draft(programme, business, applicant, monkeypatch):
    """The race: both clicks found no draft; the second insert hits the constraint."""
    first, _ = services.application_start(actor=applicant, programme=programme, organisation=business)
    real_filter = Application.objects.filter
    calls = {"n": 0}

    def filter_missing_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            return real_filter(pk=-1)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Application.objects, "filter", filter_missing_once)
    found, created = services.application_start(actor=applicant, programme=programme, organisation=business)
    assert (found.pk, created) == (first.pk, False)


def test_database_allows_one_draft_per_business_and_programme(draft):
    with pytest.raises(IntegrityError):
        ApplicationFactory(programme=draft.programme, organisation=draft.organisation)


def test_start_refused_when_closed_or_not_the_business(business, applicant, other_applicant):
    closed = ProgrammeFactory(
        opens_on=timezone.localdate() - timedelta(days=60), closes_on=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(services.ProgrammeClosedError, match="closes depuis le"):
        services.application_start(actor=applicant, programme=closed, organisation=business)
    unpublished = ProgrammeFactory(is_published=False)
    with pytest.raises(services.ProgrammeClosedError, match="n'est pas ouvert"):
        services.application_start(actor=applicant, programme=unpublished, organisation=business)
    with pytest.raises(NotAllowed):
        services.application_start(actor=other_applicant, programme=ProgrammeFactory(), organisation=business)


# --- Steps -------------------------------------------------------------------------------------------


def test_business_step_saves_and_bumps_the_version(draft, applicant):
    version = draft.version
    services.application_save_business(
        actor=applicant,
        application=draft,
        version=version,
        activity="Scierie",
        employees=4,
        iban="FR76 3000 6000 0112 3456 7890 189",
    )
    draft.refresh_from_db()
    assert (draft.activity, draft.employees, draft.iban) == ("Scierie", 4, "FR7630006000011234567890189")
    assert draft.version == version + 1
    # Nothing changed: no new version (a background save that finds nothing to do).
    services.application_save_business(actor=applicant, application=draft, version=draft.version, activity="Scierie")
    draft.refresh_from_db()
    assert draft.version == version + 1


def test_a_stale_tab_writes_nothing(draft, applicant):
    old = draft.version
    services.application_save_business(actor=applicant, application=draft, version=old, activity="Tab 1")
    with pytest.raises(services.StaleVersionError, match="Rechargez la page"):
        services.application_save_business(actor=applicant, application=draft, version=old, activity="Tab 2")
    draft.refresh_from_db()
    assert draft.activity == "Tab 1"


def test_bad_iban_and_siret_in_the_dossier_are_refused(draft, applicant):
    with pytest.raises(ValidationError, match="clé de contrôle") as caught:
        services.application_save_business(
            actor=applicant, application=draft, version=None, iban="FR76 3000 6000 0112 3456 7890 188"
        )
    assert "iban" in caught.value.message_dict
    with pytest.raises(ValidationError, match="14 chiffres"):
        services.application_save_business(actor=applicant, application=draft, version=None, siret="12345")


def test_only_the_applicant_edits_only_an_editable_dossier(draft, applicant, other_applicant, instructor):
    for person in (other_applicant, instructor):
        with pytest.raises(NotAllowed):
            services.application_save_business(actor=person, application=draft, version=None, activity="X")
    draft.status = Status.SUBMITTED
    draft.save()
    with pytest.raises(services.NotEditableError, match="Déposé"):
        services.application_save_business(actor=applicant, application=draft, version=None, activity="X")


def test_premises_store_the_eligibility_at_once(territory, draft, applicant, monkeypatch):
    monkeypatch.setattr(services.coverage, "eligibility_check", fake_eligibility(EligibilityAnswer.ELIGIBLE))
    commune = neuveglise()
    services.application_save_premises(
        actor=applicant,
        application=draft,
        version=None,
        address="Lieu-dit Lescure",
        commune=commune,
        postal_code="15260",
    )
    draft.refresh_from_db()
    assert draft.premises_commune == commune
    assert draft.eligibility == EligibilityAnswer.ELIGIBLE
    assert draft.eligibility_snapshot["edition"] == "2026T1"
    assert draft.eligibility_snapshot["explanation"].startswith("Meilleur débit")
    assert draft.canton is not None
    assert draft.canton in commune.cantons.all()


def test_premises_outside_the_departement_are_refused(draft, applicant):
    with pytest.raises(ValidationError, match="n'est pas dans le département") as caught:
        services.application_save_premises(
            actor=applicant, application=draft, version=None, commune=commune_elsewhere()
        )
    assert "commune" in caught.value.message_dict
    draft.refresh_from_db()
    assert draft.premises_commune is None


def test_lines_recompute_the_aid(draft, applicant):
    category = draft.programme.categories.get(code="installation")
    excluded = draft.programme.categories.get(code="abonnement")
    line = services.expense_line_save(
        actor=applicant, application=draft, version=None, category=category, description="Pose", amount=Decimal("3200")
    )
    services.expense_line_save(
        actor=applicant,
        application=draft,
        version=None,
        category=excluded,
        description="Abonnement",
        amount=Decimal("600"),
    )
    draft.refresh_from_db()
    assert (draft.eligible_total, draft.computed_aid) == (Decimal("3200.00"), Decimal("1600.00"))
    services.expense_line_save(
        actor=applicant,
        application=draft,
        version=draft.version,
        category=category,
        description="Pose",
        amount=Decimal("12000"),
        line=line,
    )
    draft.refresh_from_db()
    assert draft.computed_aid == Decimal("5000.00")  # capped
    services.expense_line_delete(actor=applicant, application=draft, version=draft.version, line=line)
    draft.refresh_from_db()
    assert draft.computed_aid == Decimal("0.00")


@pytest.mark.parametrize("amount", [Decimal("-5"), Decimal("0"), Decimal("99999999999"), Decimal("10.001")])
def test_absurd_amounts_are_refused(draft, applicant, amount):
    category = draft.programme.categories.get(code="installation")
    with pytest.raises(ValidationError) as caught:
        services.expense_line_save(
            actor=applicant, application=draft, version=None, category=category, description="X", amount=amount
        )
    assert "amount" in caught.value.message_dict
    assert not draft.lines.exists()


def test_category_of_another_programme_is_refused(draft, applicant):
    foreign = ProgrammeFactory().categories.first()
    with pytest.raises(ValidationError, match="n'appartient pas"):
        services.expense_line_save(
            actor=applicant, application=draft, version=None, category=foreign, description="X", amount=Decimal("10")
        )


def test_refused_quote_keeps_the_line_and_its_previous_quote(draft, applicant, settings):
    line = add_line(draft)
    previous = line.quote
    with pytest.raises(ValidationError, match="n'est pas un fichier PDF") as caught:
        services.expense_line_attach_quote(
            actor=applicant, application=draft, line=line, file=upload("devis.pdf", b"MZ\x90\x00" * 50)
        )
    assert "quote" in caught.value.message_dict
    settings.GRANTS_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationError, match="le maximum est"):
        services.expense_line_attach_quote(actor=applicant, application=draft, line=line, file=upload())
    line.refresh_from_db()
    assert line.quote == previous
    settings.GRANTS_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    services.expense_line_attach_quote(actor=applicant, application=draft, line=line, file=upload("nouveau.pdf"))
    line.refresh_from_db()
    assert line.quote.original_name == "nouveau.pdf"


def test_de_minimis_over_the_ceiling_gives_the_figures(draft, applicant):
    add_line(draft, amount=Decimal("3200"))
    from ..services import amounts

    amounts.application_recompute(application=draft)
    with pytest.raises(ValidationError) as caught:
        services.application_save_de_minimis(
            actor=applicant, application=draft, version=None, amount=Decimal("299000"), certified=True
        )
    message = caught.value.message_dict["de_minimis_amount"][0]
    assert "300\u202f600,00\u00a0€" in message  # 299 000 + 1 600
    assert "300\u202f000,00\u00a0€" in message
    draft.refresh_from_db()
    assert draft.de_minimis_amount is None
    assert not draft.declarations_certified
    services.application_save_de_minimis(
        actor=applicant, application=draft, version=None, amount=Decimal("0"), details="", certified=True
    )
    draft.refresh_from_db()
    assert (draft.de_minimis_amount, draft.declarations_certified) == (Decimal("0.00"), True)


# --- Completeness and submission -------------------------------------------------------------------


def test_missing_lists_each_step(draft):
    draft.siret = ""
    draft.save()
    missing = services.application_missing(draft)
    steps = {m.step for m in missing}
    assert steps == {"entreprise", "locaux", "depenses", "minimis"}
    texts = " ".join(m.message for m in missing)
    assert "SIRET valide" in texts
    assert "commune des locaux" in texts
    assert "Au moins une dépense" in texts
    assert "de minimis" in texts


def test_submit_incomplete_lists_what_is_missing(territory, draft, applicant):
    ready_to_submit(draft, commune=neuveglise())
    line = draft.lines.get()
    line.quote = None
    line.save()
    draft.eligibility = EligibilityAnswer.NOT_ELIGIBLE
    draft.save()
    with pytest.raises(services.SubmissionIncompleteError) as caught:
        services.application_submit(actor=applicant, application=draft)
    messages = [m.message for m in caught.value.missing]
    assert any("devis" in m for m in messages)
    assert any("éligibles" in m for m in messages)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert not StatusChange.objects.filter(application=draft).exists()


def test_submit_is_idempotent(territory, draft, applicant, mailoutbox, django_capture_on_commit_callbacks):
    ready_to_submit(draft, commune=neuveglise())
    with django_capture_on_commit_callbacks(execute=True):
        first = services.application_submit(actor=applicant, application=draft)
    assert not first.already
    assert first.application.status == Status.SUBMITTED
    assert first.application.computed_aid == Decimal("1600.00")
    with django_capture_on_commit_callbacks(execute=True):
        second = services.application_submit(actor=applicant, application=Application.objects.get(pk=draft.pk))
    assert second.already
    assert StatusChange.objects.filter(application=draft, to_status=Status.SUBMITTED).count() == 1
    assert len(mailoutbox) == 1
    assert draft.reference in mailoutbox[0].subject


def test_submit_again_after_corrections(territory, draft, applicant, instructor):
    ready_to_submit(draft, commune=neuveglise())
    services.application_submit(actor=applicant, application=draft)
    workflow.application_transition(actor=instructor, application=draft, to_status=Status.UNDER_REVIEW)
    workflow.application_transition(actor=instructor, application=draft, to_status=Status.CORRECTIONS)
    services.application_save_business(actor=applicant, application=draft, version=None, activity="Scierie mobile")
    result = services.application_submit(actor=applicant, application=draft)
    assert not result.already
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    assert draft.first_submitted_at < draft.submitted_at


def test_submit_refused_for_others_and_for_a_closed_programme(territory, draft, applicant, other_applicant, instructor):
    ready_to_submit(draft, commune=neuveglise())
    for person in (other_applicant, instructor):
        with pytest.raises(NotAllowed):
            services.application_submit(actor=person, application=draft)
    programme = draft.programme
    programme.closes_on = timezone.localdate() - timedelta(days=1)
    programme.opens_on = timezone.localdate() - timedelta(days=30)
    programme.save()
    with pytest.raises(services.SubmissionIncompleteError) as caught:
        services.application_submit(actor=applicant, application=Application.objects.get(pk=draft.pk))
    assert any("closes" in m.message for m in caught.value.missing)
