"""Demo data of the payment part: three paid Auverdata dossiers and one waiting for the check,
coherent figures, valid SIRETs and IBANs, loaded twice without duplicates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from stdnum import iban as stdnum_iban
from stdnum.fr import siret as stdnum_siret

from cybercantal.accounts.demo import load_demo_accounts

from ..demo import payment as demo
from ..models import Application, InvoiceStatus, PaidInvoice, Payment, Status
from ..services.payment import payment_compute

pytestmark = pytest.mark.django_db


def test_demo_without_the_programme_does_nothing():
    assert demo.load() == {"paiements d'aide": 0}
    assert Application.objects.count() == 0


def test_demo_paid_and_waiting_dossiers(territory, programme):
    load_demo_accounts()
    assert demo.load() == {"paiements d'aide": 3}
    dossiers = Application.objects.filter(reference__startswith="AUV-2025-091").order_by("reference")
    assert [d.status for d in dossiers] == [Status.PAID, Status.PAID, Status.PAID, Status.ACCEPTED]
    for dossier in dossiers:
        assert stdnum_siret.is_valid(dossier.siret), dossier.siret
        assert stdnum_iban.is_valid(dossier.iban), dossier.iban
        assert dossier.premises_commune is not None
        assert dossier.instructor is not None
        assert dossier.decided_amount == dossier.computed_aid
    payments = {p.application.reference: p for p in Payment.objects.select_related("application")}
    assert len(payments) == 3
    for dossier in dossiers[:3]:
        payment = payments[dossier.reference]
        assert payment.reference == f"{dossier.reference}-V1"
        assert dossier.paid_amount == payment.amount <= dossier.decided_amount
        assert not PaidInvoice.objects.filter(application=dossier).exclude(status=InvoiceStatus.ACCEPTED).exists()
    # The invoice above its quote counts up to the line; the third dossier is capped at 5,000 €.
    assert payments["AUV-2025-09101"].amount == Decimal("1600.00")
    assert payments["AUV-2025-09103"].amount == Decimal("5000.00")
    assert Payment.objects.filter(exported_at__isnull=False).count() == 1
    waiting = dossiers[3]
    assert waiting.invoices.filter(status=InvoiceStatus.PENDING).count() == 2
    assert payment_compute(waiting).amount == Decimal("0.00")
    with waiting.invoices.first().document.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"

    assert demo.load() == {"paiements d'aide": 0}
    assert Payment.objects.count() == 3
    assert Application.objects.count() == 4
    assert PaidInvoice.objects.count() == 9
