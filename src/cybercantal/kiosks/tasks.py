"""Periodic jobs of the kiosks programme (registered with ``core.scheduler``).

Each job wraps one service function, which holds the rule and is tested on its own.
"""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from cybercantal.core.scheduler import periodic

from .services import agents, fleet

# --- Monitoring (issue 5 §4) ---------------------------------------------------------------------


@periodic(every=timedelta(minutes=5))
@task()
def kiosks_detect_incidents() -> int:
    """Every 5 minutes: open an incident for each kiosk in service silent for more than 30
    minutes of its host's opening hours, and email the host and the programme team once."""
    return fleet.incidents_detect()


@periodic(hour=1, minute=15)
@task()
def kiosks_compute_uptime() -> int:
    """Every night: yesterday's uptime per kiosk during its host's opening hours."""
    return fleet.uptime_compute_day()


@periodic(hour=4, minute=35)
@task()
def kiosks_purge_heartbeats() -> int:
    """Every night: delete heartbeats older than 90 days (the daily uptime keeps the history)."""
    return fleet.heartbeats_purge_old()


# --- Agents ------------------------------------------------------------------------------------


@periodic(minute=10)
@task()
def kiosks_cancel_stale_help_requests() -> int:
    """Every hour at hh:10: cancel the help requests left open more than four hours."""
    return agents.help_requests_cancel_stale()
