"""Periodic jobs of the kiosks programme (registered with ``core.scheduler``).

Each job wraps one service function, which holds the rule and is tested on its own.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django_tasks import task

from cybercantal.core.scheduler import periodic

from .services import agents, catalogue, fleet

logger = logging.getLogger("cybercantal.kiosks")

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


# --- Catalogue ---------------------------------------------------------------------------------


@periodic(weekday=0, hour=5, minute=50)
@task()
def kiosks_check_links() -> int:
    """Every Monday at 05:50: check the official link of every procedure (the function of the
    ``kiosks_check_links`` command), store each result on its procedure and return the number of
    dead links. Dead links are logged (warning); the job never fails on them, nor when the
    internet is unreachable (every link is then stored as unreachable and an error is logged),
    so the scheduler and the worker go on."""
    try:
        report = catalogue.procedures_check_links()
    except Exception:  # a database or programming error: logged, the next run retries
        logger.exception("kiosks_check_links: la vérification des liens a échoué")
        return 0
    dead = report.dead
    if report.checked and len(dead) == report.checked:
        logger.error(
            "kiosks_check_links: aucun des %s liens n'a répondu (internet injoignable ?) : %s",
            report.checked,
            dead[0].status,
        )
    elif dead:
        logger.warning(
            "kiosks_check_links: %s lien(s) mort(s) sur %s : %s",
            len(dead),
            report.checked,
            "; ".join(f"{result.title} ({result.status})" for result in dead[:20]),
        )
    else:
        logger.info("kiosks_check_links: %s lien(s) vérifié(s), aucun mort", report.checked)
    return len(dead)
