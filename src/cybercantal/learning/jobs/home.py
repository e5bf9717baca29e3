"""Periodic jobs of part "home": the retention of pupils' data."""

from __future__ import annotations

from django_tasks import task

from cybercantal.core.scheduler import periodic

from ..services import home


@periodic(hour=3, minute=50)
@task()
def learning_retention_purge() -> dict[str, int]:
    """Every night: erase the pupils who left their school more than three months ago (and
    the ENT-only accounts of their parents). Idempotent."""
    return home.retention_purge()
