"""The payment rules in the services: invoices (added, checked, removed), the computation, the
payment order (once, never above the decision), the request email, the accountant's export."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry

from ..models import Document, InvoiceStatus, PaidInvoice, Payment, Status, StatusChange
from ..queries import payment as queries
from ..services import payment as services
from .factories import png_bytes, upload
from .factories_payment import (
    IBAN,
    accepted_application,
    add_line,
    make_invoice,
    make_payment,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def accepted(programme, business, applicant):
    """The sawmill's accepted dossier: one 3,200 € installation line, 1,600 € decided."""
    return accepted_application(programme=programme, organisation=business, created_by=applicant)


@pytest.fixture
def line(accepted):
    return accepted.lines.get()


def _add(actor, application, line, **overrides):
    values = {
        "line": line,
        "supplier": "Sat'Auvergne",
        "invoice_number": "F-2026-017",
        "invoice_date": timezone.localdate() - timedelta(days=3),
        "amount": D("3200.00"),
        "file": upload("facture.pdf"),
    }
    values.update(overrides)
    return services.invoice_add(actor=actor, application=application, **values)


# --- The computation ---------------------------------------------------------------------------------


def test_payment_is_rate_times_accepted_invoices(accepted, line):
    make_invoice(line, D("3200.00"), status=InvoiceStatus.ACCEPTED)
    figures = services.payment_compute(accepted)
    assert figures.paid_eligible_total == D("3200.00")
    assert figures.amount == D("1600.00")
    assert not figures.capped


def test_invoice_above_the_quote_counts_up_to_the_line(accepted, line):
    make_invoice(line, D("2500.00"), status=InvoiceStatus.ACCEPTED, number="A")
    make_invoice(line, D("1500.00"), status=InvoiceStatus.ACCEPTED, number="B")  # 4,000 € > 3,200 € line
    figures = services.payment_compute(accepted)
    (row,) = figures.lines
    assert (row.accepted, row.retained, row.above_line) == (D("4000.00"), D("3200.00"), True)
    assert figures.amount == D("1600.00")


def test_only_accepted_invoices_and_accepted_amounts_count(accepted, line):
    make_invoice(line, D("1000.00"), status=InvoiceStatus.ACCEPTED, accepted_amount=D("800.00"), number="A")
    make_invoice(line, D("900.00"), status=InvoiceStatus.PENDING, number="B")
    make_invoice(line, D("700.00"), status=InvoiceStatus.REJECTED, number="C")
    figures = services.payment_compute(accepted)
    assert figures.lines[0].invoiced == D("2600.00")
    assert figures.paid_eligible_total == D("800.00")
    assert figures.amount == D("400.00")


def test_excluded_lines_are_ignored(accepted, line):
    subscription = add_line(accepted, D("500.00"), category_code="abonnement")
    set_aside = add_line(accepted, D("400.00"), is_ineligible=True, ineligibility_reason="Doublon")
    make_invoice(line, D("1000.00"), status=InvoiceStatus.ACCEPTED)
    # Invoices on lines that do not count (made directly: the service refuses them).
    make_invoice(subscription, D("500.00"), status=InvoiceStatus.ACCEPTED)
    make_invoice(set_aside, D("400.00"), status=InvoiceStatus.ACCEPTED)
    figures = services.payment_compute(accepted)
    assert [row.retained for row in figures.lines] == [D("1000.00"), D("0.00"), D("0.00")]
    assert figures.amount == D("500.00")


def test_cap_from_the_decided_amount_and_what_is_already_paid(programme, business, applicant):
    application = accepted_application(
        programme=programme, organisation=business, created_by=applicant, lines=[D("3200.00")], decided=D("1200.00")
    )
    line = application.lines.get()
    make_invoice(line, D("3200.00"), status=InvoiceStatus.ACCEPTED)
    figures = services.payment_compute(application)
    assert (figures.uncapped, figures.amount, figures.capped) == (D("1600.00"), D("1200.00"), True)
    application.paid_amount = D("1000.00")
    figures = services.payment_compute(application)
    assert figures.amount == D("200.00")


