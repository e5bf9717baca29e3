"""The shared ground of the grants app: aid computation, state machine, documents, envelope."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cybercantal.core.models import JournalEntry

from ..models import Status, StatusChange
from ..queries.envelope import envelope
from ..services import amounts, documents, workflow
from .factories import ApplicationFactory, ExpenseLineFactory, ProgrammeFactory, pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


def test_aid_is_rate_times_eligible_total_capped_and_rounded_once():
    programme = ProgrammeFactory.build(rate_percent=Decimal("50.00"), cap_per_application=Decimal("5000.00"))
    figures = amounts.compute(programme, [(Decimal("3200.00"), True), (Decimal("120.00"), False)])
    assert figures.eligible_total == Decimal("3200.00")
    assert figures.excluded_total == Decimal("120.00")
    assert figures.aid == Decimal("1600.00")
    assert not figures.capped
    odd = amounts.compute(programme, [(Decimal("0.03"), True)])
    assert odd.aid == Decimal("0.02")  # 0.015 rounded half-up
    capped = amounts.compute(programme, [(Decimal("12000.00"), True)])
    assert (capped.aid, capped.capped, capped.uncapped_aid) == (Decimal("5000.00"), True, Decimal("6000.00"))
    with pytest.raises(TypeError):
        amounts.compute(programme, [(1.5, True)])


def test_recompute_counts_only_eligible_categories_and_lines_not_set_aside(draft):
    ExpenseLineFactory(application=draft, amount=Decimal("3200.00"))
    ExpenseLineFactory(
        application=draft, amount=Decimal("500.00"), category=draft.programme.categories.get(code="abonnement")
    )
    ExpenseLineFactory(application=draft, amount=Decimal("100.00"), is_ineligible=True, ineligibility_reason="Doublon")
    figures = amounts.application_recompute(application=draft)
    draft.refresh_from_db()
    assert figures.requested_total == Decimal("3800.00")
    assert (draft.eligible_total, draft.computed_aid) == (Decimal("3200.00"), Decimal("1600.00"))


def test_transitions_follow_the_state_machine_and_are_logged(
    draft, applicant, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.application_transition(actor=applicant, application=draft, to_status=Status.SUBMITTED)
    assert draft.status == Status.SUBMITTED
    assert StatusChange.objects.filter(application=draft, to_status="submitted").count() == 1
    assert JournalEntry.objects.filter(action="grants.application.submitted").count() == 1
    assert mailoutbox
    assert draft.reference in mailoutbox[0].subject
    # A second click on "Déposer" is refused by the state machine, nothing is written twice.
    with pytest.raises(workflow.TransitionRefusedError, match="Déposé"):
        workflow.application_transition(actor=applicant, application=draft, to_status=Status.SUBMITTED)
    with pytest.raises(workflow.TransitionRefusedError):
        workflow.application_transition(actor=instructor, application=draft, to_status=Status.PAID)
    assert StatusChange.objects.filter(application=draft).count() == 1


def test_database_refuses_a_decision_above_the_computed_aid(draft):
    draft.computed_aid = Decimal("1600.00")
    draft.save()
    draft.decided_amount = Decimal("1600.01")
    with pytest.raises(IntegrityError), transaction.atomic():
        draft.save()


def test_documents_are_checked_by_content(draft, applicant):
    stored = documents.document_store(actor=applicant, application=draft, file=upload(), kind="quote")
    assert stored.content_type == "application/pdf"
    with stored.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    image = documents.document_store(
        actor=applicant, application=draft, file=upload("photo.pdf", png_bytes(), "application/pdf"), kind="quote"
    )
    assert image.content_type == "image/png"  # what it is, not what it says
    with pytest.raises(ValidationError, match="n'est pas un fichier PDF, JPEG, PNG ou WebP"):
        documents.document_store(
            actor=applicant, application=draft, file=upload("devis.pdf", b"MZ\x90\x00" * 50), kind="quote"
        )
    with pytest.raises(ValidationError, match="abîmé"):
        documents.document_store(
            actor=applicant, application=draft, file=upload("devis.pdf", pdf_bytes()[:60]), kind="quote"
        )
    with pytest.raises(ValidationError, match="vide"):
        documents.document_store(actor=applicant, application=draft, file=upload("devis.pdf", b""), kind="quote")


def test_too_big_file_is_refused_with_its_size(draft, applicant, settings):
    settings.GRANTS_MAX_UPLOAD_BYTES = 1024 * 1024
    big = pdf_bytes() + b"%" * (2 * 1024 * 1024)
    with pytest.raises(ValidationError, match="le maximum est 1 Mo"):
        documents.document_store(actor=applicant, application=draft, file=upload("devis.pdf", big), kind="quote")


def test_envelope_counts_accepted_and_paid(programme):
    ApplicationFactory(
        programme=programme, status=Status.ACCEPTED, computed_aid=Decimal("1600"), decided_amount=Decimal("1500")
    )
    ApplicationFactory(programme=programme, status=Status.SUBMITTED, computed_aid=Decimal("900"))
    figures = envelope(programme)
    assert (figures.committed, figures.paid, figures.remaining) == (
        Decimal("1500.00"),
        Decimal("0"),
        Decimal("98500.00"),
    )
