"""Periodic jobs: a registry, and a scheduler pass that enqueues the jobs that are due.

An app declares a periodic job in its ``tasks.py`` by putting ``@periodic`` over a task::

    @periodic(every=timedelta(minutes=15))      # every 15 minutes
    @task()
    def send_reminders() -> int: ...

    @periodic(hour=3, minute=30)                # every day at 03:30, Europe/Paris
    @periodic(minute=5)                         # every hour at hh:05
    @periodic(weekday=0, hour=7)                # every Monday at 07:00

``cybercantal run_scheduler`` calls ``run_due()`` in a loop. The scheduler only *enqueues*:
the task runs in a worker (``cybercantal db_worker``), like any other task.

Several schedulers may run at once (one per application server, say): each job has a row
in ``ScheduledJob`` with the time it was last enqueued, and a scheduler decides and records
under a lock on that row — ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, a
``BEGIN IMMEDIATE`` transaction on SQLite — so that a job is enqueued once per period. With
the database task backend the task row is written in the same transaction as the
``ScheduledJob`` row: both are saved or neither.

Rules of the clock:

* ``every=`` jobs run as soon as they are first seen, then when ``every`` has passed since
  they were last enqueued;
* clock jobs (``minute``/``hour``/``weekday``) wait for their first slot after they were
  first seen, then run once per slot; when the scheduler was stopped over several slots, the
  job runs once on restart, not once per missed slot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from importlib import import_module

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule
from django_tasks.base import Task

from .models import ScheduledJob

logger = logging.getLogger("cybercantal.scheduler")

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


@dataclass(frozen=True)
class PeriodicJob:
    task: Task
    every: timedelta | None = None
    minute: int | None = None
    hour: int | None = None
    weekday: int | None = None

    def __post_init__(self) -> None:
        clock = (self.minute, self.hour, self.weekday)
        if self.every is not None:
            if any(value is not None for value in clock):
                raise ValueError("periodic(): give either every= or minute/hour/weekday, not both.")
            if self.every < timedelta(minutes=1):
                raise ValueError("periodic(): every= must be at least one minute.")
        elif all(value is None for value in clock):
            raise ValueError("periodic(): give every= or at least one of minute, hour, weekday.")
        if self.minute is not None and not 0 <= self.minute <= 59:
            raise ValueError("periodic(): minute must be between 0 and 59.")
        if self.hour is not None and not 0 <= self.hour <= 23:
            raise ValueError("periodic(): hour must be between 0 and 23.")
        if self.weekday is not None and not 0 <= self.weekday <= 6:
            raise ValueError("periodic(): weekday must be between 0 (Monday) and 6 (Sunday).")

    @property
    def name(self) -> str:
        return self.task.module_path

    def last_slot(self, now: datetime) -> datetime:
        """The latest moment at or before ``now`` when this clock job should run."""
        if self.every is not None:
            raise ValueError("last_slot() is for clock jobs.")
        local = timezone.localtime(now)
        minute = self.minute or 0
        if self.hour is None and self.weekday is None:  # hourly
            slot = local.replace(minute=minute, second=0, microsecond=0)
            return slot if slot <= local else slot - timedelta(hours=1)
        hour = self.hour or 0
        day = local.date()
        if self.weekday is not None:
            day -= timedelta(days=(local.weekday() - self.weekday) % 7)
        slot = datetime.combine(day, time(hour, minute), tzinfo=local.tzinfo)
        if slot > local:
            slot = datetime.combine(
                day - timedelta(days=7 if self.weekday is not None else 1), time(hour, minute), tzinfo=local.tzinfo
            )
        return slot

    def is_due(self, last_enqueued_at: datetime | None, now: datetime) -> bool:
        if self.every is not None:
            return last_enqueued_at is None or now - last_enqueued_at >= self.every
        return last_enqueued_at is not None and last_enqueued_at < self.last_slot(now)

    def next_run(self, last_enqueued_at: datetime | None, now: datetime) -> datetime:
        """When the job will next be enqueued (``now`` when it is due), for ``--list``."""
        if self.every is not None:
            return now if last_enqueued_at is None else max(now, last_enqueued_at + self.every)
        if self.is_due(last_enqueued_at, now):
            return now
        step = timedelta(hours=1) if self.hour is None and self.weekday is None else timedelta(days=1)
        if self.weekday is not None:
            step = timedelta(days=7)
        # The slot after the current one (adding the step in local time keeps 03:30 at 03:30
        # across a daylight-saving change).
        return self.last_slot(now) + step

    def describe(self) -> str:
        """The rhythm in plain French, for ``run_scheduler --list`` and the logs."""
        if self.every is not None:
            minutes = int(self.every.total_seconds() // 60)
            if minutes % (24 * 60) == 0:
                days = minutes // (24 * 60)
                return "tous les jours" if days == 1 else f"tous les {days} jours"
            if minutes % 60 == 0:
                hours = minutes // 60
                return "toutes les heures" if hours == 1 else f"toutes les {hours} heures"
            return "toutes les minutes" if minutes == 1 else f"toutes les {minutes} minutes"
        at = f"{self.hour or 0:02d} h {self.minute or 0:02d}"
        if self.weekday is not None:
            return f"chaque {WEEKDAYS[self.weekday]} à {at}"
        if self.hour is not None:
            return f"chaque jour à {at}"
        return f"chaque heure à la minute {self.minute or 0:02d}"


_registry: dict[str, PeriodicJob] = {}


def periodic(
    *,
    every: timedelta | None = None,
    minute: int | None = None,
    hour: int | None = None,
    weekday: int | None = None,
) -> Callable[[Task], Task]:
    """Register a task (one that takes no arguments) as a periodic job. Returns the task."""

    def register(task: Task) -> Task:
        if not isinstance(task, Task):
            raise TypeError("@periodic goes above @task(): it registers a task, not a function.")
        job = PeriodicJob(task=task, every=every, minute=minute, hour=hour, weekday=weekday)
        _registry[job.name] = job
        return task

    return register


def discover() -> None:
    """Import the ``tasks`` module of each of the project's apps, so that they register."""
    for app_config in apps.get_app_configs():
        if app_config.name.startswith("cybercantal.") and module_has_submodule(app_config.module, "tasks"):
            import_module(f"{app_config.name}.tasks")