def test_programme_cap_comes_through_the_decision(programme, business, applicant):
    # 12,000 € eligible: 6,000 € uncapped, the 5,000 € programme cap is in the decided amount.
    application = accepted_application(
        programme=programme, organisation=business, created_by=applicant, lines=[D("12000.00")]
    )
    assert application.decided_amount == D("5000.00")
    make_invoice(application.lines.get(), D("12000.00"), status=InvoiceStatus.ACCEPTED)
    assert services.payment_compute(application).amount == D("5000.00")


def test_rounded_half_up_once_on_the_total(programme, business, applicant):
    application = accepted_application(
        programme=programme, organisation=business, created_by=applicant, lines=[D("0.03"), D("0.03")]
    )
    for expense in application.lines.all():
        make_invoice(expense, expense.amount, status=InvoiceStatus.ACCEPTED)
    figures = services.payment_compute(application)
    # 50 % of 0.06 is 0.03; rounding each line (0.015 -> 0.02) would give 0.04.
    assert (figures.paid_eligible_total, figures.uncapped, figures.amount) == (D("0.06"), D("0.03"), D("0.03"))


# --- Invoices: the business ------------------------------------------------------------------------------


def test_business_adds_an_invoice_checked_by_content(accepted, line, applicant):
    invoice = _add(applicant, accepted, line)
    assert invoice.status == InvoiceStatus.PENDING
    assert invoice.document.kind == "invoice"
    assert invoice.document.content_type == "application/pdf"
    assert JournalEntry.objects.filter(action="grants.invoice.added", target_id=str(accepted.pk)).exists()
    image = _add(applicant, accepted, line, invoice_number="F2", file=upload("scan.png", png_bytes(), "image/png"))
    assert image.document.content_type == "image/png"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"supplier": "  "}, "supplier", "Indiquez le fournisseur."),
        ({"supplier": "x" * 201}, "supplier", "200 caractères"),
        ({"invoice_number": ""}, "invoice_number", "numéro"),
        ({"invoice_date": timezone.localdate() + timedelta(days=1)}, "invoice_date", "futur"),
        ({"invoice_date": timezone.localdate() - timedelta(days=400)}, "invoice_date", "ouverture du dispositif"),
        ({"invoice_date": "2026-01-01"}, "invoice_date", "date"),
        ({"amount": D("0")}, "amount", "supérieur à zéro"),
        ({"amount": D("-5")}, "amount", "supérieur à zéro"),
        ({"amount": D("12.345")}, "amount", "deux chiffres"),
        ({"amount": D("99999999")}, "amount", "plausible"),
        ({"amount": 12.5}, "amount", "euros"),
        ({"amount": "abc"}, "amount", "euros"),
        ({"file": None}, "file", "Joignez"),
        ({"file": upload("facture.pdf", b"MZ\x90\x00 not a pdf")}, "file", "n'est pas un fichier"),
        ({"file": upload("facture.pdf", b"")}, "file", "vide"),
    ],
)
def test_bad_invoice_input_is_refused_with_a_french_message(accepted, line, applicant, overrides, field, message):
    with pytest.raises(ValidationError) as caught:
        _add(applicant, accepted, line, **overrides)
    assert field in caught.value.message_dict
    assert any(message in text for text in caught.value.message_dict[field]), caught.value.message_dict
    assert PaidInvoice.objects.count() == 0
    assert Document.objects.count() == 0


def test_file_too_big_is_refused(accepted, line, applicant, settings):
    settings.GRANTS_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ValidationError, match="le maximum est"):
        _add(applicant, accepted, line, file=upload("facture.pdf", b"%PDF-" + b"0" * 2000))


def test_invoice_only_for_a_counting_line_of_this_dossier(accepted, line, applicant, programme, business):
    subscription = add_line(accepted, D("500.00"), category_code="abonnement")
    set_aside = add_line(accepted, D("400.00"), is_ineligible=True, ineligibility_reason="Doublon")
    other = accepted_application(programme=programme, organisation=business).lines.get()
    for wrong in (subscription, set_aside, other):
        with pytest.raises(ValidationError) as caught:
            _add(applicant, accepted, wrong)
        assert "line" in caught.value.message_dict


