"""The decision letter (PDF, reportlab): made when an instructor decides (accept, refuse,
close) and kept as a ``Document`` of kind ``decision`` in the private storage. The applicant
and the staff download the latest one (``grants:decision_letter``).

The letter carries every figure of the decision: each expense line with its amount, whether
it counts and why not, the eligible total, the rate, the cap when it applies, the computed aid
and the decided amount; the reason of a refusal; the conditions of payment. It is always in
French (the applicant's language for this procedure), whatever the instructor's interface.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cybercantal.core import journal
from cybercantal.core.money import format_euros

from ..models import Application, Document, DocumentKind, Status
from . import amounts


def _pdf_text(text: str) -> str:
    """The standard PDF fonts have no narrow no-break space: a no-break space instead."""
    return str(text).replace("\u202f", "\u00a0")


def euros(amount: Decimal) -> str:
    return _pdf_text(format_euros(amount))


def percent(rate: Decimal) -> str:
    text = f"{rate.normalize():f}".replace(".", ",")
    return f"{text}\u00a0%"


def format_siret(siret: str) -> str:
    if len(siret) == 14 and siret.isdigit():
        return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    return siret


def _departement_name() -> str:
    from cybercantal.territory.models import Departement

    name = Departement.objects.filter(code=settings.DEPARTEMENT_CODE).values_list("name", flat=True).first()
    return name or settings.DEPARTEMENT_CODE


def _line_reason(line: Any) -> str:
    if not line.category.is_eligible:
        return _("Catégorie de dépense non éligible au dispositif.")
    if line.is_ineligible:
        return line.ineligibility_reason
    return ""


def letter_filename(application: Application) -> str:
    return f"lettre-de-decision-{application.reference}.pdf"


def letter_pdf(application: Application) -> bytes:
    """The letter of the dossier's current decision, as PDF bytes."""
    with translation.override("fr"):
        return _build(application)


