"""The decision letter: every figure in the PDF, the refusal's reason, who may download it."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from ..models import ReviewNote, Status
from ..services import instruction as services
from ..services.decision_letter import letter_pdf
from .factories import BusinessFactory
from .factories_instruction import dossier

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


@pytest.fixture
def reviewing(programme, business, applicant, instructor):
    application = dossier(
        programme=programme,
        business=business,
        applicant=applicant,
        status=Status.UNDER_REVIEW,
        instructor=instructor,
        lines=("12000.00", "400.00"),
        premises_address="Lieu-dit Lanau",
        business_name="Scierie des Planèzes",
    )
    abonnement = programme.categories.get(code="abonnement")
    application.lines.create(
        category=abonnement, description="Abonnement 12 mois", amount=Decimal("600.00"), position=9
    )
    from ..services import amounts

    amounts.application_recompute(application=application)
    return application


def test_acceptance_letter_has_every_figure(reviewing, instructor):
    ReviewNote.objects.create(application=reviewing, author=instructor, text="Note privée à ne pas divulguer")
    line = reviewing.lines.get(amount=Decimal("400.00"))
    services.line_set_ineligible(actor=instructor, line=line, reason="Câble déjà facturé")
    services.application_accept(actor=instructor, application=reviewing, amount="4800")
    reviewing.refresh_from_db()
    text = pdf_text(letter_pdf(reviewing))
    for expected in (
        "Région Auvergne-Rhône-Alpes",
        reviewing.reference,
        "Scierie des Planèzes",
        "SIRET",
        reviewing.siret[:3],
        "Lieu-dit Lanau",
        "Auverdata",
        "Aide accordée",
        "12 000,00 €",  # a line
        "400,00 €",
        "Câble déjà facturé",  # why a line does not count
        "Abonnement 12 mois",
        "Catégorie de dépense non éligible",
        "13 000,00 €",  # requested total
        "12 000,00 €",  # eligible total
        "50 %",  # rate
        "6 000,00 €",  # aid at the rate
        "5 000,00 €",  # cap (applied)
        "(appliqué)",
        "4 800,00 €",  # decided
        "factures acquittées",  # conditions of payment
        "service instructeur",  # signature block
    ):
        assert expected in text, expected
    assert "Note privée" not in text


def test_refusal_letter_gives_the_reason(reviewing, instructor):
    services.application_refuse(actor=instructor, application=reviewing, reason="Les locaux ont déjà la fibre.")
    reviewing.refresh_from_db()
    text = pdf_text(letter_pdf(reviewing))
    assert "Demande refusée" in text
    assert "Les locaux ont déjà la fibre." in text
    assert "factures acquittées" not in text


@pytest.mark.parametrize(
    ("who", "expected"),
    [("applicant", 200), ("other_applicant", 404), ("instructor", 200), ("manager", 200), ("anonymous", 302)],
)
def test_letter_download_per_role(client, reviewing, instructor, applicant, other_applicant, manager, who, expected):
    services.application_accept(actor=instructor, application=reviewing)
    people = {"applicant": applicant, "other_applicant": other_applicant, "instructor": instructor, "manager": manager}
    if who != "anonymous":
        client.force_login(people[who])
    response = client.get(reverse("grants:decision_letter", args=[reviewing.reference]))
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        content = b"".join(response.streaming_content)
        assert "5 000,00 €" in pdf_text(content)


def test_letter_is_404_without_a_decision_or_for_an_unknown_dossier(client, reviewing, applicant, instructor):
    client.force_login(applicant)
    assert client.get(reverse("grants:decision_letter", args=[reviewing.reference])).status_code == 404
    assert client.get(reverse("grants:decision_letter", args=["AUV-2026-99999"])).status_code == 404
    client.force_login(instructor)
    assert client.get(reverse("grants:decision_letter", args=["x" * 300])).status_code == 404


def test_the_latest_letter_is_served_after_a_reopening(client, reviewing, manager, applicant):
    services.application_refuse(actor=manager, application=reviewing, reason="Premier motif")
    services.application_reopen(actor=manager, application=reviewing, reason="Recours")
    client.force_login(applicant)
    # Reopened: the former decision's letter is void.
    assert client.get(reverse("grants:decision_letter", args=[reviewing.reference])).status_code == 404
    services.application_accept(actor=manager, application=reviewing, amount="3000")
    response = client.get(reverse("grants:decision_letter", args=[reviewing.reference]))
    text = pdf_text(b"".join(response.streaming_content))
    assert "3 000,00 €" in text
    assert "Premier motif" not in text


def test_a_business_without_commune_still_gets_a_letter(programme, instructor):
    application = dossier(programme=programme, status=Status.UNDER_REVIEW, business=BusinessFactory(), siret="")
    services.application_close(
        actor=instructor, application=application, reason="Sans réponse <b>du</b> demandeur & co"
    )
    application.refresh_from_db()
    text = pdf_text(letter_pdf(application))
    assert "classé sans suite" in text
    assert "Sans réponse <b>du</b> demandeur & co" in text
