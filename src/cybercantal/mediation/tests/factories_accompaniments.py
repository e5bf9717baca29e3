"""Helpers of the accompaniments tests: a valid record's keyword arguments, a followed person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cybercantal.mediation import models as m
from cybercantal.mediation.services import accompaniments as services


def record_kwargs(place: Any, **overrides: Any) -> dict[str, Any]:
    """What a mediator types for an individual accompaniment today (valid as is)."""
    values: dict[str, Any] = {
        "place": place,
        "kind": m.AccompanimentKind.INDIVIDUAL,
        "date": timezone.localdate(),
        "duration_minutes": 30,
        "themes": [m.DigitalTheme.EMAIL],
        "autonomy": m.Autonomy.PARTLY,
    }
    values.update(overrides)
    return values


def collective_kwargs(place: Any, total: int = 6, **overrides: Any) -> dict[str, Any]:
    """A valid collective workshop of ``total`` people (everyone "non communiqué" but gender)."""
    values = record_kwargs(place, kind=m.AccompanimentKind.COLLECTIVE, duration_minutes=120, autonomy="")
    values["participants"] = total
    values["counts"] = {
        "gender_female": total // 2,
        "gender_male": total - total // 2,
        "age_unknown": total,
        "status_unknown": total,
    }
    values.update(overrides)
    return values


def make_beneficiary(*, actor: Any, place: Any, **overrides: Any) -> m.Beneficiary:
    values: dict[str, Any] = {"first_name": "Éloïse", "last_name": "Vermenouze", "phone": "04 71 40 00 00"}
    values.update(overrides)
    return services.beneficiary_create(actor=actor, place=place, **values)


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)
