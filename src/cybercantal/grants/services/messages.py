"""The message thread of a dossier, between the business and the instructors (issue 7 §4).

``message_post(*, actor, application, body, files=(), submit_token="")`` writes one message
with its attachments, journals it and emails the other side after the commit:

- the side comes from the actor's role: whoever instructs (instructor, programme team,
  superuser) writes for the instructors, anyone else allowed on the dossier for the business;
- the business's message goes to the dossier's instructor when one is assigned, else to the
  programme's contact address; the instructors' message goes to the applicant's addresses
  (``workflow.applicant_addresses``). The email says that a message is waiting, not what it
  says: the text and the files stay behind the sign-in.

``messages_mark_read(*, actor, application)`` marks the other side's messages read when the
thread is displayed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.permissions import is_grants_staff
from cybercantal.accounts.services import NotAllowed, require_permission
from cybercantal.core import journal
from cybercantal.core.links import absolute_url
from cybercantal.core.models import JournalEntry
from cybercantal.core.tasks import email_on_commit
from cybercantal.core.uploads import PDF_OR_IMAGE, check_upload

from ..models import Application, DocumentKind, Message
from . import documents
from .workflow import applicant_addresses, lock_application

MAX_BODY_LENGTH = 10_000
MAX_ATTACHMENTS = 5
# A second POST of the same form (same one-time token) within this window returns the first
# message instead of writing another one.
DOUBLE_SUBMIT_WINDOW = timedelta(minutes=10)
POSTED = "grants.message.posted"


def _clean_body(body: str) -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"body": ValidationError(_("Écrivez votre message."), code="required")})
    if "\x00" in text:
        raise ValidationError({"body": ValidationError(_("Le message contient un caractère interdit."), code="null")})
    if len(text) > MAX_BODY_LENGTH:
        raise ValidationError(
            {
                "body": ValidationError(
                    _("Votre message compte %(length)s caractères : le maximum est %(max)s. Raccourcissez-le.")
                    % {"length": f"{len(text):,}".replace(",", "\u202f"), "max": "10\u202f000"},
                    code="max_length",
                )
            }
        )
    return text


def _check_files(files: list[Any]) -> None:
    """Every file checked before any is stored: a bad third file leaves no stray first one."""
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(
            {
                "files": ValidationError(
                    _("Joignez au plus %(max)s fichiers à un message.") % {"max": MAX_ATTACHMENTS}, code="too_many"
                )
            }
        )
    problems: list[ValidationError] = []
    for file in files:
        try:
            check_upload(file, kinds=PDF_OR_IMAGE, max_bytes=documents.max_upload_bytes())
        except ValidationError as exc:
            problems.extend(ValidationError(message, code=exc.code) for message in exc.messages)
    if problems:
        raise ValidationError({"files": problems})


def _replayed(actor: Any, application: Application, submit_token: str) -> Message | None:
    """The message this person already posted on this dossier with this form token."""
    if not submit_token:
        return None
    entry = (
        JournalEntry.objects.filter(
            actor_id=actor.pk,
            action=POSTED,
            target_id=str(application.pk),
            created_at__gte=timezone.now() - DOUBLE_SUBMIT_WINDOW,
            data__submit_token=submit_token,
        )
        .order_by("-pk")
        .first()
    )
    if entry is None:
        return None
    return Message.objects.filter(pk=entry.data.get("message"), application=application).first()


def _notify(application: Application, message: Message) -> None:
    ref = application.reference
    link = absolute_url(f"/aides/dossiers/{ref}/messages/")
    if message.from_applicant:
        instructor = application.instructor
        if instructor is not None and instructor.is_active and instructor.email:
            recipients = [instructor.email]
        elif application.programme.contact_email:
            recipients = [application.programme.contact_email]
        else:
            return
        subject = _("Dossier %(ref)s : nouveau message du demandeur") % {"ref": ref}
        first = _("%(business)s a écrit un message sur le dossier %(ref)s.") % {
            "business": application.business_name or application.organisation.name,
            "ref": ref,
        }
    else:
        recipients = applicant_addresses(application)
        if not recipients:
            return
        subject = _("Dossier %(ref)s : nouveau message de l'instructeur") % {"ref": ref}
        first = _("L'instructeur de votre demande d'aide %(ref)s vous a écrit un message.") % {"ref": ref}
    body = "\n".join([first, "", _("Lire le message et y répondre : %(url)s") % {"url": link}])
    email_on_commit(subject=subject, body=body, to=recipients)


@transaction.atomic
def message_post(
    *,
    actor: Any,
    application: Application,
    body: str,
    files: Iterable[Any] = (),
    submit_token: str = "",
) -> Message:
    """Post a message on the dossier's thread (see the module docstring).

    Raises ``NotAllowed`` for someone who may not write on this dossier, ``ValidationError``
    (French, fields ``body`` and ``files``) for an empty or too long text, too many files or a
    file that is not a readable PDF or image: nothing is stored then.
    ``submit_token`` (the form's one-time token) makes a repeated POST return the first message
    (with ``replayed = True``)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed(_("Connectez-vous pour écrire un message."))
    require_permission(actor, "grants.message_application", application)
    text = _clean_body(body)
    files = list(files)
    _check_files(files)
    # One writer per dossier at a time: a double submit waits for the first and finds it.
    locked = lock_application(application)
    previous = _replayed(actor, locked, submit_token)
    if previous is not None:
        previous.replayed = True  # type: ignore[attr-defined]
        return previous
    from_applicant = not is_grants_staff.test(actor)
    message = Message.objects.create(application=locked, author=actor, from_applicant=from_applicant, body=text)
    stored = [
        documents.document_store(actor=actor, application=locked, file=file, kind=DocumentKind.ATTACHMENT)
        for file in files
    ]
    if stored:
        message.attachments.add(*stored)
    journal.record(
        actor=actor,
        action=POSTED,
        target=locked,
        data={
            "message": message.pk,
            "from_applicant": from_applicant,
            "attachments": len(stored),
            **({"submit_token": submit_token} if submit_token else {}),
        },
    )
    _notify(locked, message)
    message.replayed = False  # type: ignore[attr-defined]
    return message


@transaction.atomic
def messages_mark_read(*, actor: Any, application: Application) -> int:
    """Mark read the messages of the other side that ``actor``'s side has not read yet; returns
    how many. Reading is not journalled (it changes no decision and would flood the journal)."""
    require_permission(actor, "grants.message_application", application)
    reader_is_applicant = not is_grants_staff.test(actor)
    return Message.objects.filter(
        application=application, from_applicant=not reader_is_applicant, read_at__isnull=True
    ).update(read_at=timezone.now())
