"""Reads of the payment part: a dossier's invoices, the payments list of the accountant with
its totals, and the links to the dossier's files (served by the dossier part's view)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import NoReverseMatch, reverse

from ..models import ZERO, Application, Document, GrantProgramme, InvoiceStatus, PaidInvoice, Payment


def url_or(name: str, args: list[Any], fallback: str) -> str:
    """``reverse(name, args)``, or ``fallback`` while the part that owns ``name`` is not there."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


def document_url(application: Application, document: Document | int) -> str:
    pk = document if isinstance(document, int) else document.pk
    return url_or(
        "grants:document", [application.reference, pk], f"/aides/dossiers/{application.reference}/pieces/{pk}/"
    )


def application_url(application: Application) -> str:
    return url_or("grants:application", [application.reference], f"/aides/dossiers/{application.reference}/")


def review_url(application: Application) -> str:
    return url_or("grants:review", [application.reference], f"/aides/instruction/{application.reference}/")


def invoices_of(application: Application) -> QuerySet[PaidInvoice]:
    """The dossier's invoices with their line, category and file (one query)."""
    return (
        PaidInvoice.objects.filter(application=application)
        .select_related("line__category", "document", "checked_by")
        .order_by("line__position", "line_id", "invoice_date", "pk")
    )


@dataclass(frozen=True)
class InvoiceCounts:
    pending: int
    accepted: int
    rejected: int

    @property
    def total(self) -> int:
        return self.pending + self.accepted + self.rejected


def invoice_counts(application: Application) -> InvoiceCounts:
    counts = PaidInvoice.objects.filter(application=application).aggregate(
        pending=Count("pk", filter=Q(status=InvoiceStatus.PENDING)),
        accepted=Count("pk", filter=Q(status=InvoiceStatus.ACCEPTED)),
        rejected=Count("pk", filter=Q(status=InvoiceStatus.REJECTED)),
    )
    return InvoiceCounts(**{k: int(v or 0) for k, v in counts.items()})


def payments(
    *,
    programme: GrantProgramme | None = None,
    start: date | None = None,
    end: date | None = None,
    exported: bool | None = None,
) -> QuerySet[Payment]:
    """Payments ordered by mandat date (newest first), filtered by programme, by mandat date
    (``start`` and ``end`` included) and by export state."""
    qs = Payment.objects.select_related("application__programme", "application__organisation")
    if programme is not None:
        qs = qs.filter(application__programme=programme)
    if start is not None:
        qs = qs.filter(ordered_on__gte=start)
    if end is not None:
        qs = qs.filter(ordered_on__lte=end)
    if exported is True:
        qs = qs.filter(exported_at__isnull=False)
    elif exported is False:
        qs = qs.filter(exported_at__isnull=True)
    return qs.order_by("-ordered_on", "-pk")


@dataclass(frozen=True)
class PaymentTotals:
    count: int
    amount: Decimal
    paid_eligible_total: Decimal
    not_exported: int


def payment_totals(qs: QuerySet[Payment]) -> PaymentTotals:
    totals = qs.order_by().aggregate(
        count=Count("pk"),
        amount=Sum("amount"),
        eligible=Sum("paid_eligible_total"),
        not_exported=Count("pk", filter=Q(exported_at__isnull=True)),
    )
    return PaymentTotals(
        count=int(totals["count"] or 0),
        amount=totals["amount"] or ZERO,
        paid_eligible_total=totals["eligible"] or ZERO,
        not_exported=int(totals["not_exported"] or 0),
    )
