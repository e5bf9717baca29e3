"""Reads of part "billing": who sees which invoices, the lists' filters, the sales journal.

Scopes (the same as the ``telework.view_invoice`` permission, as querysets):
- a member: the invoices they pay;
- an employer manager: the invoices their organisation pays;
- a telecentre manager: the invoices of the operators they manage (role scoped to the
  operator, or to one of its telecentres' places);
- the programme team: every invoice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from cybercantal.accounts.models import Organisation, Role
from cybercantal.accounts.permissions import is_platform_manager
from cybercantal.accounts.queries import scoped_object_ids
from cybercantal.core.spreadsheet import decimal_fr
from cybercantal.core.text import search_terms
from cybercantal.places.models import Place

from ..models import Invoice, InvoiceLine, Telecentre
from ..services.billing import invoice_totals


def base() -> QuerySet[Invoice]:
    return Invoice.objects.select_related("operator", "corrects").order_by("-issued_on", "-sequence", "-pk")


def managed_operator_ids(user: Any) -> set[int]:
    """Operators whose invoices a telecentre manager handles (as ``manages_operator``)."""
    roles = [Role.TELECENTRE_MANAGER]
    direct = scoped_object_ids(user, Organisation, roles)
    places = scoped_object_ids(user, Place, roles)
    via_places = (
        set(Telecentre.objects.filter(place_id__in=places).values_list("operator_id", flat=True)) if places else set()
    )
    return direct | via_places


def managed_operators(user: Any) -> QuerySet[Organisation]:
    if is_platform_manager.test(user):
        return Organisation.objects.filter(operated_telecentres__isnull=False).distinct().order_by("name")
    return Organisation.objects.filter(pk__in=managed_operator_ids(user)).order_by("name")


def employer_ids(user: Any) -> set[int]:
    return scoped_object_ids(user, Organisation, [Role.EMPLOYER_MANAGER])


def of_member(user: Any) -> QuerySet[Invoice]:
    return base().filter(payer_user=user)


def of_employers(user: Any) -> QuerySet[Invoice]:
    ids = employer_ids(user)
    return base().filter(payer_organisation_id__in=ids)


def of_operators(user: Any) -> QuerySet[Invoice]:
    """What the management list shows: all for the programme team, else the managed operators'."""
    if is_platform_manager.test(user):
        return base()
    return base().filter(operator_id__in=managed_operator_ids(user))


def filtered(
    queryset: QuerySet[Invoice],
    *,
    period: dt.date | None = None,
    payer: str = "",
    operator: Organisation | None = None,
    kind: str = "",
) -> QuerySet[Invoice]:
    if period is not None:
        queryset = queryset.filter(period_start=period)
    for term in search_terms(payer)[:8]:
        queryset = queryset.filter(search_text__contains=f" {term}")
    if operator is not None:
        queryset = queryset.filter(operator=operator)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset


def with_lines(queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
    return queryset.prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")))


def detail(pk: int) -> Invoice | None:
    return (
        Invoice.objects.select_related("operator", "corrects", "agreement__employer", "payer_organisation")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=InvoiceLine.objects.order_by("position")
                .select_related("corrects_line__invoice")
                .prefetch_related(Prefetch("credited_by", queryset=InvoiceLine.objects.select_related("invoice"))),
            ),
            Prefetch("credit_notes", queryset=Invoice.objects.order_by("issued_on", "sequence")),
        )
        .filter(pk=pk)
        .first()
    )


def totals(queryset: QuerySet[Invoice]) -> dict[str, Any]:
    from django.db.models import Count, Sum

    row = queryset.aggregate(
        count=Count("pk"), excl=Sum("total_excl_tax"), vat=Sum("total_vat"), incl=Sum("total_incl_tax")
    )
    zero = Decimal("0.00")
    return {
        "count": row["count"],
        "excl_tax": row["excl"] or zero,
        "vat": row["vat"] or zero,
        "incl_tax": row["incl"] or zero,
    }


JOURNAL_HEADER = [
    "Date",
    "Numéro",
    "Type",
    "Facture corrigée",
    "Exploitant",
    "Client",
    "Période",
    "Taux de TVA (%)",
    "Montant HT (€)",
    "TVA (€)",
    "Montant TTC (€)",
    "Échéance",
]


def sales_journal(queryset: QuerySet[Invoice]) -> Iterator[list[Any]]:
    """The accountant's sales journal: one row per invoice and VAT rate, in number order."""
    yield list(JOURNAL_HEADER)
    rows = with_lines(queryset.order_by("operator__name", "year", "sequence"))
    for invoice in rows.iterator(chunk_size=500):
        kind = "Avoir" if invoice.kind == "credit_note" else "Facture"
        for row in invoice_totals(invoice).by_rate:
            yield [
                invoice.issued_on.strftime("%d/%m/%Y"),
                invoice.number,
                kind,
                invoice.corrects.number if invoice.corrects_id and invoice.corrects else "",
                invoice.operator.name,
                invoice.payer_name,
                invoice.period_start.strftime("%m/%Y"),
                decimal_fr(row.rate),
                decimal_fr(row.base),
                decimal_fr(row.vat),
                decimal_fr(row.base + row.vat),
                invoice.due_on.strftime("%d/%m/%Y"),
            ]
