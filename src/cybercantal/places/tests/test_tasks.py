"""The nightly refresh of opening slots is registered with the scheduler and does its job."""

from __future__ import annotations

import pytest

from cybercantal.core import scheduler
from cybercantal.places import tasks
from cybercantal.places.models import PlaceOpeningSlot
from cybercantal.places.tests.factories import PlaceFactory


def test_refresh_is_a_nightly_job():
    scheduler.discover()
    jobs = {job.name: job for job in scheduler.registered_jobs()}
    assert "cybercantal.places.tasks.refresh_opening_slots" in jobs


@pytest.mark.django_db
def test_refresh_task_rebuilds_missing_slots():
    place = PlaceFactory(opening_hours="Mo-Fr 09:00-12:00")
    PlaceOpeningSlot.objects.filter(place=place).delete()

    changed = tasks.refresh_opening_slots.call()

    assert changed >= 1
    assert PlaceOpeningSlot.objects.filter(place=place).count() == 5