def registered_jobs() -> list[PeriodicJob]:
    discover()
    return sorted(_registry.values(), key=lambda job: job.name)


@contextmanager
def locked_transaction(using: str | None = None) -> Iterator[None]:
    """A transaction that holds the database write lock from its first statement on SQLite.

    PostgreSQL locks rows with ``SELECT … FOR UPDATE``; SQLite has no row locks, so the
    transaction starts with ``BEGIN IMMEDIATE`` (the project's default, enforced here) and
    a second scheduler waits for the first to commit, then sees its update.
    """
    connection = transaction.get_connection(using)
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic(using=using):
            yield
        return
    connection.ensure_connection()
    previous = connection.transaction_mode
    connection.transaction_mode = "IMMEDIATE"
    try:
        with transaction.atomic(using=using):
            yield
    finally:
        connection.transaction_mode = previous


def _enqueue_if_due(job: PeriodicJob, now: datetime) -> bool:
    with locked_transaction():
        row = ScheduledJob.objects.select_for_update(skip_locked=True).filter(name=job.name).first()
        if row is None:  # another scheduler holds this job right now: it decides
            return False
        if row.last_enqueued_at is None and job.every is None:
            # A clock job seen for the first time waits for its next slot.
            row.last_enqueued_at = now
            row.save(update_fields=["last_enqueued_at"])
            return False
        if not job.is_due(row.last_enqueued_at, now):
            return False
        result = job.task.enqueue()
        row.last_enqueued_at = now
        row.last_result_id = str(result.id)[:64]
        row.save(update_fields=["last_enqueued_at", "last_result_id"])
    logger.info("periodic job enqueued", extra={"job": job.name, "result_id": row.last_result_id})
    return True


def run_due(*, now: datetime | None = None, jobs: Iterable[PeriodicJob] | None = None) -> list[str]:
    """Enqueue every job that is due; returns their names. Safe to call from several processes."""
    now = now or timezone.now()
    jobs = list(jobs) if jobs is not None else registered_jobs()
    ScheduledJob.objects.bulk_create([ScheduledJob(name=job.name) for job in jobs], ignore_conflicts=True)
    return [job.name for job in jobs if _enqueue_if_due(job, now)]


def job_states(*, now: datetime | None = None) -> list[tuple[PeriodicJob, datetime | None, datetime]]:
    """Each registered job with when it was last really enqueued (or None) and when it will next be."""
    now = now or timezone.now()
    jobs = registered_jobs()
    rows = ScheduledJob.objects.filter(name__in=[job.name for job in jobs])
    seen = {row.name: row for row in rows}
    states = []
    for job in jobs:
        row = seen.get(job.name)
        last = row.last_enqueued_at if row is not None else None
        # A clock job seen for the first time has a date but was not enqueued (no result id).
        enqueued = last if row is not None and row.last_result_id else None
        states.append((job, enqueued, job.next_run(last, now)))
    return states
