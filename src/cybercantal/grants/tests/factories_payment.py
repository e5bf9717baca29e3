"""Factories of the payment part: accepted dossiers with lines, paid invoices, payments."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ..models import DocumentKind, ExpenseLine, InvoiceStatus, PaidInvoice, Payment, Status
from ..services import amounts
from .factories import ApplicationFactory, DocumentFactory, ExpenseLineFactory

IBAN = "FR7630006000011234567890189"
OTHER_IBAN = "FR1420041010050500013M02606"


def accepted_application(
    *,
    programme: Any,
    organisation: Any,
    created_by: Any = None,
    lines: list[Decimal] | tuple[Decimal, ...] = (Decimal("3200.00"),),
    status: str = Status.ACCEPTED,
    decided: Decimal | None = None,
    **fields: Any,
) -> Any:
    """An accepted dossier with one line per amount (eligible category), the aid computed and
    decided (``decided`` or the computed aid)."""
    fields.setdefault("iban", IBAN)
    application = ApplicationFactory(
        programme=programme,
        organisation=organisation,
        created_by=created_by,
        status=Status.UNDER_REVIEW,
        **fields,
    )
    for position, amount in enumerate(lines):
        ExpenseLineFactory(
            application=application, amount=amount, description=f"Dépense {position + 1}", position=position
        )
    figures = amounts.application_recompute(application=application)
    application.decided_amount = figures.aid if decided is None else decided
    application.status = status
    application.decided_at = timezone.now() - timedelta(days=10)
    application.save()
    return application


def add_line(application: Any, amount: Decimal, *, category_code: str | None = None, **fields: Any) -> ExpenseLine:
    if category_code:
        fields["category"] = application.programme.categories.get(code=category_code)
    return ExpenseLineFactory(application=application, amount=amount, **fields)


def make_invoice(
    line: ExpenseLine,
    amount: Decimal = Decimal("1000.00"),
    *,
    status: str = InvoiceStatus.PENDING,
    accepted_amount: Decimal | None = None,
    number: str = "F-2026-001",
    supplier: str = "Sat'Auvergne",
    days_ago: int = 5,
) -> PaidInvoice:
    document = DocumentFactory(application=line.application, kind=DocumentKind.INVOICE, original_name="facture.pdf")
    if status == InvoiceStatus.ACCEPTED and accepted_amount is None:
        accepted_amount = amount
    return PaidInvoice.objects.create(
        application=line.application,
        line=line,
        document=document,
        supplier=supplier,
        invoice_number=number,
        invoice_date=timezone.localdate() - timedelta(days=days_ago),
        amount=amount,
        status=status,
        accepted_amount=accepted_amount,
        rejection_reason="Illisible" if status == InvoiceStatus.REJECTED else "",
    )


def make_payment(application: Any, amount: Decimal, *, reference: str | None = None, days_ago: int = 0, **fields: Any):
    payment = Payment.objects.create(
        application=application,
        amount=amount,
        paid_eligible_total=amount * 2,
        ordered_on=timezone.localdate() - timedelta(days=days_ago),
        iban=fields.pop("iban", IBAN),
        reference=reference or f"{application.reference}-V1",
        **fields,
    )
    application.paid_amount = application.paid_amount + amount
    application.status = Status.PAID
    application.save()
    return payment
