"""The dossier's state machine: the one function that changes ``Application.status``.

Every change is checked against ``models.TRANSITIONS``, made on a locked row, logged in
``StatusChange`` and the journal, and tells the applicant by email after the commit. Callers
(submission, instruction, decision, payment) add their own rule before calling it, inside the
same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.links import absolute_url
from cybercantal.core.tasks import email_on_commit

from ..models import TRANSITIONS, Application, GrantProgramme, Status, StatusChange


class TransitionRefusedError(Exception):
    """A change of state that the rules do not allow; ``message`` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def lock_application(application: Application | int) -> Application:
    """The dossier, re-read under a row lock (PostgreSQL) / the write lock (SQLite)."""
    pk = application.pk if isinstance(application, Application) else application
    return lock_for_update(Application.objects.select_related("programme", "organisation"), of=("self",)).get(pk=pk)


def allocate_reference(*, programme: GrantProgramme, application: Application) -> str:
    """``AUV-2026-00042``: the programme's prefix, the year, the row number (unique, never reused)."""
    year = timezone.localdate().year
    return f"{programme.code}-{year}-{application.pk:05d}"


# What the applicant is told at each step (subject, first paragraph).
def _email_text(application: Application, to_status: str, comment: str) -> tuple[str, str] | None:
    ref = application.reference
    texts: dict[str, tuple[str, str]] = {
        Status.SUBMITTED: (
            _("Dossier %(ref)s déposé") % {"ref": ref},
            _("Votre demande d'aide %(ref)s a bien été déposée. Un instructeur va l'examiner.") % {"ref": ref},
        ),
        Status.UNDER_REVIEW: (
            _("Dossier %(ref)s en instruction") % {"ref": ref},
            _("Votre dossier %(ref)s est en cours d'instruction.") % {"ref": ref},
        ),
        Status.CORRECTIONS: (
            _("Dossier %(ref)s : des corrections sont demandées") % {"ref": ref},
            _("L'instructeur demande des corrections sur votre dossier %(ref)s. Modifiez-le puis déposez-le à nouveau.")
            % {"ref": ref},
        ),
        Status.ACCEPTED: (
            _("Dossier %(ref)s accepté") % {"ref": ref},
            _("Votre demande d'aide %(ref)s est acceptée. La lettre de décision est disponible dans votre dossier.")
            % {"ref": ref},
        ),
        Status.REFUSED: (
            _("Dossier %(ref)s refusé") % {"ref": ref},
            _("Votre demande d'aide %(ref)s est refusée. La lettre de décision en donne le motif.") % {"ref": ref},
        ),
        Status.CLOSED: (
            _("Dossier %(ref)s classé sans suite") % {"ref": ref},
            _("Votre dossier %(ref)s est classé sans suite.") % {"ref": ref},
        ),
        Status.PAID: (
            _("Dossier %(ref)s : aide versée") % {"ref": ref},
            _("Le versement de l'aide de votre dossier %(ref)s a été ordonné.") % {"ref": ref},
        ),
    }
    if to_status not in texts:
        return None
    subject, first = texts[to_status]
    body = [first]
    if comment:
        body += ["", comment]
    body += ["", _("Suivre votre dossier : %(url)s") % {"url": absolute_url(f"/aides/dossiers/{ref}/")}]
    return subject, "\n".join(body)


def applicant_addresses(application: Application) -> list[str]:
    addresses = [application.contact_email]
    creator = application.created_by
    if creator is not None and creator.is_active:
        addresses.append(creator.email)
    seen: list[str] = []
    for address in addresses:
        if address and address.lower() not in seen:
            seen.append(address.lower())
    return seen


@transaction.atomic
def application_transition(
    *,
    actor: Any,
    application: Application,
    to_status: str,
    comment: str = "",
    journal_action: str | None = None,
    data: dict[str, Any] | None = None,
    notify: bool = True,
) -> Application:
    """Move the dossier to ``to_status``. Raises ``TransitionRefusedError`` when the state machine
    does not allow it (for instance a second click on a button already used: the first one has
    moved the dossier on). Returns the locked, updated dossier."""
    locked = lock_application(application)
    from_status = locked.status
    if to_status not in TRANSITIONS.get(from_status, frozenset()):
        raise TransitionRefusedError(
            _("Le dossier %(ref)s est « %(state)s » : il ne peut pas passer à « %(target)s ».")
            % {
                "ref": locked.reference,
                "state": Status(from_status).label,
                "target": Status(to_status).label,
            }
        )
    now = timezone.now()
    locked.status = to_status
    fields = ["status", "updated_at"]
    if to_status == Status.SUBMITTED:
        locked.submitted_at = now
        fields.append("submitted_at")
        if locked.first_submitted_at is None:
            locked.first_submitted_at = now
            fields.append("first_submitted_at")
    locked.save(update_fields=fields)
    StatusChange.objects.create(
        application=locked, from_status=from_status, to_status=to_status, actor=actor, comment=comment
    )
    journal.record(
        actor=actor,
        action=journal_action or f"grants.application.{to_status}",
        target=locked,
        data={"from": from_status, "to": to_status, **(data or {})},
    )
    if notify:
        text = _email_text(locked, to_status, comment)
        recipients = applicant_addresses(locked)
        if text and recipients:
            email_on_commit(subject=text[0], body=text[1], to=recipients)
    application.status = locked.status
    return locked
