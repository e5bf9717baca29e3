"""Instruction and decision of a dossier (issue 7 §4). Every write of the instructors:

- ``application_take``: submitted -> under review, the actor becomes the instructor;
- ``line_set_ineligible`` / ``line_set_eligible``: set an expense line aside with a reason (or
  back), under review only; the aid is recomputed (``services.amounts``);
- ``application_request_corrections``: under review -> corrections, with a message to the
  applicant (a ``Message`` of the thread, and the transition's email);
- ``application_accept``: the decision with an amount (by default the computed aid, never more),
  within the programme's budget envelope (see below);
- ``application_refuse`` / ``application_close``: with a mandatory reason;
- ``application_reopen``: an explicit, journalled action (``grants.application.reopened``) that
  brings a decision back under review and releases its commitment; refused once anything is paid;
- ``note_add``: a private note of the instruction (never shown to the applicant).

Every change of state goes through ``services.workflow.application_transition``; a second
click finds the state already changed and gets its French ``TransitionRefusedError``.

The envelope (ADR 0008) is a sum over dossiers, which no constraint can guard: an acceptance
first locks the programme row (``core.db.lock_for_update``: ``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers), then re-reads the
envelope and refuses an amount that does not fit. Every path that changes the commitment
(accept, reopen) takes the programme lock before the dossier's, always in that order.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.money import format_euros, round_cents

from ..models import (
    DECIDED_STATUSES,
    TRANSITIONS,
    ZERO,
    Application,
    ExpenseLine,
    GrantProgramme,
    Message,
    Payment,
    ReviewNote,
    Status,
)
from ..queries.envelope import envelope
from . import amounts, decision_letter
from .workflow import TransitionRefusedError, application_transition, lock_application

MAX_TEXT = 5000
MAX_LINE_REASON = 300
MAX_AMOUNT = Decimal("10000000")
# A second identical note by the same person within this delay is the same click twice.
NOTE_REPEAT_SECONDS = 60


class EnvelopeExceededError(TransitionRefusedError):
    """The acceptance would commit more than the programme's budget; ``message`` is French and
    says what remains."""


# --- helpers -----------------------------------------------------------------------------------


def _check_state(application: Application, to_status: str) -> None:
    """The state machine's refusal, before any other check (a double click says "already done")."""
    if to_status not in TRANSITIONS.get(application.status, frozenset()):
        raise TransitionRefusedError(
            _("Le dossier %(ref)s est « %(state)s » : il ne peut pas passer à « %(target)s ».")
            % {
                "ref": application.reference,
                "state": Status(application.status).label,
                "target": Status(to_status).label,
            }
        )


def _text(value: str, *, field: str, required_message: str, max_length: int = MAX_TEXT) -> str:
    text = (value or "").replace("\x00", "").strip()
    if not text:
        raise ValidationError({field: ValidationError(required_message, code="required")})
    if len(text) > max_length:
        raise ValidationError(
            {
                field: ValidationError(
                    _("%(max)s caractères au plus (vous en avez saisi %(count)s).")
                    % {"max": max_length, "count": len(text)},
                    code="max_length",
                )
            }
        )
    return text


def _lock_programme(programme_id: int) -> GrantProgramme:
    return lock_for_update(GrantProgramme.objects.all()).get(pk=programme_id)


def _under_review_or_refuse(application: Application) -> None:
    if application.status != Status.UNDER_REVIEW:
        raise TransitionRefusedError(
            _("Le dossier %(ref)s est « %(state)s » : les lignes ne se modifient qu'en instruction.")
            % {"ref": application.reference, "state": Status(application.status).label}
        )


