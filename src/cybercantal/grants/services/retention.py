"""How long an abandoned draft is kept (personal data: keep it only as long as needed).

A draft nobody has touched for ``GRANTS_DRAFT_RETENTION_DAYS`` days (default 365) is deleted
with its lines and quotes; 30 days before, the applicant is told once by email (the daily job
warns the drafts that reach that age on the day, so nothing needs to remember the warning).
A submitted dossier is never deleted here: it is a record of public money.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.core import journal
from cybercantal.core.links import absolute_url
from cybercantal.core.tasks import email_on_commit

from ..models import Application, Status
from .workflow import applicant_addresses

WARNING_DAYS = 30


def retention_days() -> int:
    return int(getattr(settings, "GRANTS_DRAFT_RETENTION_DAYS", 365))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def drafts_warn(*, today: date | None = None) -> int:
    """Email the applicants of the drafts that will be deleted in 30 days. Returns the count."""
    today = today or timezone.localdate()
    # Untouched since the day that makes them ``retention - 30`` days old today.
    day = today - timedelta(days=retention_days() - WARNING_DAYS)
    drafts = Application.objects.filter(
        status=Status.DRAFT, updated_at__gte=_start_of(day), updated_at__lt=_start_of(day + timedelta(days=1))
    ).select_related("programme", "created_by")
    warned = 0
    for application in drafts:
        recipients = applicant_addresses(application)
        if not recipients:
            continue
        deletion = today + timedelta(days=WARNING_DAYS)
        email_on_commit(
            subject=_("Votre brouillon %(ref)s sera supprimé dans 30 jours") % {"ref": application.reference},
            body="\n".join(
                [
                    _(
                        "Votre demande d'aide %(ref)s (%(programme)s) n'a pas été modifiée depuis longtemps. "
                        "Sans modification de votre part, ce brouillon sera supprimé le %(day)s."
                    )
                    % {
                        "ref": application.reference,
                        "programme": application.programme.name,
                        "day": deletion.strftime("%d/%m/%Y"),
                    },
                    "",
                    _("Reprendre votre demande : %(url)s")
                    % {"url": absolute_url(f"/aides/dossiers/{application.reference}/modifier/entreprise/")},
                ]
            ),
            to=recipients,
        )
        warned += 1
    return warned


@transaction.atomic
def drafts_purge(*, today: date | None = None) -> int:
    """Delete the drafts untouched for the retention period. Returns the count."""
    today = today or timezone.localdate()
    limit = _start_of(today - timedelta(days=retention_days()))
    deleted = 0
    for application in Application.objects.filter(status=Status.DRAFT, updated_at__lt=limit).select_for_update():
        documents = list(application.documents.all())
        journal.record(
            actor=None,
            action="grants.application.draft_deleted",
            target=application,
            data={"reference": application.reference, "retention_days": retention_days()},
        )
        application.delete()
        for document in documents:  # the files go with the rows (after the commit)
            if document.file.name:
                transaction.on_commit(partial(document.file.storage.delete, document.file.name))
        deleted += 1
    return deleted
