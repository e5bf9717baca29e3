"""Helpers of the applying tests: a dossier ready to submit, a commune outside the département,
an eligibility answer chosen by the test."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cybercantal.core.text import normalise
from cybercantal.places.tests.factories import CommuneFactory, DepartementFactory
from cybercantal.territory.models import Commune

from ..models import Application, EligibilityAnswer, ExpenseLine
from ..services import amounts
from ..services.coverage import EligibilityResult
from .factories import DocumentFactory, ExpenseLineFactory

# A La Poste establishment: SIREN 356 000 000, digits adding up to a multiple of 5, NOT Luhn-valid.
LA_POSTE_SIRET = "35600000000001"
# Luhn-valid but the digits add up to 14: La Poste's own rule refuses it.
LA_POSTE_BAD_SIRET = "35600000000014"


def neuveglise() -> Commune:
    """Needs the ``territory`` fixture (the Cantal's real communes)."""
    return Commune.objects.current().get(name="Neuvéglise-sur-Truyère")


def commune_elsewhere() -> Commune:
    """A commune of the Puy-de-Dôme (not the platform's département)."""
    return CommuneFactory(
        insee_code="63113",
        name="Clermont-Ferrand",
        departement=DepartementFactory(code="63", name="Puy-de-Dôme"),
        postal_codes=["63000"],
        search_text=normalise("Clermont-Ferrand 63000"),
    )


def fake_eligibility(answer: str = EligibilityAnswer.ELIGIBLE) -> Any:
    """A stand-in for ``coverage.eligibility_check`` (monkeypatch it in ``services.applying``)."""

    def check(*, programme: Any, commune: Any, address: str = "") -> EligibilityResult:
        explanation = {
            EligibilityAnswer.ELIGIBLE: "Meilleur débit filaire : moins de 3 Mbit/s (HD05).",
            EligibilityAnswer.NOT_ELIGIBLE: "Ces locaux ont accès à la fibre (THD1G).",
            EligibilityAnswer.TO_CHECK: "Adresse inconnue : l'instructeur vérifiera.",
        }[answer]
        return EligibilityResult(
            answer=answer,
            explanation=explanation,
            basis="building",
            edition="2026T1",
            data={"best_class": "HD05", "latitude": None},
            checked_at="2026-03-03T10:42:00+01:00",
        )

    return check


def ready_to_submit(application: Application, *, commune: Commune, amount: Decimal = Decimal("3200.00")) -> Application:
    """Fill ``application`` (a draft) so that nothing is missing: premises in ``commune`` found
    eligible, one line with its quote, de minimis 0, conditions certified."""
    application.premises_address = "Lieu-dit La Scierie"
    application.premises_commune = commune
    application.eligibility = EligibilityAnswer.ELIGIBLE
    application.eligibility_snapshot = {"answer": "eligible", "explanation": "HD05", "edition": "2026T1"}
    application.de_minimis_amount = Decimal("0.00")
    application.declarations_certified = True
    application.save()
    add_line(application, amount=amount)
    amounts.application_recompute(application=application)
    application.refresh_from_db()
    return application


def add_line(application: Application, *, amount: Decimal = Decimal("3200.00"), quote: bool = True) -> ExpenseLine:
    document = DocumentFactory(application=application) if quote else None
    return ExpenseLineFactory(
        application=application,
        amount=amount,
        description="Installation satellite",
        category=application.programme.categories.get(code="installation"),
        quote=document,
    )