def parse_amount(value: Any) -> Decimal:
    """An amount typed by a person ("1 600,50", "1600.5") as a Decimal in euros; a French
    ``ValidationError`` on the field ``amount`` for junk, exponents, NaN or more than two decimals."""
    if isinstance(value, float):
        raise TypeError("Money is never a float.")
    if isinstance(value, Decimal):
        amount = value
    else:
        text = str(value or "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("€", "")
        text = text.replace(",", ".")
        if not text or len(text) > 20 or not all(c.isdigit() or c in ".-" for c in text) or text.count(".") > 1:
            raise ValidationError(
                {"amount": ValidationError(_("Saisissez un montant en euros, par exemple 1600,00."), code="invalid")}
            )
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise ValidationError(
                {"amount": ValidationError(_("Saisissez un montant en euros, par exemple 1600,00."), code="invalid")}
            ) from exc
    if not amount.is_finite():
        raise ValidationError({"amount": ValidationError(_("Saisissez un montant en euros."), code="invalid")})
    try:
        exact = amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        exact = False
    if not exact:
        raise ValidationError(
            {"amount": ValidationError(_("Le montant a au plus deux décimales (les centimes)."), code="decimals")}
        )
    return amount


# --- take, lines, corrections ------------------------------------------------------------------


@transaction.atomic
def application_take(*, actor: Any, application: Application) -> Application:
    """Submitted -> under review; ``actor`` becomes the dossier's instructor."""
    require_permission(actor, "grants.instruct", application)
    locked = application_transition(
        actor=actor,
        application=application,
        to_status=Status.UNDER_REVIEW,
        data={"instructor": getattr(actor, "pk", None)},
    )
    if actor is not None:
        locked.instructor = actor
        locked.save(update_fields=["instructor", "updated_at"])
    application.instructor = locked.instructor
    return locked


@transaction.atomic
def line_set_ineligible(*, actor: Any, line: ExpenseLine, reason: str) -> ExpenseLine:
    """Set an expense line aside (it no longer counts in the aid), with a reason."""
    require_permission(actor, "grants.instruct", line.application)
    reason = _text(
        reason,
        field="reason",
        required_message=_("Indiquez pourquoi cette dépense n'est pas retenue."),
        max_length=MAX_LINE_REASON,
    )
    application = lock_application(line.application_id)
    _under_review_or_refuse(application)
    current = ExpenseLine.objects.get(pk=line.pk)
    if current.is_ineligible:
        raise TransitionRefusedError(
            _("La dépense « %(line)s » est déjà écartée.") % {"line": current.description},
        )
    current.is_ineligible = True
    current.ineligibility_reason = reason
    current.save(update_fields=["is_ineligible", "ineligibility_reason"])
    figures = amounts.application_recompute(application=application)
    journal.record(
        actor=actor,
        action="grants.line.set_aside",
        target=application,
        data={"line": current.pk, "amount": str(current.amount), "aid": str(figures.aid)},
    )
    line.is_ineligible, line.ineligibility_reason = True, reason
    return current


@transaction.atomic
def line_set_eligible(*, actor: Any, line: ExpenseLine) -> ExpenseLine:
    """Count a line set aside again."""
    require_permission(actor, "grants.instruct", line.application)
    application = lock_application(line.application_id)
    _under_review_or_refuse(application)
    current = ExpenseLine.objects.get(pk=line.pk)
    if not current.is_ineligible:
        raise TransitionRefusedError(_("La dépense « %(line)s » est déjà retenue.") % {"line": current.description})
    current.is_ineligible = False
    current.ineligibility_reason = ""
    current.save(update_fields=["is_ineligible", "ineligibility_reason"])
    figures = amounts.application_recompute(application=application)
    journal.record(
        actor=actor,
        action="grants.line.retained",
        target=application,
        data={"line": current.pk, "amount": str(current.amount), "aid": str(figures.aid)},
    )
    line.is_ineligible, line.ineligibility_reason = False, ""
    return current


@transaction.atomic
def application_request_corrections(*, actor: Any, application: Application, message: str) -> Message:
    """Under review -> corrections: the applicant may edit the dossier again. ``message`` says
    what to correct: posted in the thread and sent in the email."""
    require_permission(actor, "grants.instruct", application)
    text = _text(message, field="message", required_message=_("Dites au demandeur ce qu'il doit corriger."))
    locked = application_transition(actor=actor, application=application, to_status=Status.CORRECTIONS, comment=text)
    return Message.objects.create(
        application=locked, author=actor if getattr(actor, "pk", None) else None, from_applicant=False, body=text
    )


# --- decisions ---------------------------------------------------------------------------------


def _decide(*, actor: Any, locked: Application, amount: Decimal | None, reason: str) -> None:
    locked.decided_amount = amount
    locked.decided_at = timezone.now()
    locked.decided_by = actor if getattr(actor, "pk", None) else None
    locked.decision_reason = reason
    locked.save(update_fields=["decided_amount", "decided_at", "decided_by", "decision_reason", "updated_at"])


def _copy_decision(application: Application, locked: Application) -> None:
    for name in ("status", "decided_amount", "decided_at", "decided_by", "decision_reason", "computed_aid"):
        setattr(application, name, getattr(locked, name))


@transaction.atomic
def application_accept(*, actor: Any, application: Application, amount: Decimal | str | None = None) -> Application:
    """Under review -> accepted with ``amount`` (default: the computed aid; never above it, > 0),
    if it fits in the programme's envelope. Raises ``TransitionRefusedError`` (state),
    ``ValidationError`` (amount, field ``amount``) or ``EnvelopeExceededError``."""
    require_permission(actor, "grants.decide", application)
    # Programme first, then the dossier: every path that changes the commitment locks in this order.
    programme = _lock_programme(application.programme_id)
    locked = lock_application(application)
    _check_state(locked, Status.ACCEPTED)
    figures = amounts.application_recompute(application=locked)
    decided = figures.aid if amount is None or amount == "" else parse_amount(amount)
    if decided <= ZERO:
        raise ValidationError({"amount": ValidationError(_("Le montant accordé doit être positif."), code="min")})
    if decided > figures.aid:
        raise ValidationError(
            {
                "amount": ValidationError(
                    _("Le montant accordé (%(amount)s) ne peut pas dépasser l'aide calculée (%(aid)s).")
                    % {"amount": format_euros(decided), "aid": format_euros(figures.aid)},
                    code="above_computed",
                )
            }
        )
    decided = round_cents(decided)
    current = envelope(programme)
    if current.committed + decided > programme.budget:
        raise EnvelopeExceededError(
            _(
                "L'enveloppe du dispositif « %(programme)s » ne permet pas d'accorder %(amount)s : "
                "il reste %(remaining)s sur %(budget)s."
            )
            % {
                "programme": programme.name,
                "amount": format_euros(decided),
                "remaining": format_euros(max(current.remaining, ZERO)),
                "budget": format_euros(programme.budget),
            }
        )
    _decide(actor=actor, locked=locked, amount=decided, reason="")
    try:
        with transaction.atomic():
            locked = application_transition(
                actor=actor,
                application=locked,
                to_status=Status.ACCEPTED,
                comment=_("Aide accordée : %(amount)s.") % {"amount": format_euros(decided)},
                data={"amount": str(decided), "computed_aid": str(figures.aid)},
            )
    except IntegrityError as exc:  # the database's own guard on the amounts
        raise ValidationError(
            {"amount": ValidationError(_("Ce montant n'est pas accepté pour ce dossier."), code="integrity")}
        ) from exc
    decision_letter.decision_letter_store(actor=actor, application=locked)
    _copy_decision(application, locked)
    return locked


@transaction.atomic
def application_refuse(*, actor: Any, application: Application, reason: str) -> Application:
    """Under review -> refused, with the reason given in the letter."""
    require_permission(actor, "grants.decide", application)
    text = _text(reason, field="reason", required_message=_("Indiquez le motif du refus."))
    locked = lock_application(application)
    _check_state(locked, Status.REFUSED)
    _decide(actor=actor, locked=locked, amount=None, reason=text)
    locked = application_transition(actor=actor, application=locked, to_status=Status.REFUSED, comment=text)
    decision_letter.decision_letter_store(actor=actor, application=locked)
    _copy_decision(application, locked)
    return locked


@transaction.atomic
def application_close(*, actor: Any, application: Application, reason: str) -> Application:
    """Submitted, under review or in corrections -> closed without follow-up, with a reason."""
    require_permission(actor, "grants.decide", application)
    text = _text(reason, field="reason", required_message=_("Indiquez pourquoi le dossier est classé sans suite."))
    locked = lock_application(application)
    _check_state(locked, Status.CLOSED)
    _decide(actor=actor, locked=locked, amount=None, reason=text)
    locked = application_transition(actor=actor, application=locked, to_status=Status.CLOSED, comment=text)
    decision_letter.decision_letter_store(actor=actor, application=locked)
    _copy_decision(application, locked)
    return locked


@transaction.atomic
def application_reopen(*, actor: Any, application: Application, reason: str) -> Application:
    """A decision (accepted, refused, closed) back under review: explicit, with a reason,
    journalled as ``grants.application.reopened``. The commitment is released. Refused once
    anything is paid."""
    require_permission(actor, "grants.reopen_decision", application)
    text = _text(reason, field="reason", required_message=_("Indiquez pourquoi la décision est rouverte."))
    _lock_programme(application.programme_id)
    locked = lock_application(application)
    if locked.status not in DECIDED_STATUSES:
        raise TransitionRefusedError(
            _("Le dossier %(ref)s est « %(state)s » : il n'y a pas de décision à rouvrir.")
            % {"ref": locked.reference, "state": Status(locked.status).label}
        )
    if locked.paid_amount > ZERO or Payment.objects.filter(application=locked).exists():
        raise TransitionRefusedError(
            _("Le dossier %(ref)s a déjà reçu un versement : sa décision ne peut plus être rouverte.")
            % {"ref": locked.reference}
        )
    previous = {
        "from": locked.status,
        "decided_amount": str(locked.decided_amount) if locked.decided_amount is not None else None,
        "reason": text,
    }
    locked = application_transition(
        actor=actor,
        application=locked,
        to_status=Status.UNDER_REVIEW,
        comment=text,
        journal_action="grants.application.reopened",
        data=previous,
    )
    locked.decided_amount = None
    locked.decided_at = None
    locked.decided_by = None
    locked.decision_reason = ""
    locked.save(update_fields=["decided_amount", "decided_at", "decided_by", "decision_reason", "updated_at"])
    _copy_decision(application, locked)
    return locked


# --- notes -------------------------------------------------------------------------------------


@transaction.atomic
def note_add(*, actor: Any, application: Application, text: str) -> ReviewNote:
    """A private note of the instruction. The same note twice in a row (double click) is kept once."""
    require_permission(actor, "grants.instruct", application)
    body = _text(text, field="text", required_message=_("Écrivez la note."))
    locked = lock_application(application)
    author = actor if getattr(actor, "pk", None) else None
    last = ReviewNote.objects.filter(application=locked).order_by("-created_at", "-pk").first()
    if (
        last is not None
        and last.text == body
        and last.author_id == getattr(author, "pk", None)
        and (timezone.now() - last.created_at).total_seconds() < NOTE_REPEAT_SECONDS
    ):
        return last
    note = ReviewNote.objects.create(application=locked, author=author, text=body)
    journal.record(actor=actor, action="grants.note.added", target=locked, data={"note": note.pk})
    return note