def test_invoices_only_once_the_dossier_is_accepted(programme, business, applicant):
    for status in (Status.UNDER_REVIEW, Status.REFUSED, Status.PAID):
        application = accepted_application(
            programme=programme, organisation=business, created_by=applicant, status=status
        )
        with pytest.raises(services.PaymentRefusedError):
            _add(applicant, application, application.lines.get())


def test_only_the_business_adds_invoices(accepted, line, instructor, other_applicant):
    for person in (instructor, other_applicant):
        with pytest.raises(NotAllowed):
            _add(person, accepted, line)


def test_remove_only_an_invoice_not_checked_yet(accepted, line, applicant):
    invoice = _add(applicant, accepted, line)
    stored = invoice.document.file.name
    storage = invoice.document.file.storage
    checked = make_invoice(line, status=InvoiceStatus.ACCEPTED, number="F-OK")
    with pytest.raises(services.PaymentRefusedError, match="déjà été vérifiée"):
        services.invoice_remove(actor=applicant, invoice=checked)
    services.invoice_remove(actor=applicant, invoice=invoice)
    assert not PaidInvoice.objects.filter(pk=invoice.pk).exists()
    assert not Document.objects.filter(pk=invoice.document_id).exists()
    assert JournalEntry.objects.filter(action="grants.invoice.removed").count() == 1
    services.invoice_remove(actor=applicant, invoice=invoice)  # second click: nothing happens
    assert JournalEntry.objects.filter(action="grants.invoice.removed").count() == 1
    del stored, storage  # the file goes after the commit (not visible inside the test transaction)


