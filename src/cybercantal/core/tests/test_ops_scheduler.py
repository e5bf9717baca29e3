"""Periodic jobs: the clock rules, one enqueue per period, several schedulers at once."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from cybercantal.core import scheduler
from cybercantal.core.models import ScheduledJob
from cybercantal.core.scheduler import PeriodicJob, periodic, run_due
from cybercantal.core.testing import run_in_parallel

PARIS = ZoneInfo("Europe/Paris")
CALLS: list[str] = []


@task()
def tick() -> str:
    CALLS.append("tick")
    return "tick"


@task()
def nightly() -> str:
    CALLS.append("nightly")
    return "nightly"


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()
    yield
    CALLS.clear()


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


# --- The clock ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"every": timedelta(hours=1), "hour": 3},
        {"every": timedelta(seconds=30)},
        {"minute": 60},
        {"hour": 24},
        {"weekday": 7},
    ],
)
def test_periodic_job_rejects_bad_rhythms(kwargs):
    with pytest.raises(ValueError, match="periodic"):
        PeriodicJob(task=tick, **kwargs)


def test_periodic_goes_above_task():
    def plain() -> None:
        return None

    with pytest.raises(TypeError, match="@task"):
        periodic(every=timedelta(hours=1))(plain)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "now", "slot"),
    [
        ({"hour": 3, "minute": 30}, paris(2026, 3, 10, 12, 0), paris(2026, 3, 10, 3, 30)),
        ({"hour": 3, "minute": 30}, paris(2026, 3, 10, 3, 29), paris(2026, 3, 9, 3, 30)),
        ({"hour": 3, "minute": 30}, paris(2026, 3, 10, 3, 30), paris(2026, 3, 10, 3, 30)),
        ({"minute": 5}, paris(2026, 3, 10, 12, 4), paris(2026, 3, 10, 11, 5)),
        ({"minute": 5}, paris(2026, 3, 10, 12, 6), paris(2026, 3, 10, 12, 5)),
        # 2026-03-10 is a Tuesday; weekday 0 is Monday.
        ({"weekday": 0, "hour": 7}, paris(2026, 3, 10, 12, 0), paris(2026, 3, 9, 7, 0)),
        ({"weekday": 1, "hour": 7}, paris(2026, 3, 10, 6, 0), paris(2026, 3, 3, 7, 0)),
        # Daylight saving starts on 2026-03-29: 03:30 stays 03:30 local time.
        ({"hour": 3, "minute": 30}, paris(2026, 3, 29, 12, 0), paris(2026, 3, 29, 3, 30)),
    ],
)
def test_last_slot(kwargs, now, slot):
    assert PeriodicJob(task=tick, **kwargs).last_slot(now) == slot


def test_last_slot_is_in_local_time_even_from_utc():
    now_utc = datetime(2026, 7, 1, 1, 45, tzinfo=ZoneInfo("UTC"))  # 03:45 in Paris (summer)
    assert PeriodicJob(task=tick, hour=3, minute=30).last_slot(now_utc) == paris(2026, 7, 1, 3, 30)


def test_is_due_for_interval_and_clock_jobs():
    hourly = PeriodicJob(task=tick, every=timedelta(hours=1))
    now = paris(2026, 3, 10, 12, 0)
    assert hourly.is_due(None, now)
    assert not hourly.is_due(now - timedelta(minutes=59), now)
    assert hourly.is_due(now - timedelta(hours=1), now)

    daily = PeriodicJob(task=nightly, hour=3, minute=30)
    assert not daily.is_due(None, now)  # a clock job waits for its first slot
    assert daily.is_due(paris(2026, 3, 9, 3, 30), now)
    assert not daily.is_due(paris(2026, 3, 10, 3, 30), now)


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"every": timedelta(minutes=15)}, "toutes les 15 minutes"),
        ({"every": timedelta(hours=1)}, "toutes les heures"),
        ({"every": timedelta(hours=6)}, "toutes les 6 heures"),
        ({"every": timedelta(days=1)}, "tous les jours"),
        ({"hour": 3, "minute": 30}, "chaque jour à 03 h 30"),
        ({"minute": 5}, "chaque heure à la minute 05"),
        ({"weekday": 0, "hour": 7}, "chaque lundi à 07 h 00"),
    ],
)
def test_describe_in_french(kwargs, text):
    assert PeriodicJob(task=tick, **kwargs).describe() == text


def test_next_run():
    now = paris(2026, 3, 10, 12, 0)
    daily = PeriodicJob(task=nightly, hour=3, minute=30)
    assert daily.next_run(paris(2026, 3, 10, 3, 30), now) == paris(2026, 3, 11, 3, 30)
    hourly = PeriodicJob(task=tick, every=timedelta(hours=1))
    assert hourly.next_run(now - timedelta(minutes=20), now) == now + timedelta(minutes=40)
    assert hourly.next_run(None, now) == now


# --- One enqueue per period ----------------------------------------------------------------------


def test_interval_job_runs_at_once_then_once_per_period(db):
    job = PeriodicJob(task=tick, every=timedelta(hours=1))
    now = paris(2026, 3, 10, 12, 0)

    assert run_due(now=now, jobs=[job]) == [job.name]
    assert run_due(now=now, jobs=[job]) == []
    assert run_due(now=now + timedelta(minutes=59), jobs=[job]) == []
    assert run_due(now=now + timedelta(hours=1), jobs=[job]) == [job.name]

    assert CALLS == ["tick", "tick"]
    row = ScheduledJob.objects.get(name=job.name)
    assert row.last_enqueued_at == now + timedelta(hours=1)
    assert row.last_result_id


def test_clock_job_waits_for_its_slot_and_runs_once_per_slot(db):
    job = PeriodicJob(task=nightly, hour=3, minute=30)

    assert run_due(now=paris(2026, 3, 10, 12, 0), jobs=[job]) == []  # first seen: waits
    assert run_due(now=paris(2026, 3, 11, 3, 29), jobs=[job]) == []
    assert run_due(now=paris(2026, 3, 11, 3, 30), jobs=[job]) == [job.name]
    assert run_due(now=paris(2026, 3, 11, 3, 31), jobs=[job]) == []
    # The scheduler was stopped for three nights: one run on restart, not three.
    assert run_due(now=paris(2026, 3, 14, 9, 0), jobs=[job]) == [job.name]
    assert run_due(now=paris(2026, 3, 14, 9, 1), jobs=[job]) == []

    assert CALLS == ["nightly", "nightly"]


def test_jobs_of_the_apps_are_discovered():
    names = [job.name for job in scheduler.registered_jobs()]
    assert "cybercantal.core.tasks.purge" in names


def test_run_scheduler_once_and_list(db):
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert ScheduledJob.objects.filter(name="cybercantal.core.tasks.purge", last_enqueued_at__isnull=False).exists()
    assert "purge" not in out.getvalue()  # a clock job seen for the first time waits for 03:30

    out = StringIO()
    call_command("run_scheduler", "--list", stdout=out)
    assert "cybercantal.core.tasks.purge — chaque jour à 03 h 30 — dernière : jamais — prochaine :" in out.getvalue()


def test_run_scheduler_enqueues_a_due_job_into_the_database_queue(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    ScheduledJob.objects.create(name="cybercantal.core.tasks.purge", last_enqueued_at=paris(2020, 1, 1, 3, 30))

    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)

    assert "Mise en file : cybercantal.core.tasks.purge" in out.getvalue()
    queued = DBTaskResult.objects.get(task_path="cybercantal.core.tasks.purge")
    assert ScheduledJob.objects.get(name="cybercantal.core.tasks.purge").last_result_id == str(queued.id)

    out = StringIO()
    call_command("run_scheduler", "--list", stdout=out)
    purge_line = next(line for line in out.getvalue().splitlines() if line.startswith("cybercantal.core.tasks.purge"))
    assert "dernière : jamais" not in purge_line


@pytest.mark.django_db(transaction=True)
def test_run_scheduler_loops_until_sigterm_then_restores_the_signal_handlers(monkeypatch):
    import signal

    from cybercantal.core.management.commands import run_scheduler

    command = run_scheduler.Command(stdout=StringIO())
    passes: list[int] = []
    real_run_pass = command.run_pass

    def counting_pass() -> None:
        passes.append(1)
        real_run_pass()

    def sleep_then_sigterm(seconds: float) -> None:
        if len(passes) >= 2:
            signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)  # what systemd stop does

    monkeypatch.setattr(command, "run_pass", counting_pass)
    monkeypatch.setattr(run_scheduler.time, "sleep", sleep_then_sigterm)
    before = signal.getsignal(signal.SIGINT)

    call_command(command, "--interval", "0.01")

    assert len(passes) == 2
    assert "Planificateur arrêté." in command.stdout.getvalue()
    assert signal.getsignal(signal.SIGINT) is before


# --- Several schedulers at once ------------------------------------------------------------------


def _race(job: PeriodicJob, now: datetime, monkeypatch, schedulers: int = 2) -> list[list[str]]:
    """Run ``schedulers`` passes at the same moment, each in its own thread and connection."""
    slow_is_due = PeriodicJob.is_due

    def is_due_slowly(self, last, at):  # widen the window between "read" and "write"
        time.sleep(0.3)
        return slow_is_due(self, last, at)

    monkeypatch.setattr(PeriodicJob, "is_due", is_due_slowly)

    def one_scheduler(_n: int) -> list[str] | BaseException:
        try:
            return run_due(now=now, jobs=[job])
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            return exc

    outcomes = run_in_parallel(one_scheduler, range(schedulers), timeout=60)
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert errors == []
    return [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_enqueue_a_job_once_on_postgresql(settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = PeriodicJob(task=tick, every=timedelta(hours=1))
    now = paris(2026, 3, 10, 12, 0)

    results = _race(job, now, monkeypatch)

    assert sorted(results) == [[], [job.name]]
    assert DBTaskResult.objects.filter(task_path=job.name).count() == 1
    assert ScheduledJob.objects.get(name=job.name).last_enqueued_at == now


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_enqueue_a_job_once_on_a_sqlite_file(settings, monkeypatch):
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        pytest.skip("needs a SQLite test database in a file (SQLITE_TEST_NAME=/tmp/…)")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = PeriodicJob(task=tick, every=timedelta(hours=1))
    now = paris(2026, 3, 10, 12, 0)

    results = _race(job, now, monkeypatch)

    assert sorted(results) == [[], [job.name]]
    assert DBTaskResult.objects.filter(task_path=job.name).count() == 1
