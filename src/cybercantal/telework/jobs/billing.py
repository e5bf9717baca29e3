"""Periodic job of part "billing": the monthly invoices.

Every day at 06:00 (Europe/Paris) the previous month is issued for every operator; the work
happens on the 1st, and since issuing is idempotent the other days issue nothing — except
when the scheduler was stopped on the 1st, when the first run after it catches up.
"""

from __future__ import annotations

from django_tasks import task

from cybercantal.core.scheduler import periodic

from ..services import billing


@periodic(hour=6, minute=0)
@task()
def telework_issue_invoices() -> int:
    """Issue the previous month's invoices of every operator (one per payer; idempotent)."""
    return billing.invoices_issue_previous_month()