def test_request_emails_the_instructor_or_the_programme_contact(
    accepted, line, applicant, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    with pytest.raises(services.PaymentRefusedError, match="au moins une facture"):
        services.payment_request(actor=applicant, application=accepted)
    _add(applicant, accepted, line)
    with django_capture_on_commit_callbacks(execute=True):
        told = services.payment_request(actor=applicant, application=accepted)
    assert told == ["aides@example.org"]
    assert mailoutbox[-1].to == ["aides@example.org"]
    assert accepted.reference in mailoutbox[-1].subject
    assert f"/aides/instruction/{accepted.reference}/paiement/" in mailoutbox[-1].body
    accepted.instructor = instructor
    accepted.save()
    with django_capture_on_commit_callbacks(execute=True):
        told = services.payment_request(actor=applicant, application=accepted)
    assert told == [instructor.email]
    assert mailoutbox[-1].to == [instructor.email]
    assert JournalEntry.objects.filter(action="grants.payment.requested").count() == 2


# --- The check: the instructor -----------------------------------------------------------------------------


def test_instructor_accepts_or_rejects_with_journal(accepted, line, instructor):
    invoice = make_invoice(line, D("3200.00"))
    services.invoice_accept(actor=instructor, invoice=invoice, accepted_amount=D("3000.00"))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.accepted_amount, invoice.checked_by) == ("accepted", D("3000.00"), instructor)
    services.invoice_reject(actor=instructor, invoice=invoice, reason="Facture au nom d'une autre société")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.accepted_amount) == ("rejected", None)
    assert invoice.rejection_reason == "Facture au nom d'une autre société"
    actions = list(
        JournalEntry.objects.filter(action__startswith="grants.invoice.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["grants.invoice.accepted", "grants.invoice.rejected"]


def test_accepted_amount_at_most_the_invoice_and_reason_mandatory(accepted, line, instructor):
    invoice = make_invoice(line, D("1000.00"))
    with pytest.raises(ValidationError) as caught:
        services.invoice_accept(actor=instructor, invoice=invoice, accepted_amount=D("1000.01"))
    assert "ne peut pas dépasser" in caught.value.message_dict["accepted_amount"][0]
    with pytest.raises(ValidationError):
        services.invoice_accept(actor=instructor, invoice=invoice, accepted_amount=D("-1"))
    with pytest.raises(ValidationError) as caught:
        services.invoice_reject(actor=instructor, invoice=invoice, reason="   ")
    assert "reason" in caught.value.message_dict
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    services.invoice_accept(actor=instructor, invoice=invoice, accepted_amount=D("0"))  # zero is a decision too


def test_the_business_cannot_check_its_own_invoices(accepted, line, applicant):
    invoice = make_invoice(line)
    with pytest.raises(NotAllowed):
        services.invoice_accept(actor=applicant, invoice=invoice, accepted_amount=D("1"))
    with pytest.raises(NotAllowed):
        services.invoice_reject(actor=applicant, invoice=invoice, reason="x")


def test_no_check_once_paid(accepted, line, instructor):
    invoice = make_invoice(line, D("3200.00"), status=InvoiceStatus.ACCEPTED)
    services.payment_order(actor=instructor, application=accepted, ordered_on=timezone.localdate(), iban=IBAN)
    with pytest.raises(services.PaymentRefusedError, match="déjà ordonné"):
        services.invoice_reject(actor=instructor, invoice=invoice, reason="Oups")


def test_database_refuses_an_accepted_amount_above_the_invoice(accepted, line):
    invoice = make_invoice(line, D("100.00"))
    invoice.status, invoice.accepted_amount = InvoiceStatus.ACCEPTED, D("100.01")
    with pytest.raises(IntegrityError), transaction.atomic():
        invoice.save()


# --- The payment order -----------------------------------------------------------------------------------


def test_payment_order_pays_moves_to_paid_and_emails(
    accepted, line, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    make_invoice(line, D("3200.00"), status=InvoiceStatus.ACCEPTED)
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.payment_order(
            actor=instructor,
            application=accepted,
            ordered_on=timezone.localdate(),
            iban="fr76 3000 6000 0112 3456 7890 189",
        )
    assert payment.reference == f"{accepted.reference}-V1"
    assert (payment.amount, payment.paid_eligible_total, payment.iban) == (D("1600.00"), D("3200.00"), IBAN)
    assert payment.recorded_by == instructor
    accepted.refresh_from_db()
    assert (accepted.status, accepted.paid_amount) == (Status.PAID, D("1600.00"))
    assert StatusChange.objects.filter(application=accepted, to_status=Status.PAID).count() == 1
    assert JournalEntry.objects.filter(action="grants.payment.ordered").count() == 1
    assert JournalEntry.objects.filter(action="grants.application.paid").count() == 1
    assert any("aide versée" in mail.subject for mail in mailoutbox)


def test_payment_order_twice_gives_one_payment(accepted, line, instructor):
    make_invoice(line, D("3200.00"), status=InvoiceStatus.ACCEPTED)
    services.payment_order(actor=instructor, application=accepted, ordered_on=timezone.localdate(), iban=IBAN)
    with pytest.raises(services.PaymentRefusedError, match="déjà ordonné"):
        services.payment_order(actor=instructor, application=accepted, ordered_on=timezone.localdate(), iban=IBAN)
    assert Payment.objects.count() == 1


def test_payment_order_refused_without_accepted_invoice_or_acceptance(accepted, line, instructor, programme, business):
    make_invoice(line, D("3200.00"))  # pending only
    with pytest.raises(services.PaymentRefusedError, match="Aucune facture"):
        services.payment_order(actor=instructor, application=accepted, ordered_on=timezone.localdate(), iban=IBAN)
    refused = accepted_application(programme=programme, organisation=business, status=Status.UNDER_REVIEW)
    make_invoice(refused.lines.get(), status=InvoiceStatus.ACCEPTED)
    with pytest.raises(services.PaymentRefusedError, match="seul un dossier accepté"):
        services.payment_order(actor=instructor, application=refused, ordered_on=timezone.localdate(), iban=IBAN)
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    ("iban", "message"),
    [
        ("", "Indiquez l'IBAN"),
        ("FR7630006000011234567890188", "n'est pas valide"),  # wrong check digits
        ("FR76300060000112345678901", "n'est pas valide"),  # too short
        ("XX7630006000011234567890189", "n'est pas valide"),
        ("FR76 3000 6000 0112 3456 7890 189 !", "lettres et des chiffres"),
    ],
)
def test_iban_is_checked_with_a_french_message(accepted, line, instructor, iban, message):
    make_invoice(line, D("3200.00"), status=InvoiceStatus.ACCEPTED)
    with pytest.raises(ValidationError) as caught:
        services.payment_order(actor=instructor, application=accepted, ordered_on=timezone.localdate(), iban=iban)
    assert message in caught.value.message_dict["iban"][0]
    accepted.refresh_from_db()
    assert accepted.status == Status.ACCEPTED
    assert Payment.objects.count() == 0


def test_mandat_date_and_reference_are_checked(accepted, line, instructor, programme, business):
    make_invoice(line, D("3200.00"), status=InvoiceStatus.ACCEPTED)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as caught:
        services.payment_order(actor=instructor, application=accepted, ordered_on=today + timedelta(days=1), iban=IBAN)
    assert "futur" in caught.value.message_dict["ordered_on"][0]
    with pytest.raises(ValidationError) as caught:
        services.payment_order(actor=instructor, application=accepted, ordered_on=today - timedelta(days=30), iban=IBAN)
    assert "précéder la décision" in caught.value.message_dict["ordered_on"][0]
    with pytest.raises(ValidationError) as caught:
        services.payment_order(actor=instructor, application=accepted, ordered_on=today, iban=IBAN, reference="a b")
    assert "reference" in caught.value.message_dict
    other = accepted_application(programme=programme, organisation=business)
    make_payment(other, D("10.00"), reference="MANDAT-1")
    with pytest.raises(ValidationError) as caught:
        services.payment_order(
            actor=instructor, application=accepted, ordered_on=today, iban=IBAN, reference="MANDAT-1"
        )
    assert "déjà utilisée" in caught.value.message_dict["reference"][0]
    accepted.refresh_from_db()
    assert (accepted.status, accepted.paid_amount) == (Status.ACCEPTED, D("0.00"))
    payment = services.payment_order(
        actor=instructor, application=accepted, ordered_on=today, iban=IBAN, reference="MANDAT-2"
    )
    assert payment.reference == "MANDAT-2"


def test_only_grants_staff_order_payments(accepted, line, applicant, manager):
    make_invoice(line, D("3200.00"), status=InvoiceStatus.ACCEPTED)
    with pytest.raises(NotAllowed):
        services.payment_order(actor=applicant, application=accepted, ordered_on=timezone.localdate(), iban=IBAN)
    assert services.payment_order(actor=manager, application=accepted, ordered_on=timezone.localdate(), iban=IBAN)


def test_database_refuses_paid_above_decided(accepted):
    accepted.paid_amount = accepted.decided_amount + D("0.01")
    with pytest.raises(IntegrityError), transaction.atomic():
        accepted.save()


# --- The export --------------------------------------------------------------------------------------------


def test_export_only_new_marks_them_exported_once(programme, business, instructor):
    first = make_payment(accepted_application(programme=programme, organisation=business), D("100.00"))
    second = make_payment(accepted_application(programme=programme, organisation=business), D("200.00"))
    rows = services.payments_export(actor=instructor, payments=queries.payments(), only_new=True)
    assert {p.pk for p in rows} == {first.pk, second.pk}
    assert Payment.objects.filter(exported_at__isnull=True).count() == 0
    entry = JournalEntry.objects.get(action="grants.payments.exported")
    assert entry.data["count"] == 2
    assert services.payments_export(actor=instructor, payments=queries.payments(), only_new=True) == []
    # The plain export reads, it does not mark.
    assert len(services.payments_export(actor=instructor, payments=queries.payments())) == 2


def test_export_needs_the_permission(applicant):
    with pytest.raises(NotAllowed):
        services.payments_export(actor=applicant, payments=queries.payments(), only_new=True)
