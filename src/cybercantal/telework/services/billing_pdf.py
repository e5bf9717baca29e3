"""The PDF of an invoice or credit note (reportlab, like the grants' decision letter: no system
library needed, so ``make run`` works on a machine with Python only).

It carries the French legal mentions (code de commerce L441-9, CGI art. 242 nonies A): the
seller's legal name, legal form and capital, address, SIRET, VAT number (or « TVA non
applicable, art. 293 B du CGI »), the number and issue date, the period of the service, the
buyer's name and address, each line (designation, quantity, unit price excl. tax, VAT rate,
total excl. tax), the totals excl. tax, VAT per rate and incl. tax, the due date, the payment
terms, the late-payment penalty rate, the 40 € recovery indemnity for business buyers, « Pas
d'escompte pour paiement anticipé », and the IBAN when there is one. A credit note names the
invoice it corrects. Always in French: invoices are legal documents of a French seller.

Everything comes from the invoice's saved rows and its seller snapshot, never from the live
operator details: reprinting an old invoice gives the same document.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cybercantal.core.money import format_euros

from ..models import Invoice, InvoiceKind


def _pdf_text(text: Any) -> str:
    """The standard PDF fonts have no narrow no-break space: a no-break space instead."""
    return str(text).replace("\u202f", "\u00a0")


def euros(amount: Decimal) -> str:
    return _pdf_text(format_euros(amount))


def number_fr(value: Decimal) -> str:
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",")


def percent(rate: Decimal) -> str:
    return f"{number_fr(rate)}\u00a0%"


def format_siret(siret: str) -> str:
    if len(siret) == 14 and siret.isdigit():
        return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    return siret


def format_iban(iban: str) -> str:
    compact = "".join(iban.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def pdf_filename(invoice: Invoice) -> str:
    kind = "avoir" if invoice.kind == InvoiceKind.CREDIT_NOTE else "facture"
    return f"{kind}-{invoice.number}.pdf"


def invoice_title(invoice: Invoice) -> str:
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return _("Avoir n° %(number)s") % {"number": invoice.number}
    return _("Facture n° %(number)s") % {"number": invoice.number}


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    with translation.override("fr"):
        return _build(invoice)


def _build(invoice: Invoice) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    from .billing import invoice_totals

    seller: dict[str, Any] = invoice.seller or {}
    lines = list(invoice.lines.order_by("position"))
    totals = invoice_totals(invoice)
    exempt = bool(seller.get("vat_exempt"))
    styles = getSampleStyleSheet()
    small = ParagraphStyle("small", parent=styles["BodyText"], fontSize=8, leading=10)
    right = ParagraphStyle("right", parent=small, alignment=TA_RIGHT)

    def p(text: Any, style: Any = "BodyText") -> Paragraph:
        chosen = styles[style] if isinstance(style, str) else style
        return Paragraph(escape(_pdf_text(text)).replace("\n", "<br/>"), chosen)

    title = invoice_title(invoice)
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=title,
        author=seller.get("legal_name", ""),
        subject=_("%(title)s — %(buyer)s") % {"title": title, "buyer": invoice.payer_name},
        creator=settings.PLATFORM_NAME,
        lang="fr-FR",
        displayDocTitle=True,
        leftMargin=1.8 * cm,
        rightMargin=1.8 * cm,
        topMargin=1.6 * cm,
        bottomMargin=1.6 * cm,
    )
    seller_block = [p(seller.get("legal_name", ""), "Heading3")]
    if seller.get("legal_form"):
        seller_block.append(p(seller["legal_form"], small))
    seller_block += [
        p(seller.get("address", ""), small),
        p(_("SIRET : %(siret)s") % {"siret": format_siret(seller.get("siret", ""))}, small),
    ]
    if exempt:
        seller_block.append(p(_("TVA non applicable, art. 293 B du CGI"), small))
    elif seller.get("vat_number"):
        seller_block.append(p(_("N° de TVA intracommunautaire : %(vat)s") % {"vat": seller["vat_number"]}, small))
    buyer_block = [p(_("Client"), "Heading4"), p(invoice.payer_name)]
    if invoice.payer_address:
        buyer_block.append(p(invoice.payer_address, small))
    head = PdfTable([[seller_block, buyer_block]], colWidths=[9.4 * cm, 8 * cm])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))

    story: list[Any] = [head, Spacer(1, 0.5 * cm), p(title, "Heading1")]
    if invoice.kind == InvoiceKind.CREDIT_NOTE and invoice.corrects is not None:
        story.append(
            p(
                _("Avoir n° %(number)s se rapportant à la facture n° %(invoice)s du %(date)s")
                % {
                    "number": invoice.number,
                    "invoice": invoice.corrects.number,
                    "date": date_format(invoice.corrects.issued_on, "j F Y"),
                }
            )
        )
        story.append(p(_("Motif : %(reason)s") % {"reason": invoice.reason}))
    story += [
        p(_("Date d'émission : %(date)s") % {"date": date_format(invoice.issued_on, "j F Y")}),
        p(
            _("Période de la prestation : du %(start)s au %(end)s")
            % {"start": date_format(invoice.period_start, "j F Y"), "end": date_format(invoice.period_end, "j F Y")}
        ),
        Spacer(1, 0.4 * cm),
    ]

    header = [_("Désignation"), _("Quantité"), _("Prix unitaire HT"), _("TVA"), _("Total HT")]
    rows: list[list[Any]] = [[p(cell, small) for cell in header]]
    for line in lines:
        quantity = number_fr(line.quantity) + (f" {line.unit}" if line.unit else "")
        rows.append(
            [
                p(line.description, small),
                p(quantity, right),
                p(euros(line.unit_price_excl_tax), right),
                p(percent(line.vat_rate) if not exempt else "—", right),
                p(euros(line.total_excl_tax), right),
            ]
        )
    grid = PdfTable(rows, colWidths=[8.6 * cm, 2.2 * cm, 2.6 * cm, 1.4 * cm, 2.6 * cm], repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6edf5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(grid)

    summary: list[list[str]] = [[_("Total HT"), euros(totals.excl_tax)]]
    if exempt:
        summary.append([_("TVA non applicable, art. 293 B du CGI"), euros(Decimal("0"))])
    else:
        summary.extend(
            [_("TVA %(rate)s sur %(base)s") % {"rate": percent(row.rate), "base": euros(row.base)}, euros(row.vat)]
            for row in totals.by_rate
        )
        summary.append([_("Total TVA"), euros(totals.vat)])
    summary.append([_("Total TTC"), euros(totals.incl_tax)])
    summary_table = PdfTable(
        [[p(a, small), p(b, right)] for a, b in summary], colWidths=[7 * cm, 3.4 * cm], hAlign="RIGHT"
    )
    summary_table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#e6edf5")),
            ]
        )
    )
    story += [Spacer(1, 0.3 * cm), summary_table, Spacer(1, 0.5 * cm)]

    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        story.append(
            p(
                _("Montant de l'avoir : %(amount)s, à déduire de la facture n° %(invoice)s ou remboursé.")
                % {"amount": euros(-totals.incl_tax), "invoice": invoice.corrects.number if invoice.corrects else ""}
            )
        )
    else:
        story += [
            p(_("Date d'échéance : %(date)s") % {"date": date_format(invoice.due_on, "j F Y")}),
            p(
                _(
                    "Conditions de paiement : à réception, au plus tard %(days)s jours après la date d'émission, "
                    "par virement."
                )
                % {"days": seller.get("payment_terms_days", 30)}
            ),
        ]
    terms = [
        _("Pénalités de retard : %(rate)s, exigibles dès le lendemain de la date d'échéance.")
        % {"rate": seller.get("late_penalty_rate", "")},
    ]
    if invoice.is_business_buyer:
        terms.append(_("Indemnité forfaitaire pour frais de recouvrement : 40 €"))
    terms.append(_("Pas d'escompte pour paiement anticipé"))
    story += [p(text, small) for text in terms]
    if seller.get("iban"):
        story.append(p(_("IBAN : %(iban)s") % {"iban": format_iban(seller["iban"])}, small))
    story.append(
        p(
            _("Référence à rappeler avec votre paiement : %(number)s") % {"number": invoice.number},
            small,
        )
    )
    document.build(story)
    return out.getvalue()
