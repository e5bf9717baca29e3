"""Background tasks shared by every app (ADR 0004).

Every email of the platform goes through ``send_email``. A service never sends mail inside
its transaction: it enqueues the task once the transaction has committed, so that a rolled
back write sends nothing and a slow mail server never holds a database lock::

    from cybercantal.core.tasks import email_on_commit

    email_on_commit(subject=..., body=..., to=[user.email])

which is ``transaction.on_commit(lambda: send_email.enqueue(...))``. Task arguments must be
JSON values (strings, numbers, lists, dicts): pass primary keys, never model instances.

``purge`` removes what the platform no longer needs to keep; the scheduler runs it every
night (``core.scheduler``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from .scheduler import periodic

logger = logging.getLogger("cybercantal.tasks")


def _recipients(to: str | Sequence[str]) -> list[str]:
    addresses = [to] if isinstance(to, str) else list(to)
    addresses = [address.strip() for address in addresses if address and address.strip()]
    if not addresses:
        raise ValueError("send_email needs at least one recipient.")
    return addresses


def is_deliverable(address: str) -> bool:
    """False for the placeholder addresses of people without email (a pupil's
    ``<login>@ent.invalid``): ``.invalid`` is reserved (RFC 2606), nothing is sent there."""
    return not address.strip().lower().endswith(".invalid")


@task()
def send_email(
    *,
    subject: str,
    body: str,
    to: str | list[str],
    html: str | None = None,
    reply_to: list[str] | None = None,
    from_email: str | None = None,
) -> int:
    """Send one email (plain text, with an optional HTML alternative). Returns 1 once sent.

    The subject gets ``ACCOUNT_EMAIL_SUBJECT_PREFIX`` like the account emails, so that every
    message of the platform looks the same in a mailbox.
    """
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "")
    if prefix and not subject.startswith(prefix):
        subject = f"{prefix}{subject}"
    message = EmailMultiAlternatives(
        subject=" ".join(subject.splitlines()),  # a header: no line breaks
        body=body,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=_recipients(to),
        reply_to=reply_to or None,
    )
    if html:
        message.attach_alternative(html, "text/html")
    sent = message.send()
    logger.info("email sent", extra={"subject": subject, "recipients": len(message.to)})
    return sent


def email_on_commit(
    *,
    subject: str,
    body: str,
    to: str | Sequence[str],
    html: str | None = None,
    reply_to: Sequence[str] | None = None,
    using: str | None = None,
) -> None:
    """Enqueue ``send_email`` once the current transaction commits (at once outside one).

    Arguments are checked and frozen now, so that a mistake fails in the service, not later
    in a worker, and a caller mutating its list afterwards changes nothing.
    """
    recipients = [address for address in _recipients(to) if is_deliverable(address)]
    if not recipients:
        return
    kwargs: dict[str, Any] = {
        "subject": str(subject),
        "body": str(body),
        "to": recipients,
        "html": str(html) if html else None,
        "reply_to": list(reply_to) if reply_to else None,
    }
    # robust: the data is committed; a queue that cannot be reached must not turn the
    # person's request into an error page. The failure is logged (django.db.backends.base).
    transaction.on_commit(lambda: send_email.enqueue(**kwargs), using=using, robust=True)


@periodic(hour=3, minute=30)
@task()
def purge() -> dict[str, int]:
    """Delete expired sessions and old finished task results. Returns the counts deleted.

    Successful results are kept ``TASK_RESULT_RETENTION_DAYS`` days, failed ones
    ``TASK_FAILED_RESULT_RETENTION_DAYS`` (long enough to investigate); ready or running
    tasks are never touched.
    """
    now = timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()

    kept = timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    kept_failed = timedelta(days=settings.TASK_FAILED_RESULT_RETENTION_DAYS)
    old_results = DBTaskResult.objects.finished().filter(
        Q(status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - kept)
        | Q(status=TaskResultStatus.FAILED, finished_at__lt=now - kept_failed)
    )
    results, _ = old_results.delete()

    counts = {"sessions": sessions, "task_results": results}
    logger.info("purge done", extra=counts)
    return counts
