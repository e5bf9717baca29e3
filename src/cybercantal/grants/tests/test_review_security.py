"""Security and data-integrity review of the grants app (issue 7), end to end: who may reach
each page and action, object-level checks (another business's dossier, document, invoice,
line), drafts hidden from the instruction, POST-only actions with CSRF, the applicant's edits
only in draft or corrections, money never written outside the services, private notes never
shown to the applicant nor mailed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry

from ..models import (
    Application,
    Document,
    DocumentKind,
    ExpenseLine,
    InvoiceStatus,
    Message,
    PaidInvoice,
    Status,
    StatusChange,
)
from ..services import instruction as instruction_services
from .factories import BusinessFactory, DocumentFactory, upload
from .factories_dossier import dossier, message, private_note
from .factories_payment import accepted_application, make_invoice

pytestmark = pytest.mark.django_db

NOTE = "NOTE-PRIVEE-7f3a : le gérant a déjà eu une aide refusée, vérifier le devis."


@pytest.fixture
def other_business():
    return BusinessFactory(name="Fromagerie du Puy Mary")


@pytest.fixture
def their_applicant(staff, other_business):
    return staff(Role.BUSINESS_APPLICANT, other_business)


@pytest.fixture
def theirs(programme, other_business, their_applicant):
    """A dossier of another business, under review, with a quote and a line."""
    return dossier(programme=programme, business=other_business, created_by=their_applicant, status=Status.UNDER_REVIEW)


def _login(user):
    client = Client()
    client.force_login(user)
    return client


def _status(client, url):
    """GET ``url``; the status code (the response closed: a served file is not left open)."""
    response = client.get(url)
    if response.streaming:  # read to the end: the client's wrapper closes the file
        b"".join(response.streaming_content)
    return response.status_code


def _quote(application):
    return application.lines.get().quote


# --- Drafts are the business's own: the instruction never sees them ------------------------------


@pytest.fixture
def full_draft(programme, business, applicant):
    return dossier(programme=programme, business=business, created_by=applicant, status=Status.DRAFT)


@pytest.mark.parametrize("who", ["instructor", "manager"])
def test_staff_never_open_a_draft_through_the_dossier_pages(request, full_draft, who):
    client = _login(request.getfixturevalue(who))
    ref = full_draft.reference
    urls = [
        reverse("grants:application", kwargs={"ref": ref}),
        reverse("grants:messages", kwargs={"ref": ref}),
        reverse("grants:document", kwargs={"ref": ref, "pk": _quote(full_draft).pk}),
        reverse("grants:payment", kwargs={"ref": ref}),
        f"/api/aides/dossiers/{ref}",
    ]
    for url in urls:
        assert _status(client, url) == 404, url


def test_staff_cannot_write_on_a_draft_thread(instructor, full_draft):
    response = _login(instructor).post(
        reverse("grants:messages", kwargs={"ref": full_draft.reference}), {"body": "Bonjour", "jeton": "x"}
    )
    assert response.status_code == 404
    assert not Message.objects.filter(application=full_draft).exists()


def test_the_applicant_still_sees_their_draft(applicant, full_draft):
    client = _login(applicant)
    ref = full_draft.reference
    for url in (
        reverse("grants:application", kwargs={"ref": ref}),
        reverse("grants:messages", kwargs={"ref": ref}),
        reverse("grants:document", kwargs={"ref": ref, "pk": _quote(full_draft).pk}),
        f"/api/aides/dossiers/{ref}",
    ):
        assert _status(client, url) == 200, url


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.CORRECTIONS, Status.ACCEPTED])
def test_staff_open_a_dossier_once_submitted(instructor, programme, business, applicant, status):
    application = dossier(programme=programme, business=business, created_by=applicant, status=status)
    client = _login(instructor)
    assert client.get(reverse("grants:application", kwargs={"ref": application.reference})).status_code == 200
    assert client.get(f"/api/aides/dossiers/{application.reference}").status_code == 200


# --- Another business's dossier: 404 everywhere, nothing written --------------------------------


def test_applicant_of_another_business_gets_404_on_every_page(applicant, theirs):
    ref = theirs.reference
    client = _login(applicant)
    gets = [
        reverse("grants:application", kwargs={"ref": ref}),
        reverse("grants:messages", kwargs={"ref": ref}),
        reverse("grants:document", kwargs={"ref": ref, "pk": _quote(theirs).pk}),
        reverse("grants:invoices", kwargs={"ref": ref}),
        reverse("grants:apply_step", kwargs={"reference": ref, "step": "entreprise"}),
        f"/api/aides/dossiers/{ref}",
    ]
    for url in gets:
        assert _status(client, url) == 404, url
    posts = [
        reverse("grants:messages", kwargs={"ref": ref}),
        reverse("grants:apply_step", kwargs={"reference": ref, "step": "entreprise"}),
        reverse("grants:apply_submit", kwargs={"reference": ref}),
        reverse("grants:invoices", kwargs={"ref": ref}),
        reverse("grants:payment_request", kwargs={"ref": ref}),
    ]
    for url in posts:
        assert client.post(url, {"body": "Intrus", "business_name": "Intrus"}).status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.business_name != "Intrus"
    assert not Message.objects.filter(application=theirs).exists()


def test_decision_letter_of_another_business_is_404(applicant, programme, other_business, their_applicant, instructor):
    application = dossier(
        programme=programme, business=other_business, created_by=their_applicant, status=Status.UNDER_REVIEW
    )
    instruction_services.application_accept(actor=instructor, application=application)
    url = reverse("grants:decision_letter", kwargs={"reference": application.reference})
    assert _status(_login(applicant), url) == 404
    assert _status(_login(their_applicant), url) == 200


def test_document_of_another_dossier_through_my_reference_is_404(applicant, programme, business, theirs):
    mine = dossier(programme=programme, business=business, created_by=applicant, status=Status.SUBMITTED)
    url = reverse("grants:document", kwargs={"ref": mine.reference, "pk": _quote(theirs).pk})
    assert _login(applicant).get(url).status_code == 404


def test_line_of_another_dossier_through_my_reference_is_404(applicant, programme, business, theirs):
    mine = dossier(programme=programme, business=business, created_by=applicant, status=Status.DRAFT)
    foreign = theirs.lines.get()
    client = _login(applicant)
    step = reverse("grants:apply_step", kwargs={"reference": mine.reference, "step": "depenses"})
    assert client.get(step, {"ligne": foreign.pk}).status_code == 404
    assert client.post(step, {"supprimer": foreign.pk}).status_code == 404
    response = client.post(
        step, {"ligne": foreign.pk, "category": foreign.category_id, "description": "Volée", "amount": "1"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.description != "Volée"
    assert ExpenseLine.objects.filter(pk=foreign.pk).exists()


def test_instructor_line_of_another_dossier_is_404(instructor, programme, business, applicant, theirs):
    mine = dossier(programme=programme, business=business, created_by=applicant, status=Status.UNDER_REVIEW)
    foreign = theirs.lines.get()
    response = _login(instructor).post(
        reverse("grants:review_line_set_aside", args=[mine.reference, foreign.pk]),
        {f"ligne-{foreign.pk}-reason": "Hors sujet"},
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert not foreign.is_ineligible


def test_invoice_of_another_dossier_is_404_or_untouched(applicant, instructor, programme, business, other_business):
    mine = accepted_application(programme=programme, organisation=business, created_by=applicant)
    theirs_app = accepted_application(programme=programme, organisation=other_business)
    foreign = make_invoice(theirs_app.lines.get(), Decimal("1000.00"))
    # The applicant removes it through their own dossier: not found there, kept.
    _login(applicant).post(reverse("grants:invoice_remove", kwargs={"ref": mine.reference, "pk": foreign.pk}))
    assert PaidInvoice.objects.filter(pk=foreign.pk).exists()
    # The instructor checks it through another dossier: 404, unchanged.
    client = _login(instructor)
    accept = reverse("grants:invoice_accept", kwargs={"ref": mine.reference, "pk": foreign.pk})
    assert client.post(accept, {f"f{foreign.pk}-accepted_amount": "1000"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == InvoiceStatus.PENDING


def test_invoice_for_a_line_of_another_dossier_is_refused(applicant, programme, business, other_business):
    mine = accepted_application(programme=programme, organisation=business, created_by=applicant)
    theirs_app = accepted_application(programme=programme, organisation=other_business)
    response = _login(applicant).post(
        reverse("grants:invoices", kwargs={"ref": mine.reference}),
        {
            "line": theirs_app.lines.get().pk,
            "supplier": "Sat'Auvergne",
            "invoice_number": "F-1",
            "invoice_date": programme.opens_on.isoformat(),
            "amount": "1000",
            "file": upload("facture.pdf"),
        },
    )
    assert response.status_code == 200
    assert not PaidInvoice.objects.exists()


# --- Instruction and payment actions are the staff's ------------------------------------------------


STAFF_POSTS = [
    ("grants:review_take", {}),
    ("grants:review_note", {"note-text": "Note"}),
    ("grants:review_corrections", {"corrections-message": "Corrigez"}),
    ("grants:review_accept", {"accord-amount": ""}),
    ("grants:review_refuse", {"refus-reason": "Non"}),
    ("grants:review_close", {"classement-reason": "Non"}),
    ("grants:review_reopen", {"reouverture-reason": "Non"}),
]


@pytest.mark.parametrize(("name", "data"), STAFF_POSTS)
def test_applicant_is_refused_every_instruction_action(applicant, programme, business, name, data):
    application = dossier(programme=programme, business=business, created_by=applicant, status=Status.UNDER_REVIEW)
    response = _login(applicant).post(reverse(name, args=[application.reference]), data)
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == Status.UNDER_REVIEW
    assert application.decided_amount is None
    assert not application.review_notes.exists()


def test_applicant_is_refused_the_payment_actions(applicant, programme, business):
    application = accepted_application(programme=programme, organisation=business, created_by=applicant)
    invoice = make_invoice(application.lines.get(), Decimal("1000.00"))
    client = _login(applicant)
    ref = application.reference
    assert client.get(reverse("grants:payment", kwargs={"ref": ref})).status_code == 403
    assert (
        client.post(
            reverse("grants:invoice_accept", kwargs={"ref": ref, "pk": invoice.pk}),
            {f"f{invoice.pk}-accepted_amount": "1000"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("grants:payment_order", kwargs={"ref": ref}),
            {"ordered_on": "2026-01-01", "iban": "FR7630006000011234567890189"},
        ).status_code
        == 403
    )
    invoice.refresh_from_db()
    application.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    assert application.status == Status.ACCEPTED
    assert application.paid_amount == 0
    assert client.get(reverse("grants:payments")).status_code == 403
    assert client.get(reverse("grants:payments_export")).status_code == 403


# --- POST only, with CSRF ----------------------------------------------------------------------------


def _post_only_urls(application, invoice_pk, line_pk):
    ref = application.reference
    return [
        reverse("grants:apply_submit", kwargs={"reference": ref}),
        reverse("grants:review_take", args=[ref]),
        reverse("grants:review_note", args=[ref]),
        reverse("grants:review_line_set_aside", args=[ref, line_pk]),
        reverse("grants:review_line_retain", args=[ref, line_pk]),
        reverse("grants:review_corrections", args=[ref]),
        reverse("grants:review_accept", args=[ref]),
        reverse("grants:review_refuse", args=[ref]),
        reverse("grants:review_close", args=[ref]),
        reverse("grants:review_reopen", args=[ref]),
        reverse("grants:invoice_remove", kwargs={"ref": ref, "pk": invoice_pk}),
        reverse("grants:payment_request", kwargs={"ref": ref}),
        reverse("grants:invoice_accept", kwargs={"ref": ref, "pk": invoice_pk}),
        reverse("grants:invoice_reject", kwargs={"ref": ref, "pk": invoice_pk}),
        reverse("grants:payment_order", kwargs={"ref": ref}),
        reverse("grants:coverage_make_current", kwargs={"quarter": "2026T2"}),
    ]


def test_actions_refuse_get_and_posts_without_csrf(manager, programme, business, applicant):
    application = accepted_application(programme=programme, organisation=business, created_by=applicant)
    line = application.lines.get()
    invoice = make_invoice(line, Decimal("1000.00"))
    before = JournalEntry.objects.count()
    client = _login(manager)
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(manager)
    for url in _post_only_urls(application, invoice.pk, line.pk):
        assert client.get(url).status_code == 405, url
        assert csrf_client.post(url, {"reason": "x", "text": "x"}).status_code == 403, url
    # Same for the pages that take a form: a POST without the token changes nothing.
    for url in (
        reverse("grants:messages", kwargs={"ref": application.reference}),
        reverse("grants:programme_create"),
        reverse("grants:payments_export"),
    ):
        assert csrf_client.post(url, {"body": "x"}).status_code == 403, url
    assert JournalEntry.objects.count() == before
    application.refresh_from_db()
    invoice.refresh_from_db()
    assert application.status == Status.ACCEPTED
    assert invoice.status == InvoiceStatus.PENDING


# --- The applicant edits only a draft or a dossier in corrections -----------------------------------

LOCKED_STATES = [Status.SUBMITTED, Status.UNDER_REVIEW, Status.ACCEPTED, Status.REFUSED, Status.CLOSED, Status.PAID]


@pytest.mark.parametrize("status", LOCKED_STATES)
def test_every_editing_endpoint_is_closed_outside_draft_and_corrections(applicant, programme, business, status):
    application = dossier(programme=programme, business=business, created_by=applicant, status=status)
    line = application.lines.get()
    version = application.version
    client = _login(applicant)

    def step(name):
        return reverse("grants:apply_step", kwargs={"reference": application.reference, "step": name})

    posts = [
        (step("entreprise"), {"business_name": "Changée", "version": version}),
        (step("locaux"), {"address": "Ailleurs", "version": version}),
        (step("minimis"), {"de_minimis_amount": "12", "version": version}),
        (step("depenses"), {"category": line.category_id, "description": "Nouvelle", "amount": "99999"}),
        (step("depenses"), {"ligne": line.pk, "category": line.category_id, "description": "X", "amount": "1"}),
        (step("depenses"), {"supprimer": line.pk}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert client.post(url, data, headers={"X-Autosave": "1"}).status_code == 409, url
    upload_response = client.post(
        step("depenses"),
        {
            "ligne": line.pk,
            "category": line.category_id,
            "description": line.description,
            "amount": "1",
            "quote": upload("autre.pdf"),
        },
    )
    assert upload_response.status_code == 302
    application.refresh_from_db()
    line.refresh_from_db()
    assert application.version == version
    assert application.business_name != "Changée"
    assert application.premises_address != "Ailleurs"
    assert application.de_minimis_amount != Decimal("12")
    assert list(application.lines.values_list("pk", flat=True)) == [line.pk]
    assert line.description != "X"
    assert line.amount != Decimal("1")
    assert application.documents.filter(original_name="autre.pdf").count() == 0


@pytest.mark.parametrize("status", [s for s in LOCKED_STATES if s != Status.ACCEPTED])
def test_invoices_are_added_only_to_an_accepted_dossier(applicant, programme, business, status):
    application = dossier(programme=programme, business=business, created_by=applicant, status=status)
    response = _login(applicant).post(
        reverse("grants:invoices", kwargs={"ref": application.reference}),
        {
            "line": application.lines.get().pk,
            "supplier": "Sat'Auvergne",
            "invoice_number": "F-1",
            "invoice_date": programme.opens_on.isoformat(),
            "amount": "1000",
            "file": upload("facture.pdf"),
        },
    )
    assert response.status_code == 302
    assert not PaidInvoice.objects.exists()
    assert not application.documents.filter(kind=DocumentKind.INVOICE).exists()


# --- Reopening with invoices, then corrections: the applicant cannot break the dossier --------------


def test_a_line_with_invoices_cannot_be_deleted_after_a_reopening(client, applicant, instructor, programme, business):
    application = accepted_application(programme=programme, organisation=business, created_by=applicant)
    line = application.lines.get()
    invoice = make_invoice(line, Decimal("1000.00"), status=InvoiceStatus.ACCEPTED)
    instruction_services.application_reopen(actor=instructor, application=application, reason="Erreur de taux")
    instruction_services.application_request_corrections(
        actor=instructor, application=application, message="Corrigez le devis."
    )
    application.refresh_from_db()
    client.force_login(applicant)
    url = reverse("grants:apply_step", kwargs={"reference": application.reference, "step": "depenses"})
    response = client.post(url, {"supprimer": line.pk, "version": application.version})
    assert response.status_code == 302
    assert ExpenseLine.objects.filter(pk=line.pk).exists()
    assert PaidInvoice.objects.filter(pk=invoice.pk).exists()
    shown = client.get(response["Location"], follow=True).content.decode()
    assert "facture" in shown


# --- Money: never above the computation, the decision, the envelope ----------------------------------


def test_accept_through_the_page_never_above_the_computed_aid(instructor, programme, business, applicant):
    application = dossier(programme=programme, business=business, created_by=applicant, status=Status.UNDER_REVIEW)
    response = _login(instructor).post(
        reverse("grants:review_accept", args=[application.reference]), {"accord-amount": "1600,01"}
    )
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == Status.UNDER_REVIEW
    assert application.decided_amount is None


def test_accept_ignores_posted_money_fields(instructor, programme, business, applicant):
    application = dossier(programme=programme, business=business, created_by=applicant, status=Status.UNDER_REVIEW)
    _login(instructor).post(
        reverse("grants:review_accept", args=[application.reference]),
        {"accord-amount": "", "computed_aid": "999999", "paid_amount": "5", "decided_amount": "999999"},
    )
    application.refresh_from_db()
    assert application.status == Status.ACCEPTED
    assert application.decided_amount == Decimal("1600.00") == application.computed_aid
    assert application.paid_amount == 0


def test_applicant_steps_ignore_posted_money_and_state_fields(applicant, programme, business):
    application = dossier(programme=programme, business=business, created_by=applicant, status=Status.DRAFT)
    _login(applicant).post(
        reverse("grants:apply_step", kwargs={"reference": application.reference, "step": "entreprise"}),
        {
            "business_name": "Scierie",
            "version": application.version,
            "status": Status.ACCEPTED,
            "computed_aid": "5000",
            "decided_amount": "5000",
            "paid_amount": "5000",
            "eligibility": "eligible",
            "organisation": BusinessFactory().pk,
        },
    )
    application.refresh_from_db()
    assert application.business_name == "Scierie"
    assert application.status == Status.DRAFT
    assert application.computed_aid == Decimal("1600.00")
    assert application.decided_amount is None
    assert application.paid_amount == 0
    assert application.organisation_id == business.pk


def test_envelope_refuses_an_acceptance_beyond_the_budget(instructor, programme, business, applicant):
    programme.budget = Decimal("1000.00")
    programme.save()
    application = dossier(programme=programme, business=business, created_by=applicant, status=Status.UNDER_REVIEW)
    _login(instructor).post(reverse("grants:review_accept", args=[application.reference]), {"accord-amount": ""})
    application.refresh_from_db()
    assert application.status == Status.UNDER_REVIEW
    assert application.decided_amount is None


# --- Private notes never reach the applicant; journal of decisions and reopenings ---------------------


def test_private_notes_never_reach_the_applicant(
    applicant, instructor, programme, business, mailoutbox, django_capture_on_commit_callbacks
):
    application = dossier(programme=programme, business=business, created_by=applicant, status=Status.UNDER_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        instruction_services.note_add(actor=instructor, application=application, text=NOTE)
        message(application, author=instructor, from_applicant=False, body="Bonjour")
        instruction_services.application_request_corrections(
            actor=instructor, application=application, message="Merci de joindre un devis signé."
        )
    client = _login(applicant)
    ref = application.reference
    for url in (
        reverse("grants:application", kwargs={"ref": ref}),
        reverse("grants:messages", kwargs={"ref": ref}),
        reverse("grants:my_applications"),
        f"/api/aides/dossiers/{ref}",
    ):
        assert NOTE not in client.get(url).content.decode(), url
    assert client.get(reverse("grants:review", args=[ref])).status_code == 403
    assert mailoutbox
    for mail in mailoutbox:
        assert NOTE not in mail.body
        assert NOTE not in mail.subject
    assert not JournalEntry.objects.filter(data__icontains="NOTE-PRIVEE").exists()
    # The instructors do see it.
    assert NOTE in _login(instructor).get(reverse("grants:review", args=[ref])).content.decode()


def test_decision_letter_has_no_private_note(applicant, instructor, programme, business):
    application = dossier(programme=programme, business=business, created_by=applicant, status=Status.UNDER_REVIEW)
    private_note(application, author=instructor, text=NOTE)
    instruction_services.application_accept(actor=instructor, application=application)
    letter = Document.objects.get(application=application, kind=DocumentKind.DECISION)
    from pypdf import PdfReader

    with letter.file.open("rb") as handle:
        text = "".join(page.extract_text() for page in PdfReader(handle).pages)
    assert "1 600,00" in text.replace("\u202f", " ").replace("\xa0", " ")
    assert "NOTE-PRIVEE" not in text


def test_decisions_and_reopening_are_journalled(instructor, programme, business, applicant):
    application = dossier(programme=programme, business=business, created_by=applicant, status=Status.UNDER_REVIEW)
    client = _login(instructor)
    ref = application.reference
    client.post(reverse("grants:review_accept", args=[ref]), {"accord-amount": "1500"})
    client.post(reverse("grants:review_reopen", args=[ref]), {"reouverture-reason": "Devis révisé"})
    client.post(reverse("grants:review_refuse", args=[ref]), {"refus-reason": "Hors zone"})
    actions = list(
        JournalEntry.objects.filter(target_id=str(application.pk), action__startswith="grants.application.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["grants.application.accepted", "grants.application.reopened", "grants.application.refused"]
    reopened = JournalEntry.objects.get(action="grants.application.reopened", target_id=str(application.pk))
    assert reopened.data["reason"] == "Devis révisé"
    assert reopened.data["decided_amount"] == "1500.00"
    assert StatusChange.objects.filter(application=application, comment="Devis révisé").exists()
    application.refresh_from_db()
    assert application.status == Status.REFUSED
    assert application.decided_amount is None


def test_reopen_is_refused_once_paid(instructor, programme, business, applicant):
    application = accepted_application(
        programme=programme, organisation=business, created_by=applicant, status=Status.PAID
    )
    Application.objects.filter(pk=application.pk).update(paid_amount=Decimal("100.00"))
    response = _login(instructor).post(
        reverse("grants:review_reopen", args=[application.reference]), {"reouverture-reason": "Erreur"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.PAID


# --- Uploads are checked by content everywhere ----------------------------------------------------------


def test_every_upload_is_checked_by_content(applicant, instructor, programme, business):
    fake = b"MZ\x90\x00 not a pdf at all"
    draft_app = dossier(programme=programme, business=business, created_by=applicant, status=Status.DRAFT)
    line = draft_app.lines.get()
    client = _login(applicant)
    client.post(
        reverse("grants:apply_step", kwargs={"reference": draft_app.reference, "step": "depenses"}),
        {
            "ligne": line.pk,
            "category": line.category_id,
            "description": line.description,
            "amount": str(line.amount),
            "quote": upload("devis.pdf", fake),
            "version": draft_app.version,
        },
    )
    client.post(
        reverse("grants:messages", kwargs={"ref": draft_app.reference}),
        {"body": "Voici", "files": [upload("piece.pdf", fake)]},
    )
    accepted = accepted_application(programme=programme, organisation=BusinessFactory(), created_by=None)
    other = _login(instructor)
    other.post(
        reverse("grants:messages", kwargs={"ref": accepted.reference}),
        {"body": "Voici", "files": [upload("piece.pdf", fake)]},
    )
    assert not Document.objects.filter(sha256__isnull=False).exclude(sha256="0" * 64).exists()
    assert not Message.objects.exists()


def test_a_document_is_served_with_safe_headers(applicant, programme, business):
    application = dossier(programme=programme, business=business, created_by=applicant, status=Status.SUBMITTED)
    document = DocumentFactory(application=application, original_name='../../etc/passwd".pdf', kind=DocumentKind.QUOTE)
    response = _login(applicant).get(
        reverse("grants:document", kwargs={"ref": application.reference, "pk": document.pk})
    )
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "private" in response["Cache-Control"]
    assert "/" not in response["Content-Disposition"].split("filename", 1)[1]
    b"".join(response.streaming_content)


# --- What the applicant reads of a reopening or a closing is said on the form ---------------------------


def test_reopen_and_close_reasons_are_said_to_reach_the_applicant(
    applicant, instructor, programme, business, mailoutbox, django_capture_on_commit_callbacks
):
    application = dossier(programme=programme, business=business, created_by=applicant, status=Status.UNDER_REVIEW)
    instruction_services.application_accept(actor=instructor, application=application)
    page = _login(instructor).get(reverse("grants:review", args=[application.reference])).content.decode()
    # The reason typed there is mailed to the business and shown in its dossier's history: the
    # label must say so (a note for the instruction only goes in the private notes).
    assert "Motif de la réouverture (journalisé, communiqué au demandeur)" in page
    with django_capture_on_commit_callbacks(execute=True):
        instruction_services.application_reopen(actor=instructor, application=application, reason="Devis révisé")
    assert any("Devis révisé" in mail.body for mail in mailoutbox)
    assert (
        "Devis révisé"
        in _login(applicant).get(reverse("grants:application", kwargs={"ref": application.reference})).content.decode()
    )
    page = _login(instructor).get(reverse("grants:review", args=[application.reference])).content.decode()
    assert "Motif du classement sans suite (communiqué au demandeur)" in page


# --- Staff pages, public pages, the business account ------------------------------------------------------


STAFF_PAGES = [
    "grants:queue",
    "grants:dashboard",
    "grants:dashboard_export",
    "grants:payments",
    "grants:payments_export",
    "grants:coverage",
    "grants:programme_list_manage",
    "grants:programme_create",
]


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_refuse_applicants_and_send_anonymous_to_sign_in(client, applicant, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/")
    assert _status(_login(applicant), url) == 403


def test_api_dossier_needs_a_signed_in_person(client, programme, business, applicant):
    application = dossier(programme=programme, business=business, created_by=applicant, status=Status.SUBMITTED)
    response = client.get(f"/api/aides/dossiers/{application.reference}")
    assert response.status_code == 401
    assert application.reference not in response.content.decode()


def test_unpublished_programme_is_hidden_from_the_public(client, programme, applicant):
    programme.is_published = False
    programme.save()
    assert client.get(reverse("grants:programme", kwargs={"slug": programme.slug})).status_code == 404
    assert client.get(f"/api/aides/dispositifs/{programme.slug}").status_code == 404
    assert _status(_login(applicant), reverse("grants:apply_start", kwargs={"slug": programme.slug})) == 404


def test_another_business_account_is_neither_shown_nor_changed(applicant, other_business, programme):
    client = _login(applicant)
    assert client.get(reverse("grants:business"), {"entreprise": other_business.pk}).status_code == 404
    response = client.post(
        reverse("grants:business"),
        {"entreprise": other_business.pk, "siret": other_business.siret, "name": "Volée"},
    )
    assert response.status_code == 404
    other_business.refresh_from_db()
    assert other_business.name != "Volée"
    # Starting a dossier for a business that is not theirs: a form error, no dossier.
    response = client.post(
        reverse("grants:apply_start", kwargs={"slug": programme.slug}), {"entreprise": other_business.pk}
    )
    assert response.status_code == 400
    assert not Application.objects.filter(organisation=other_business).exists()


def test_payment_never_exceeds_the_decision_nor_the_line(instructor, programme, business, applicant):
    application = accepted_application(
        programme=programme, organisation=business, created_by=applicant, decided=Decimal("1500.00")
    )
    line = application.lines.get()  # 3 200 € HT, aid computed 1 600 €, decided 1 500 €
    make_invoice(line, Decimal("9000.00"), status=InvoiceStatus.ACCEPTED)
    response = _login(instructor).post(
        reverse("grants:payment_order", kwargs={"ref": application.reference}),
        {"ordered_on": timezone.localdate(application.decided_at).isoformat(), "iban": "FR7630006000011234567890189"},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.PAID
    assert application.paid_amount == Decimal("1500.00")
    assert application.payments.get().paid_eligible_total == Decimal("3200.00")
