"""Factories of the dossier part's tests: a dossier in any state with its history, lines and
quotes, messages, private notes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ..models import (
    Application,
    DocumentKind,
    EligibilityAnswer,
    ExpenseLine,
    Message,
    ReviewNote,
    Status,
    StatusChange,
)
from .factories import ApplicationFactory, DocumentFactory, ExpenseLineFactory

# The path a dossier takes to reach each state (each pair is one StatusChange).
PATHS: dict[str, list[str]] = {
    Status.DRAFT: [],
    Status.SUBMITTED: [Status.SUBMITTED],
    Status.UNDER_REVIEW: [Status.SUBMITTED, Status.UNDER_REVIEW],
    Status.CORRECTIONS: [Status.SUBMITTED, Status.UNDER_REVIEW, Status.CORRECTIONS],
    Status.ACCEPTED: [Status.SUBMITTED, Status.UNDER_REVIEW, Status.ACCEPTED],
    Status.REFUSED: [Status.SUBMITTED, Status.UNDER_REVIEW, Status.REFUSED],
    Status.CLOSED: [Status.SUBMITTED, Status.CLOSED],
    Status.PAID: [Status.SUBMITTED, Status.UNDER_REVIEW, Status.ACCEPTED, Status.PAID],
}

SNAPSHOT = {
    "answer": EligibilityAnswer.ELIGIBLE,
    "explanation": "Le meilleur débit filaire à cette adresse est de moins de 3 Mbit/s (classe HD05).",
    "basis": "building",
    "edition": "2026T1",
    "data": {"best_class": "HD05", "imb_id": "IMB/15139/X/001"},
    "checked_at": "2026-03-03T10:15:00+01:00",
}


def dossier(
    *,
    programme: Any,
    business: Any,
    created_by: Any = None,
    status: str = Status.SUBMITTED,
    amount: Decimal = Decimal("3200.00"),
    with_quote: bool = True,
    at: datetime | None = None,
    **fields: Any,
) -> Application:
    """A dossier of ``business`` in ``status``, its premises and eligibility filled in, one
    eligible line of ``amount`` with a real PDF quote, and its StatusChange history."""
    aid = (amount * programme.rate_percent / 100).quantize(Decimal("0.01"))
    if programme.cap_per_application is not None:
        aid = min(aid, programme.cap_per_application)
    decided = aid if status in (Status.ACCEPTED, Status.PAID) else None
    values: dict[str, Any] = {
        "programme": programme,
        "organisation": business,
        "created_by": created_by,
        "status": status,
        "premises_address": "Lieu-dit La Scierie",
        "premises_postal_code": "15260",
        "eligibility": EligibilityAnswer.ELIGIBLE,
        "eligibility_snapshot": SNAPSHOT,
        "eligible_total": amount,
        "computed_aid": aid,
        "decided_amount": decided,
        "paid_amount": aid if status == Status.PAID else Decimal("0.00"),
    }
    values.update(fields)
    application = ApplicationFactory(**values)
    quote = (
        DocumentFactory(application=application, kind=DocumentKind.QUOTE, original_name="devis-parabole.pdf")
        if with_quote
        else None
    )
    ExpenseLineFactory(application=application, amount=amount, description="Installation d'une parabole", quote=quote)
    previous = Status.DRAFT
    for target in PATHS[status]:
        change = StatusChange.objects.create(
            application=application, from_status=previous, to_status=target, actor=created_by
        )
        if at is not None:
            StatusChange.objects.filter(pk=change.pk).update(at=at)
        previous = target
    return application


def lines_of(application: Application) -> list[ExpenseLine]:
    return list(application.lines.all())


def message(
    application: Application, *, author: Any, from_applicant: bool, body: str = "Bonjour", read: bool = False
) -> Message:
    return Message.objects.create(
        application=application,
        author=author,
        from_applicant=from_applicant,
        body=body,
        read_at=timezone.now() if read else None,
    )


def private_note(application: Application, *, author: Any, text: str) -> ReviewNote:
    return ReviewNote.objects.create(application=application, author=author, text=text)
