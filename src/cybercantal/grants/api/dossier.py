"""API of the dossier part: ``GET /api/aides/dossiers/{reference}``, the status of a dossier for
its applicant (and the instructors and programme team).

Signed in through the site's session (``django_auth``); anonymous: 401. A dossier that does not
exist and a dossier of another business get the same 404 body (its existence is not revealed).
Amounts are strings (``"1600.00"``, euros, two decimals): never floats. The instructors' private
notes are never part of the answer.
"""

# No ``from __future__ import annotations``: django-ninja reads the annotations at runtime.

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.security import django_auth

from ..models import Status
from ..queries import dossier as queries

router = Router()


class ErrorOut(Schema):
    code: str = Field(..., description="Code de l'erreur (anglais, stable).")
    message: str = Field(..., description="Message en français.")
    field: str | None = Field(None, description="Paramètre en cause, s'il y en a un.")


class ProgrammeRefOut(Schema):
    slug: str
    nom: str


class StateOut(Schema):
    code: str = Field(..., description="État (code) : draft, submitted, under_review, corrections, …")
    libelle: str = Field(..., description="État, en français.")


class ChangeOut(Schema):
    de: str = Field(..., description="État précédent (code).")
    vers: str = Field(..., description="Nouvel état (code).")
    libelle: str = Field(..., description="Nouvel état, en français.")
    le: datetime


class AmountsOut(Schema):
    depenses_eligibles: str = Field(..., description="Dépenses éligibles HT, en euros (« 3200.00 »).")
    aide_calculee: str = Field(..., description="Aide calculée (demandée), en euros.")
    aide_accordee: str | None = Field(..., description="Aide accordée, en euros ; null avant la décision.")
    aide_versee: str = Field(..., description="Aide versée, en euros.")


class NextStepOut(Schema):
    code: str = Field(..., description="complete, correct, wait, invoices, decision_letter, messages ou none.")
    libelle: str
    detail: str
    url: str | None = Field(..., description="Page où agir, s'il y en a une.")


class DossierOut(Schema):
    reference: str
    dispositif: ProgrammeRefOut
    etat: StateOut
    cree_le: datetime
    depose_le: datetime | None = Field(..., description="Dernier dépôt.")
    decide_le: datetime | None
    changements: list[ChangeOut] = Field(..., description="Changements d'état, du plus ancien au plus récent.")
    montants: AmountsOut
    messages_non_lus: int = Field(..., description="Messages de l'instruction pas encore lus par le demandeur.")
    attendu: list[NextStepOut] = Field(..., description="Ce qui est attendu du demandeur, le principal d'abord.")


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


@router.get(
    "/dossiers/{reference}",
    auth=django_auth,
    response={200: DossierOut, 401: ErrorOut, 404: ErrorOut},
    summary="État d'un dossier de demande d'aide",
    description=(
        "Pour la personne connectée qui dépose le dossier au nom de l'entreprise (et pour l'instruction) : "
        "l'état du dossier, ses changements d'état datés, les montants (chaînes, en euros) et ce qui est "
        "attendu ensuite. Sans connexion : 401. Un dossier inconnu ou d'une autre entreprise : 404."
    ),
    operation_id="aides_dossier",
)
def dossier_status(request: HttpRequest, reference: str) -> Any:
    application = queries.application_by_reference(reference)
    if application is None or not queries.may_view(request.user, application):
        raise Http404
    unread = queries.unread_count(application, for_applicant=True)
    steps = queries.next_steps(application, unread=unread)
    return {
        "reference": application.reference,
        "dispositif": {"slug": application.programme.slug, "nom": application.programme.name},
        "etat": {"code": application.status, "libelle": str(Status(application.status).label)},
        "cree_le": application.created_at,
        "depose_le": application.submitted_at,
        "decide_le": application.decided_at,
        "changements": [
            {
                "de": change.from_status,
                "vers": change.to_status,
                "libelle": str(Status(change.to_status).label),
                "le": change.at,
            }
            for change in queries.timeline(application)
        ],
        "montants": {
            "depenses_eligibles": _money(application.eligible_total),
            "aide_calculee": _money(application.computed_aid),
            "aide_accordee": _money(application.decided_amount),
            "aide_versee": _money(application.paid_amount),
        },
        "messages_non_lus": unread,
        "attendu": [
            {
                "code": step.code,
                "libelle": step.label,
                "detail": step.detail,
                "url": request.build_absolute_uri(step.url) if step.url else None,
            }
            for step in steps
        ],
    }