def _build(application: Application) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    programme = application.programme
    lines = list(application.lines.select_related("category").order_by("position", "pk"))
    figures = amounts.compute(programme, ((line.amount, amounts.line_counts(line)) for line in lines))
    status = application.status
    decided_on = timezone.localdate(application.decided_at or timezone.now())
    departement = _departement_name()
    styles = getSampleStyleSheet()

    def p(text: str, style: str = "BodyText") -> Paragraph:
        return Paragraph(escape(_pdf_text(text)), styles[style])

    labels: dict[str, str] = {
        Status.ACCEPTED: _("Aide accordée"),
        Status.PAID: _("Aide accordée"),
        Status.REFUSED: _("Demande refusée"),
        Status.CLOSED: _("Dossier classé sans suite"),
    }
    decision_label = labels.get(status, str(Status(status).label))
    title = _("Décision sur la demande d'aide %(ref)s") % {"ref": application.reference}
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=title,
        author=programme.funder,
        subject=_("%(programme)s — %(decision)s") % {"programme": programme.name, "decision": decision_label},
        creator=settings.PLATFORM_NAME,
        lang="fr-FR",
        displayDocTitle=True,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.8 * cm,
        bottomMargin=1.8 * cm,
    )
    commune = application.premises_commune.name if application.premises_commune else ""
    address = ", ".join(
        part for part in (application.premises_address, f"{application.premises_postal_code} {commune}".strip()) if part
    )
    story: list[Any] = [
        p(programme.funder, "Heading2"),
        p(
            _("En partenariat avec le Département : %(name)s — %(platform)s")
            % {"name": departement, "platform": settings.PLATFORM_NAME}
        ),
        p(_("Dispositif : %(name)s") % {"name": programme.name}),
        Spacer(1, 0.6 * cm),
        p(_("Le %(date)s") % {"date": date_format(decided_on, "l j F Y")}),
        Spacer(1, 0.3 * cm),
        p(application.business_name or application.organisation.name, "Heading4"),
        p(_("SIRET : %(siret)s") % {"siret": format_siret(application.siret)}),
        p(_("Locaux : %(address)s") % {"address": address or _("non renseignés")}),
        Spacer(1, 0.5 * cm),
        p(title, "Heading1"),
        p(_("Dossier : %(ref)s") % {"ref": application.reference}),
        p(_("Décision : %(decision)s") % {"decision": decision_label}, "Heading3"),
    ]
    if status in (Status.ACCEPTED, Status.PAID):
        story.append(
            p(
                _(
                    "Au titre du dispositif « %(programme)s », une aide de %(amount)s est accordée à "
                    "%(business)s pour l'investissement décrit ci-dessous."
                )
                % {
                    "programme": programme.name,
                    "amount": euros(application.decided_amount or Decimal("0")),
                    "business": application.business_name,
                }
            )
        )
    elif status == Status.REFUSED:
        story += [
            p(_("Votre demande d'aide n'est pas retenue pour le motif suivant :")),
            p(_("Motif du refus : %(reason)s") % {"reason": application.decision_reason}),
        ]
    elif status == Status.CLOSED:
        story += [
            p(_("Votre dossier est classé sans suite pour le motif suivant :")),
            p(_("Motif : %(reason)s") % {"reason": application.decision_reason}),
        ]

    # Every figure.
    story += [Spacer(1, 0.4 * cm), p(_("Dépenses présentées et montants"), "Heading3")]
    header = [_("Dépense"), _("Catégorie"), _("Montant HT"), _("Retenue"), _("Motif si non retenue")]
    rows = [header]
    for line in lines:
        counts = amounts.line_counts(line)
        rows.append(
            [
                line.description,
                line.category.label,
                euros(line.amount),
                _("oui") if counts else _("non"),
                _line_reason(line),
            ]
        )
    cells = [[Paragraph(escape(_pdf_text(str(cell))), styles["BodyText"]) for cell in row] for row in rows]
    grid = PdfTable(cells, colWidths=[4.6 * cm, 3.6 * cm, 2.8 * cm, 1.7 * cm, 4.3 * cm], repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6edf5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
            ]
        )
    )
    story.append(grid)
    summary = [
        [_("Total des dépenses présentées HT"), euros(figures.requested_total)],
        [_("Dépenses éligibles retenues HT"), euros(figures.eligible_total)],
        [_("Taux de l'aide"), percent(programme.rate_percent)],
        [_("Aide au taux (taux × dépenses retenues)"), euros(figures.uncapped_aid)],
    ]
    if programme.cap_per_application is not None:
        summary.append(
            [
                _("Plafond par dossier") + (" " + _("(appliqué)") if figures.capped else " " + _("(non atteint)")),
                euros(programme.cap_per_application),
            ]
        )
    summary.append([_("Aide calculée"), euros(figures.aid)])
    if status in (Status.ACCEPTED, Status.PAID):
        summary.append([_("Aide accordée"), euros(application.decided_amount or Decimal("0"))])
    summary_cells = [[p(label), p(value)] for label, value in summary]
    summary_table = PdfTable(summary_cells, colWidths=[10 * cm, 7 * cm])
    summary_table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 9)])
    )
    story += [Spacer(1, 0.3 * cm), summary_table]

    if status in (Status.ACCEPTED, Status.PAID):
        story += [
            Spacer(1, 0.4 * cm),
            p(_("Conditions de versement"), "Heading3"),
            p(
                _(
                    "L'aide est versée après la réalisation de l'investissement. Déposez dans votre dossier en ligne "
                    "les factures acquittées de chaque dépense retenue (fichier PDF ou image)."
                )
            ),
            p(
                _(
                    "Le versement est égal au taux de %(rate)s appliqué aux dépenses payées et retenues, "
                    "sans jamais dépasser le montant accordé de %(amount)s."
                )
                % {"rate": percent(programme.rate_percent), "amount": euros(application.decided_amount or Decimal("0"))}
            ),
        ]
    decider = application.decided_by
    signer = (decider.get_full_name() or "") if decider is not None else ""
    story += [
        Spacer(1, 0.8 * cm),
        p(_("Pour %(funder)s, par délégation,") % {"funder": programme.funder}),
        p(_("le service instructeur du dispositif « %(programme)s »") % {"programme": programme.name}),
    ]
    if signer:
        story.append(p(signer))
    if programme.contact_email:
        story += [
            Spacer(1, 0.4 * cm),
            p(
                _("Une question sur cette décision ? Écrivez-nous depuis votre dossier ou à %(email)s.")
                % {"email": programme.contact_email}
            ),
        ]
    document.build(story)
    return out.getvalue()


def decision_letter_store(*, actor: Any, application: Application) -> Document:
    """Make the letter of the current decision and keep it (inside the caller's transaction)."""
    content = letter_pdf(application)
    document = Document(
        application=application,
        kind=DocumentKind.DECISION,
        original_name=letter_filename(application),
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    document.file.save(f"{secrets.token_hex(16)}.pdf", ContentFile(content), save=False)
    document.save()
    journal.record(
        actor=actor, action="grants.decision_letter.made", target=application, data={"status": application.status}
    )
    return document
