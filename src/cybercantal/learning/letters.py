"""Activation letters: one A4 page per pupil (or per parent without email), printed by the
class's teacher or the school's staff and handed out in class (reportlab, like the
telework invoices: no system library needed).

Each page says, in plain French for a 12-year-old and their parents: the school, the
person's name and class, their login, their one-time code (grouped: ``K7QM-4PZT-9X``),
until when it works, the absolute address of the activation page, and what to do, step by
step. The codes exist in clear only in this PDF: the database keeps their hash.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cybercantal.core.links import absolute_url

from .services.provisioning import Letter


def _pdf_text(text: Any) -> str:
    """The standard PDF fonts have no narrow no-break space: a no-break space instead."""
    return str(text).replace("\u202f", "\u00a0")


def activation_url() -> str:
    return absolute_url(reverse("learning:activate"))


def sign_in_url() -> str:
    return absolute_url(reverse("learning:sign_in"))


def letters_pdf(letters: Sequence[Letter], *, title: str = "") -> bytes:
    """The PDF of ``letters``, one page each, in French."""
    with translation.override("fr"):
        return _build(letters, title or _("Lettres d'activation"))


def _build(letters: Sequence[Letter], title: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=12, leading=16)
    small = ParagraphStyle("small", parent=body, fontSize=9.5, leading=12, textColor=colors.HexColor("#333333"))
    big = ParagraphStyle("big", parent=body, fontName="Courier-Bold", fontSize=20, leading=26)
    step = ParagraphStyle("step", parent=body, leftIndent=0.6 * cm, bulletIndent=0, spaceAfter=4)

    def p(text: Any, style: Any = body) -> Paragraph:
        return Paragraph(escape(_pdf_text(text)), style)

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=title,
        author=settings.PLATFORM_NAME,
        creator=settings.PLATFORM_NAME,
        lang="fr-FR",
        displayDocTitle=True,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.8 * cm,
        bottomMargin=1.8 * cm,
    )
    url = activation_url()
    connect = sign_in_url()
    story: list[Any] = []
    if not letters:
        story.append(p(_("Aucune lettre à imprimer : tous les comptes de cette liste sont déjà activés.")))
    for index, letter in enumerate(letters):
        if index:
            story.append(PageBreak())
        story.append(p(letter.school_name, styles["Heading3"]))
        story.append(p(_("Ton cartable électronique (ENT)"), styles["Title"]))
        if letter.children:
            story.append(
                p(
                    _("Pour %(name)s, responsable de %(children)s")
                    % {"name": letter.full_name, "children": letter.children}
                )
            )
        else:
            story.append(
                p(_("Pour %(name)s, classe de %(class)s") % {"name": letter.full_name, "class": letter.class_name})
            )
        story.append(Spacer(1, 0.5 * cm))
        card = Table(
            [
                [p(_("Ton identifiant")), p(letter.login, big)],
                [p(_("Ton code d'activation")), p(letter.code, big)],
                [
                    p(_("Le code marche jusqu'au")),
                    p(date_format(letter.expires_on, "l j F Y")),
                ],
            ],
            colWidths=[5.5 * cm, 11.5 * cm],
        )
        card.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 1.2, colors.black),
                    ("INNERGRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 8),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ]
            )
        )
        story.append(card)
        story.append(Spacer(1, 0.6 * cm))
        story.append(p(_("Pour activer ton compte, une seule fois :"), styles["Heading3"]))
        steps = [
            _("Va sur cette adresse, sur un ordinateur, une tablette ou un téléphone : %(url)s") % {"url": url},
            _("Tape ton identifiant et ton code (les tirets et les majuscules ne comptent pas)."),
            _(
                "Choisis ton mot de passe : au moins 10 caractères, par exemple trois mots que tu retiendras "
                "(« girafe-volcan-tartine »). Ne le donne à personne, même pas à un ami."
            ),
            _("C'est fait : tu arrives dans ton cartable (cours, exercices, devoirs)."),
            _("Les fois suivantes, connecte-toi ici avec ton identifiant et ton mot de passe : %(url)s")
            % {"url": connect},
        ]
        for number, text in enumerate(steps, start=1):
            story.append(Paragraph(escape(_pdf_text(text)), step, bulletText=f"{number}."))
        story.append(Spacer(1, 0.4 * cm))
        story.append(p(_("Pour les parents"), styles["Heading4"]))
        story.append(
            p(
                _(
                    "Ce code ne sert qu'une fois. Gardez cette lettre jusqu'à l'activation, puis jetez-la. "
                    "Mot de passe oublié ou code perdu : le professeur principal ou le secrétariat du collège "
                    "imprime une nouvelle lettre (l'ancien code ne marche plus). Le cartable ne contient aucune "
                    "publicité ni aucun suivi ; une adresse électronique n'est pas nécessaire (l'élève peut en "
                    "ajouter une plus tard, s'il le souhaite)."
                ),
                small,
            )
        )
    document.build(story)
    return out.getvalue()
