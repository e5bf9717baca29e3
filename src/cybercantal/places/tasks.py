"""Periodic jobs of the directory (registered with ``core.scheduler``)."""

from __future__ import annotations

from django_tasks import task

from cybercantal.core.scheduler import periodic

from . import services


@periodic(hour=0, minute=5)
@task()
def refresh_opening_slots() -> int:
    """Every night: rebuild the opening slots of the coming week, so that seasonal and dated
    rules ("Jul-Aug off") take effect on their day in the "ouvert maintenant" filter too.
    Returns how many places changed."""
    return services.refresh_opening_slots()
