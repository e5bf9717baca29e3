"""Periodic jobs of the grants programme (registered with ``core.scheduler``).

Each job wraps one service function, which holds the rule and is tested on its own.
"""

from __future__ import annotations

from django_tasks import task

from cybercantal.core.scheduler import periodic

from .services import retention


@periodic(hour=4, minute=25)
@task()
def grants_warn_drafts() -> int:
    """Every night: tell the applicants whose draft will be deleted in 30 days."""
    return retention.drafts_warn()


@periodic(hour=4, minute=30)
@task()
def grants_purge_drafts() -> int:
    """Every night: delete the drafts untouched for a year (GRANTS_DRAFT_RETENTION_DAYS)."""
    return retention.drafts_purge()
