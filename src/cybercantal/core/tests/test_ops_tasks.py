"""The email task, the on-commit helper and the nightly purge."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cybercantal.core.tasks import email_on_commit, purge, send_email

DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_db_worker() -> None:
    """Run every ready task of the database backend, as ``cybercantal db_worker --batch`` does."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def test_send_email_sends_text_and_html(db):
    result = send_email.enqueue(
        subject="Votre réservation",
        body="Bonjour,\nvotre poste est réservé.",
        to=["claire@example.org"],
        html="<p>Bonjour,<br>votre poste est réservé.</p>",
        reply_to=["accueil@example.org"],
    )

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "[CyberCantal] Votre réservation"
    assert message.to == ["claire@example.org"]
    assert message.reply_to == ["accueil@example.org"]
    assert message.body.startswith("Bonjour,")
    assert message.alternatives[0][1] == "text/html"
    assert "<br>" in message.alternatives[0][0]


def test_send_email_accepts_one_address_and_strips_line_breaks_from_subject(db):
    send_email.enqueue(subject="Ligne 1\nLigne 2", body="Texte", to="paul@example.org")

    assert mail.outbox[0].to == ["paul@example.org"]
    assert mail.outbox[0].subject == "[CyberCantal] Ligne 1 Ligne 2"
    assert mail.outbox[0].alternatives == []


def test_email_on_commit_waits_for_the_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email_on_commit(subject="Confirmation", body="C'est fait.", to=["a@example.org"])
        assert mail.outbox == []  # nothing before the commit

    assert len(callbacks) == 1
    assert [m.subject for m in mail.outbox] == ["[CyberCantal] Confirmation"]


def test_email_on_commit_sends_nothing_when_the_transaction_rolls_back(db, django_capture_on_commit_callbacks):
    def failing_service() -> None:
        with transaction.atomic():
            email_on_commit(subject="Jamais", body="Annulé", to=["a@example.org"])
            raise RuntimeError("the service failed after asking for the email")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_service()

    assert callbacks == []
    assert mail.outbox == []


def test_email_on_commit_failure_to_enqueue_is_logged_not_raised(db, django_capture_on_commit_callbacks, caplog):
    with (
        mock.patch.object(type(send_email), "enqueue", side_effect=RuntimeError("file injoignable")),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        email_on_commit(subject="Perdu", body="Texte", to=["a@example.org"])

    assert len(callbacks) == 1
    assert mail.outbox == []
    assert "file injoignable" in caplog.text


def test_email_on_commit_refuses_an_empty_recipient_list(db):
    with pytest.raises(ValueError, match="recipient"):
        email_on_commit(subject="x", body="y", to=["", "  "])


@pytest.mark.django_db(transaction=True)
def test_email_goes_through_the_database_queue_and_a_worker(settings):
    settings.TASKS = DB_BACKEND

    with transaction.atomic():
        email_on_commit(subject="Par la file", body="Texte", to=["b@example.org"])
        assert not DBTaskResult.objects.exists()  # not enqueued before the commit

    queued = DBTaskResult.objects.get()
    assert queued.task_path == "cybercantal.core.tasks.send_email"
    assert queued.status == TaskResultStatus.READY
    assert queued.args_kwargs["kwargs"]["to"] == ["b@example.org"]
    assert mail.outbox == []

    run_db_worker()

    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    assert [m.subject for m in mail.outbox] == ["[CyberCantal] Par la file"]


def _task_result(*, status: str, finished_days_ago: int | None) -> DBTaskResult:
    finished_at = timezone.now() - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    return DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="cybercantal.core.tasks.purge",
        backend_name="default",
        status=status,
        finished_at=finished_at,
    )


def test_purge_removes_expired_sessions_and_old_finished_results_only(db, settings):
    settings.TASK_RESULT_RETENTION_DAYS = 14
    settings.TASK_FAILED_RESULT_RETENTION_DAYS = 90
    now = timezone.now()
    Session.objects.create(session_key="expired", session_data="x", expire_date=now - timedelta(minutes=1))
    Session.objects.create(session_key="alive", session_data="x", expire_date=now + timedelta(days=1))
    old_success = _task_result(status=TaskResultStatus.SUCCESSFUL, finished_days_ago=15)
    recent_success = _task_result(status=TaskResultStatus.SUCCESSFUL, finished_days_ago=13)
    old_failure = _task_result(status=TaskResultStatus.FAILED, finished_days_ago=91)
    kept_failure = _task_result(status=TaskResultStatus.FAILED, finished_days_ago=30)
    ready = _task_result(status=TaskResultStatus.READY, finished_days_ago=None)
    running = _task_result(status=TaskResultStatus.RUNNING, finished_days_ago=None)

    counts = purge.call()

    assert counts == {"sessions": 1, "task_results": 2}
    assert list(Session.objects.values_list("session_key", flat=True)) == ["alive"]
    remaining = set(DBTaskResult.objects.values_list("id", flat=True))
    assert remaining == {recent_success.id, kept_failure.id, ready.id, running.id}
    assert old_success.id not in remaining
    assert old_failure.id not in remaining


def test_purge_follows_the_retention_settings(db, settings):
    settings.TASK_RESULT_RETENTION_DAYS = 1
    _task_result(status=TaskResultStatus.SUCCESSFUL, finished_days_ago=2)

    result = purge.enqueue()

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"sessions": 0, "task_results": 1}
    assert not DBTaskResult.objects.exists()
