"""Helpers of the prospecting tests: a company through the service (with its stage history),
a company moved along a path of stages on given days, a source partner."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone
from stdnum import luhn

from cybercantal.accounts.models import Organisation
from cybercantal.accounts.tests.factories import OrganisationFactory

from ..models import LostReason, Prospect, ProspectStage
from ..services import prospecting as services

_numbers = itertools.count(10_000_000)


def new_siren() -> str:
    """A fresh SIREN with a valid key."""
    base = str(next(_numbers))
    return base + luhn.calc_check_digit(base)


def partner(name: str = "Cantal Expansion") -> Organisation:
    return OrganisationFactory(name=name, kind=Organisation.Kind.ASSOCIATION)


def prospect(name: str = "Entreprise test", *, identified_days_ago: int = 0, **kwargs: Any) -> Prospect:
    """A company created by the service (actor: the platform), at « Identifiée »."""
    kwargs.setdefault("siren", new_siren())
    return services.prospect_create(
        actor=None,
        name=name,
        identified_on=timezone.localdate() - dt.timedelta(days=identified_days_ago),
        **kwargs,
    )


def moved(company: Prospect, *path: tuple[str, int], agreement: Any = None) -> Prospect:
    """Move ``company`` along ``path``: (stage, days ago) pairs, oldest first. « Perdue » gets
    the motive « Plus de réponse »."""
    today = timezone.localdate()
    for stage, days in path:
        services.prospect_move(
            actor=None,
            prospect=company,
            to_stage=stage,
            on=today - dt.timedelta(days=days),
            reason_kind=LostReason.NO_ANSWER if stage == ProspectStage.LOST else "",
            agreement=agreement if stage in services.AGREEMENT_STAGES else None,
        )
    company.refresh_from_db()
    return company
