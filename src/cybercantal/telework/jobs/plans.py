"""Periodic jobs of part "plans"."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from cybercantal.core.scheduler import periodic

from ..services import plans


@periodic(hour=0, minute=20)
@task()
def telework_renew_memberships() -> int:
    """Every night: the month's credits of every open monthly membership due (idempotent: a
    second run, even at the same time, grants nothing more). Returns the grants created."""
    return plans.memberships_renew(on=timezone.localdate())
