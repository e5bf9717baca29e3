"""The invoice PDF: its text, extracted with pypdf, carries the French legal mentions and the
figures of the saved invoice."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from pypdf import PdfReader

from ..models import Invoice, InvoiceKind, OperatorBilling
from ..services import billing
from .factories_billing import Scenario


def text_of(invoice: Invoice) -> str:
    with invoice.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").split())


@pytest.fixture
def month(db):
    scenario = Scenario()
    OperatorBilling.objects.filter(operator=scenario.operator).update(
        legal_name="SCIC Tiers-Lieux du Cantal",
        iban="FR7630006000011234567890189",
        late_penalty_rate="3 fois le taux d'intérêt légal",
        payment_terms_days=30,
    )
    billing.invoices_issue_month(actor=None, operator=scenario.operator, year=scenario.year, month=scenario.month)
    return scenario


def test_member_invoice_pdf_has_the_legal_mentions_and_figures(month):
    invoice = Invoice.objects.get(payer_user=month.bruno)
    text = text_of(invoice)
    for mention in (
        "SCIC Tiers-Lieux du Cantal",
        "SCIC SARL au capital de 10 000 €",
        "1 avenue de la Gare",
        "15300 Murat",
        "SIRET : 732 829 320 00074",
        "N° de TVA intracommunautaire : FR44732829320",
        f"Facture n° {invoice.number}",
        f"Date d'émission : {date_format(invoice.issued_on, 'j F Y')}",
        f"Période de la prestation : du {date_format(invoice.period_start, 'j F Y')}",
        "Client",
        "Bruno Teyssèdre",
        "Désignation",
        "Quantité",
        "Prix unitaire HT",
        "Total HT",
        "150,00 €",
        "18,00 €",
        "9,00 €",
        "20 %",
        "Total HT 195,00 €",
        "TVA 20 % sur 195,00 € 39,00 €",
        "Total TTC 234,00 €",
        f"Date d'échéance : {date_format(invoice.due_on, 'j F Y')}",
        "30 jours après la date d'émission",
        "Pénalités de retard : 3 fois le taux d'intérêt légal",
        "Pas d'escompte pour paiement anticipé",
        "IBAN : FR76 3000 6000 0112 3456 7890 189",
    ):
        assert mention in text, mention
    assert "Open space" in text
    assert "(annulée hors délai)" in text
    # A member is not a business buyer: no recovery indemnity.
    assert "Indemnité forfaitaire" not in text
    assert "293 B" not in text


def test_employer_invoice_pdf_has_the_recovery_indemnity(month):
    invoice = Invoice.objects.get(payer_organisation=month.employer)
    text = text_of(invoice)
    assert "Indemnité forfaitaire pour frais de recouvrement : 40 €" in text
    assert "Fromagerie du Lioran" in text
    assert "Laveissière" in text
    assert "Claire Vidal" in text
    assert "Total TTC 66,00 €" in text


def test_vat_exempt_operator_pdf_says_so(db):
    scenario = Scenario()
    OperatorBilling.objects.filter(operator=scenario.operator).update(vat_exempt=True, vat_number="")
    billing.invoices_issue_month(actor=None, operator=scenario.operator, year=scenario.year, month=scenario.month)
    text = text_of(Invoice.objects.get(payer_user=scenario.bruno))
    assert "TVA non applicable, art. 293 B du CGI" in text
    assert "intracommunautaire" not in text
    assert "Total TTC 195,00 €" in text


def test_credit_note_pdf_names_the_invoice(month):
    invoice = Invoice.objects.get(payer_user=month.bruno)
    note = billing.invoice_credit(
        actor=None, invoice=invoice, reason="Journée non due", lines=[invoice.lines.get(booking=month.b_day)]
    )
    text = text_of(note)
    assert (
        f"Avoir n° {note.number} se rapportant à la facture n° {invoice.number} du "
        f"{date_format(invoice.issued_on, 'j F Y')}"
    ) in text
    assert "Motif : Journée non due" in text
    assert "-18,00 €" in text
    assert "Total TTC -21,60 €" in text
    assert note.kind == InvoiceKind.CREDIT_NOTE
    assert note.issued_on == timezone.localdate()
