"""Periodic jobs of the EPN network (registered with ``core.scheduler``).

Each job is a thin wrapper around one service function, which holds the rule and is
tested on its own; the job returns what the service counted.
"""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from cybercantal.core.scheduler import periodic

from .services import accompaniments, free_access, mediators, registrations, statistics

# --- Workshops ---------------------------------------------------------------------------------


@periodic(hour=10, minute=0)
@task()
def send_workshop_reminders() -> int:
    """Every day at 10:00: remind tomorrow's confirmed registrants who gave an email (once each)."""
    return registrations.registrations_send_reminders()


@periodic(hour=4, minute=10)
@task()
def anonymise_old_registrations() -> int:
    """Every night: blank names and contacts of registrations to sessions over 12 months old."""
    return registrations.registrations_anonymise_old()


# --- Accompaniments ----------------------------------------------------------------------------


@periodic(hour=3, minute=20)
@task()
def purge_expired_beneficiaries() -> int:
    """Every night: erase the followed people kept past their retention date (journalled as
    the system); their accompaniments stay, anonymous. Returns how many were erased."""
    return accompaniments.beneficiary_purge_expired()


# --- Labels ------------------------------------------------------------------------------------


@periodic(hour=2, minute=40)
@task()
def place_labels_sync_lmn() -> int:
    """Every night: labels that start or end today (nobody clicks then) reach the places' LMN
    fields, hence the directory and the national export. Returns how many places changed."""
    return mediators.place_labels_sync_lmn(actor=None)


# --- Free access -------------------------------------------------------------------------------


@periodic(hour=3, minute=50)
@task()
def anonymise_old_computer_bookings() -> int:
    """Every night: blank the names and contacts of computer bookings ended over a month ago."""
    return free_access.computer_bookings_anonymise_old()


# --- Statistics --------------------------------------------------------------------------------


@periodic(hour=4, minute=40)
@task()
def refresh_statistics_months() -> int:
    """Every night: rebuild the monthly statistics of the last closed months and of this month
    up to yesterday (the page reads them instead of counting years of rows). Returns the number
    of rows written."""
    return statistics.statistics_refresh_months()


@periodic(every=timedelta(minutes=10))
@task()
def refresh_statistics_this_month() -> int:
    """Every 10 minutes: rebuild this month's statistics up to yesterday, so that the page
    counts live only today's records. Returns the number of rows written."""
    return statistics.statistics_refresh_months(months=0)
