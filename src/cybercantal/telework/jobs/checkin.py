"""Periodic jobs of part "checkin": release the no-shows, send tomorrow's reminders."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from cybercantal.core.scheduler import periodic

from ..services import checkin


@periodic(every=timedelta(minutes=5))
@task()
def telework_release_no_shows() -> int:
    """Every 5 minutes: release the bookings nobody checked in for in time (seats go to the
    waiting list). Safe to run twice at once: each booking is released once."""
    return checkin.bookings_release_no_shows()


@periodic(minute=10)
@task()
def telework_send_reminders() -> int:
    """Every hour at hh:10: remind the members whose bookings start tomorrow (from 17 h, each
    reminder once)."""
    return checkin.bookings_send_reminders()
