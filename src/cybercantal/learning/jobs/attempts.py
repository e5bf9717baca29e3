"""Periodic job of part "attempts": hand in the attempts whose time is over."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from cybercantal.core.scheduler import periodic

from ..services import attempts


@periodic(every=timedelta(minutes=2))
@task()
def learning_close_expired_attempts() -> int:
    """Every 2 minutes: submit, with what was saved, the attempts past their time limit or
    whose assignment closed (a pupil who opens one meanwhile closes it too). Safe to run twice
    at once: each attempt is closed once, under its row lock."""
    return attempts.attempts_close_expired()
