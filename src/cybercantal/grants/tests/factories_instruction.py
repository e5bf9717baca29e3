"""Dossiers ready for instruction: submitted with lines and quotes, the figures computed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ..models import Application, EligibilityAnswer, Status, StatusChange
from ..services import amounts
from .factories import ApplicationFactory, DocumentFactory, ExpenseLineFactory


def dossier(
    *,
    programme: Any,
    business: Any = None,
    applicant: Any = None,
    status: str = Status.SUBMITTED,
    lines: tuple[Decimal | str, ...] = ("3200.00",),
    days_ago: int = 3,
    instructor: Any = None,
    decided_amount: Decimal | None = None,
    **fields: Any,
) -> Application:
    """A dossier in ``status`` (never a draft here) with one eligible line per amount, each with
    a quote, and its figures stored."""
    extra: dict[str, Any] = {}
    if business is not None:
        extra["organisation"] = business
    if applicant is not None:
        extra["created_by"] = applicant
    submitted = timezone.now() - timedelta(days=days_ago)
    values: dict[str, Any] = {
        "programme": programme,
        "status": Status.SUBMITTED,
        "submitted_at": submitted,
        "first_submitted_at": submitted,
        "premises_address": "Lieu-dit La Vialle",
        "premises_postal_code": "15110",
        "eligibility": EligibilityAnswer.ELIGIBLE,
        "eligibility_snapshot": {
            "answer": "eligible",
            "explanation": "Meilleur débit filaire : moins de 3 Mbit/s.",
            "basis": "building",
            "edition": "2026T2",
            "data": {"best_class": "HD05"},
        },
        "de_minimis_amount": Decimal("0.00"),
        "declarations_certified": True,
        **extra,
        **fields,
    }
    application = ApplicationFactory(**values)
    for position, amount in enumerate(lines):
        quote = DocumentFactory(application=application)
        ExpenseLineFactory(
            application=application,
            amount=Decimal(amount),
            description=f"Kit satellite {position + 1}",
            quote=quote,
            position=position,
        )
    amounts.application_recompute(application=application)
    StatusChange.objects.create(application=application, from_status=Status.DRAFT, to_status=Status.SUBMITTED)
    updates: dict[str, Any] = {}
    if status != Status.SUBMITTED:
        updates["status"] = status
    if instructor is not None:
        updates["instructor"] = instructor
    if status in (Status.ACCEPTED, Status.PAID):
        application.refresh_from_db()
        updates["decided_amount"] = decided_amount if decided_amount is not None else application.computed_aid
        updates["decided_at"] = timezone.now()
    elif status in (Status.REFUSED, Status.CLOSED):
        updates["decided_at"] = timezone.now()
        updates["decision_reason"] = "Motif de test"
    if updates:
        Application.objects.filter(pk=application.pk).update(**updates)
    application.refresh_from_db()
    return application
