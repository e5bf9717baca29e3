"""Abandoned drafts: warned 30 days before, deleted after the retention period; dossiers
that were submitted are never deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cybercantal.core.models import JournalEntry

from ..models import Application, Status
from ..services import documents, retention
from .factories import ApplicationFactory, upload

pytestmark = pytest.mark.django_db


def _age(application: Application, days: int) -> None:
    Application.objects.filter(pk=application.pk).update(updated_at=timezone.now() - timedelta(days=days))


def test_old_drafts_are_deleted_with_their_files_and_journalled(
    programme, applicant, draft, django_capture_on_commit_callbacks
):
    document = documents.document_store(actor=applicant, application=draft, file=upload(), kind="quote")
    storage, name = document.file.storage, document.file.name
    _age(draft, 400)
    recent = ApplicationFactory(programme=programme)
    submitted = ApplicationFactory(programme=programme, status=Status.SUBMITTED)
    _age(submitted, 900)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.drafts_purge() == 1
    assert set(Application.objects.values_list("pk", flat=True)) == {recent.pk, submitted.pk}
    assert not storage.exists(name)
    entry = JournalEntry.objects.get(action="grants.application.draft_deleted")
    assert entry.data["reference"] == draft.reference
    assert retention.drafts_purge() == 0


def test_the_applicant_is_warned_once_thirty_days_before(draft, mailoutbox, django_capture_on_commit_callbacks):
    _age(draft, 335)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.drafts_warn() == 1
    assert draft.reference in mailoutbox[0].subject
    assert draft.contact_email in mailoutbox[0].to
    # The next day the draft is 336 days old: no second email.
    tomorrow = timezone.localdate() + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.drafts_warn(today=tomorrow) == 0
    assert len(mailoutbox) == 1


def test_retention_is_a_setting(draft, settings):
    settings.GRANTS_DRAFT_RETENTION_DAYS = 30
    _age(draft, 31)
    assert retention.drafts_purge() == 1


def test_the_jobs_are_scheduled():
    from cybercantal.core import scheduler

    names = {job.name for job in scheduler.registered_jobs()}
    assert {"cybercantal.grants.tasks.grants_warn_drafts", "cybercantal.grants.tasks.grants_purge_drafts"} <= names
