"""The rules of the instruction: each action in its state only, mandatory reasons, amounts
never above the computed aid, the envelope, reopening, double clicks, journal and emails."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry

from ..models import Document, DocumentKind, Message, ReviewNote, Status, StatusChange
from ..queries.envelope import envelope
from ..services import instruction as services
from ..services.workflow import TransitionRefusedError
from .factories import BusinessFactory
from .factories_instruction import dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(programme, business, applicant):
    return dossier(programme=programme, business=business, applicant=applicant, lines=("3200.00", "400.00"))


@pytest.fixture
def reviewing(programme, business, applicant, instructor):
    return dossier(
        programme=programme,
        business=business,
        applicant=applicant,
        status=Status.UNDER_REVIEW,
        instructor=instructor,
        lines=("3200.00", "400.00"),
    )


def _sent(mailoutbox, ref):
    return [m for m in mailoutbox if ref in m.subject]


def test_take_puts_under_review_and_sets_the_instructor(
    submitted, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.application_take(actor=instructor, application=submitted)
    submitted.refresh_from_db()
    assert (submitted.status, submitted.instructor) == (Status.UNDER_REVIEW, instructor)
    mail = _sent(mailoutbox, submitted.reference)
    assert len(mail) == 1
    assert mail[0].subject.endswith(f"Dossier {submitted.reference} en instruction")
    assert submitted.contact_email in mail[0].to
    # The second click finds the dossier already under review.
    with pytest.raises(TransitionRefusedError, match="En instruction"):
        services.application_take(actor=instructor, application=submitted)
    assert StatusChange.objects.filter(application=submitted, to_status=Status.UNDER_REVIEW).count() == 1


def test_applicant_may_not_instruct(submitted, applicant):
    with pytest.raises(NotAllowed):
        services.application_take(actor=applicant, application=submitted)
    with pytest.raises(NotAllowed):
        services.note_add(actor=applicant, application=submitted, text="Je m'ajoute une note")
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_a_line_set_aside_needs_a_reason_and_recomputes_the_aid(reviewing, instructor):
    line = reviewing.lines.get(amount=Decimal("400.00"))
    assert reviewing.computed_aid == Decimal("1800.00")
    with pytest.raises(ValidationError) as caught:
        services.line_set_ineligible(actor=instructor, line=line, reason="   ")
    assert "reason" in caught.value.error_dict
    services.line_set_ineligible(actor=instructor, line=line, reason="Abonnement, pas un investissement")
    reviewing.refresh_from_db()
    line.refresh_from_db()
    assert line.is_ineligible
    assert line.ineligibility_reason == "Abonnement, pas un investissement"
    assert (reviewing.eligible_total, reviewing.computed_aid) == (Decimal("3200.00"), Decimal("1600.00"))
    with pytest.raises(TransitionRefusedError, match="déjà écartée"):
        services.line_set_ineligible(actor=instructor, line=line, reason="encore")
    assert JournalEntry.objects.filter(action="grants.line.set_aside").count() == 1
    services.line_set_eligible(actor=instructor, line=line)
    reviewing.refresh_from_db()
    assert reviewing.computed_aid == Decimal("1800.00")
    with pytest.raises(TransitionRefusedError, match="déjà retenue"):
        services.line_set_eligible(actor=instructor, line=line)


def test_lines_are_marked_only_under_review(submitted, instructor):
    line = submitted.lines.first()
    with pytest.raises(TransitionRefusedError, match="qu'en instruction"):
        services.line_set_ineligible(actor=instructor, line=line, reason="Doublon")
    line.refresh_from_db()
    assert not line.is_ineligible


def test_request_corrections_posts_the_message_and_emails_it(
    reviewing, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError) as caught:
        services.application_request_corrections(actor=instructor, application=reviewing, message="")
    assert caught.value.error_dict["message"][0].messages == ["Dites au demandeur ce qu'il doit corriger."]
    text = "Le devis n'est pas signé : joignez un devis signé."
    with django_capture_on_commit_callbacks(execute=True):
        message = services.application_request_corrections(actor=instructor, application=reviewing, message=text)
    reviewing.refresh_from_db()
    assert reviewing.status == Status.CORRECTIONS
    assert (message.body, message.from_applicant, message.author) == (text, False, instructor)
    mail = _sent(mailoutbox, reviewing.reference)
    assert len(mail) == 1
    assert "corrections" in mail[0].subject
    assert text in mail[0].body
    with pytest.raises(TransitionRefusedError):
        services.application_request_corrections(actor=instructor, application=reviewing, message=text)
    assert Message.objects.filter(application=reviewing).count() == 1


def test_accept_defaults_to_the_computed_aid_and_makes_the_letter(
    reviewing, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.application_accept(actor=instructor, application=reviewing)
    reviewing.refresh_from_db()
    assert reviewing.status == Status.ACCEPTED
    assert reviewing.decided_amount == Decimal("1800.00")
    assert reviewing.decided_by == instructor
    assert reviewing.decided_at is not None
    letters = Document.objects.filter(application=reviewing, kind=DocumentKind.DECISION)
    assert letters.count() == 1
    with letters.get().file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    mail = _sent(mailoutbox, reviewing.reference)
    assert [m.subject.split("] ", 1)[-1] for m in mail] == [f"Dossier {reviewing.reference} accepté"]
    assert envelope(reviewing.programme).committed == Decimal("1800.00")
    # Double click: refused by the state, nothing written twice.
    with pytest.raises(TransitionRefusedError, match="Accepté"):
        services.application_accept(actor=instructor, application=reviewing)
    assert letters.count() == 1
    assert StatusChange.objects.filter(application=reviewing, to_status=Status.ACCEPTED).count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1800.01", "ne peut pas dépasser l'aide calculée (1\u202f800,00\u00a0€)"),
        ("0", "doit être positif"),
        ("-1", "doit être positif"),
        ("abc", "Saisissez un montant"),
        ("1e9", "Saisissez un montant"),
        ("NaN", "Saisissez un montant"),
        ("12.345", "deux décimales"),
        ("9" * 40, "Saisissez un montant"),
        ("99999999999999999", "ne peut pas dépasser"),
    ],
)
def test_accept_refuses_bad_amounts_in_french(reviewing, instructor, amount, message):
    with pytest.raises(ValidationError) as caught:
        services.application_accept(actor=instructor, application=reviewing, amount=amount)
    assert message in " ".join(caught.value.error_dict["amount"][0].messages)
    reviewing.refresh_from_db()
    assert reviewing.status == Status.UNDER_REVIEW
    assert reviewing.decided_amount is None
    assert not Document.objects.filter(kind=DocumentKind.DECISION).exists()


def test_accept_a_lower_amount(reviewing, manager):
    services.application_accept(actor=manager, application=reviewing, amount="1 500,50")
    reviewing.refresh_from_db()
    assert reviewing.decided_amount == Decimal("1500.50")


def test_acceptance_beyond_the_envelope_is_refused_with_the_remaining_amount(programme, instructor):
    programme.budget = Decimal("2500.00")
    programme.save()
    first = dossier(programme=programme, status=Status.UNDER_REVIEW, lines=("3000.00",))
    second = dossier(programme=programme, status=Status.UNDER_REVIEW, lines=("3000.00",), business=BusinessFactory())
    services.application_accept(actor=instructor, application=first)
    with pytest.raises(services.EnvelopeExceededError) as caught:
        services.application_accept(actor=instructor, application=second)
    assert "il reste 1\u202f000,00\u00a0€ sur 2\u202f500,00\u00a0€" in caught.value.message
    second.refresh_from_db()
    assert second.status == Status.UNDER_REVIEW
    assert second.decided_amount is None
    # A lower amount that fits is accepted.
    services.application_accept(actor=instructor, application=second, amount="1000")
    assert envelope(programme).committed == programme.budget


def test_accept_only_under_review(submitted, instructor):
    with pytest.raises(TransitionRefusedError, match="Déposé"):
        services.application_accept(actor=instructor, application=submitted)


def test_refuse_needs_a_reason_and_is_in_the_letter(
    reviewing, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError):
        services.application_refuse(actor=instructor, application=reviewing, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        services.application_refuse(actor=instructor, application=reviewing, reason="Locaux hors zone blanche.")
    reviewing.refresh_from_db()
    assert reviewing.status == Status.REFUSED
    assert reviewing.decision_reason == "Locaux hors zone blanche."
    assert reviewing.decided_amount is None
    mail = _sent(mailoutbox, reviewing.reference)
    assert mail[0].subject.endswith(f"Dossier {reviewing.reference} refusé")
    assert "Locaux hors zone blanche." in mail[0].body
    assert Document.objects.filter(application=reviewing, kind=DocumentKind.DECISION).count() == 1


def test_close_from_submitted_or_corrections(submitted, instructor, mailoutbox, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError):
        services.application_close(actor=instructor, application=submitted, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.application_close(actor=instructor, application=submitted, reason="Demande en double.")
    submitted.refresh_from_db()
    assert submitted.status == Status.CLOSED
    mail = _sent(mailoutbox, submitted.reference)
    assert mail[0].subject.endswith(f"Dossier {submitted.reference} classé sans suite")
    assert "Demande en double." in mail[0].body
    assert submitted.created_by.email in mail[0].to
    with pytest.raises(TransitionRefusedError):
        services.application_close(actor=instructor, application=submitted, reason="Encore")


def test_reopen_releases_the_commitment_and_is_journalled(reviewing, manager):
    services.application_accept(actor=manager, application=reviewing)
    assert envelope(reviewing.programme).committed == Decimal("1800.00")
    with pytest.raises(ValidationError):
        services.application_reopen(actor=manager, application=reviewing, reason="")
    services.application_reopen(actor=manager, application=reviewing, reason="Erreur sur le devis retenu.")
    reviewing.refresh_from_db()
    assert reviewing.status == Status.UNDER_REVIEW
    assert reviewing.decided_amount is None
    assert reviewing.decided_at is None
    assert envelope(reviewing.programme).committed == Decimal("0")
    entry = JournalEntry.objects.get(action="grants.application.reopened")
    assert entry.data["reason"] == "Erreur sur le devis retenu."
    assert entry.data["decided_amount"] == "1800.00"
    with pytest.raises(TransitionRefusedError, match="pas de décision"):
        services.application_reopen(actor=manager, application=reviewing, reason="Encore")


def test_reopen_refused_once_something_is_paid(programme, instructor):
    paid = dossier(programme=programme, status=Status.ACCEPTED, lines=("2000.00",))
    type(paid).objects.filter(pk=paid.pk).update(paid_amount=Decimal("500.00"))
    with pytest.raises(TransitionRefusedError, match="déjà reçu un versement"):
        services.application_reopen(actor=instructor, application=paid, reason="Erreur")
    paid.refresh_from_db()
    assert paid.status == Status.ACCEPTED
    assert paid.decided_amount == Decimal("1000.00")


def test_reopen_is_not_allowed_for_the_applicant(programme, business, applicant):
    refused = dossier(programme=programme, business=business, applicant=applicant, status=Status.REFUSED)
    with pytest.raises(NotAllowed):
        services.application_reopen(actor=applicant, application=refused, reason="Je conteste")


def test_notes_are_kept_once_on_double_click(submitted, instructor, manager):
    services.note_add(actor=instructor, application=submitted, text="Appeler le gérant.")
    services.note_add(actor=instructor, application=submitted, text="Appeler le gérant.")
    services.note_add(actor=manager, application=submitted, text="Appeler le gérant.")
    assert ReviewNote.objects.filter(application=submitted).count() == 2
    with pytest.raises(ValidationError):
        services.note_add(actor=instructor, application=submitted, text="")
    with pytest.raises(ValidationError):
        services.note_add(actor=instructor, application=submitted, text="x" * 5001)


def test_parse_amount_never_takes_a_float():
    with pytest.raises(TypeError):
        services.parse_amount(1.5)
    assert services.parse_amount("1\u202f600,50\u00a0€") == Decimal("1600.50")
