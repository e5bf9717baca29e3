"""Reads of the dossier part (issue 7): the applicant's dossiers, one dossier with what it
shows, its timeline and message thread, and what is expected next. Shared with the API and
with the instruction part (which includes the thread and the timeline in its review page).

Nothing here ever reads ``ReviewNote``: the instructors' private notes are not part of what
the applicant's pages or the API receive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from cybercantal.accounts.models import Role
from cybercantal.accounts.permissions import applicant_of, is_grants_staff
from cybercantal.accounts.queries import objects_in_scope
from cybercantal.core.forms import plausible_key

from ..models import DECIDED_STATUSES, EDITABLE_STATUSES, Application, Document, Message, Status, StatusChange

REFERENCE_MAX_LENGTH = 24
FIRST_STEP = "entreprise"  # the first step of the applying part's form


def applications_of(user: Any) -> QuerySet[Application]:
    """The dossiers of the businesses ``user`` applies for (an active business-applicant role on
    the organisation, or on the dossier itself), most recently changed first, each with
    ``unread_count``: the instructors' messages the applicant has not read yet."""
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    queryset = objects_in_scope(user, Application.objects.all(), roles=[Role.BUSINESS_APPLICANT])
    return (
        queryset.select_related("programme")
        .annotate(
            unread_count=Count("messages", filter=Q(messages__from_applicant=False, messages__read_at__isnull=True))
        )
        .order_by("-updated_at", "-pk")
    )


def application_by_reference(reference: str) -> Application | None:
    """The dossier with that reference (its programme, business, commune and canton joined), or
    None. Junk (too long, NUL byte) is None without a query."""
    if len(reference) > REFERENCE_MAX_LENGTH or not plausible_key(reference, digits=False):
        return None
    return (
        Application.objects.select_related("programme", "organisation", "premises_commune", "canton", "instructor")
        .filter(reference=reference)
        .first()
    )


def may_view(user: Any, application: Application, perm: str = "grants.view_application") -> bool:
    """Whether ``user`` holds ``perm`` on the dossier and may see it: a draft belongs to its
    business alone (the instruction never sees a draft, as in its queue and review page)."""
    if not user.has_perm(perm, application):
        return False
    return application.status != Status.DRAFT or applicant_of.test(user, application)


def application_for(user: Any, reference: str, perm: str = "grants.view_application") -> Application:
    """The dossier if ``user`` holds ``perm`` on it; ``Http404`` otherwise (a dossier the person
    may not see does not exist for them; a draft for anyone but its business)."""
    application = application_by_reference(reference)
    if application is None or not may_view(user, application, perm):
        raise Http404(_("Dossier introuvable."))
    return application


def is_applicant_side(user: Any) -> bool:
    """Whether ``user`` takes part as the business (not as instructor or programme team): whoever
    does not instruct. A superuser is on the instructors' side."""
    return not is_grants_staff.test(user)


def timeline(application: Application) -> list[StatusChange]:
    return list(StatusChange.objects.filter(application=application).order_by("at", "pk"))


def lines_with_quotes(application: Application) -> list[Any]:
    return list(application.lines.select_related("category", "quote").order_by("position", "pk"))


def thread(application: Application) -> list[Message]:
    """The messages, oldest first, with their authors and attachments (two queries)."""
    return list(
        Message.objects.filter(application=application)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )


def unread_count(application: Application, *, for_applicant: bool) -> int:
    """Messages of the other side not read yet by ``for_applicant``'s side."""
    return Message.objects.filter(
        application=application, from_applicant=not for_applicant, read_at__isnull=True
    ).count()


def document_of(application: Application, pk: int) -> Document:
    """A document of that dossier; ``Http404`` for a document of another dossier."""
    document = Document.objects.filter(application=application, pk=pk).first()
    if document is None:
        raise Http404(_("Pièce introuvable."))
    return document


# --- What is expected next -----------------------------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    code: str  # stable, English: "complete", "correct", "wait", "invoices", "decision_letter", "messages", "none"
    label: str  # French, short (a button)
    detail: str  # French, one sentence
    url: str  # a path, "" when there is nothing to follow


def grants_path(name: str, fallback: str, *args: Any) -> str:
    """The path of another part's page, by its URL name and positional arguments (each part
    names its own keyword arguments); the agreed path while that part is not mounted."""
    try:
        return reverse(f"grants:{name}", args=args)
    except NoReverseMatch:
        return fallback


def edit_url(application: Application) -> str:
    ref = application.reference
    return grants_path("apply_step", f"/aides/dossiers/{ref}/modifier/{FIRST_STEP}/", ref, FIRST_STEP)


def decision_letter_url(application: Application) -> str:
    ref = application.reference
    return grants_path("decision_letter", f"/aides/dossiers/{ref}/lettre-de-decision.pdf", ref)


def invoices_url(application: Application) -> str:
    ref = application.reference
    return grants_path("invoices", f"/aides/dossiers/{ref}/factures/", ref)


def review_url(application: Application) -> str:
    ref = application.reference
    return grants_path("review", f"/aides/instruction/{ref}/", ref)


def has_decision_letter(application: Application) -> bool:
    return application.status in DECIDED_STATUSES or application.status == Status.PAID


def next_steps(application: Application, *, unread: int = 0) -> list[NextStep]:
    """What the applicant is expected to do now, the main step first."""
    status = application.status
    steps: list[NextStep] = []
    if status == Status.DRAFT:
        steps.append(
            NextStep(
                "complete",
                _("Compléter"),
                _("Votre demande est un brouillon : complétez-la puis déposez-la."),
                edit_url(application),
            )
        )
    elif status == Status.CORRECTIONS:
        steps.append(
            NextStep(
                "correct",
                _("Corriger"),
                _("L'instructeur demande des corrections : modifiez le dossier puis déposez-le à nouveau."),
                edit_url(application),
            )
        )
    elif status == Status.SUBMITTED:
        steps.append(
            NextStep(
                "wait", _("Attendre l'instruction"), _("Votre dossier est déposé : un instructeur va l'examiner."), ""
            )
        )
    elif status == Status.UNDER_REVIEW:
        steps.append(
            NextStep(
                "wait",
                _("Attendre la décision"),
                _("Votre dossier est en cours d'instruction. L'instructeur vous écrira s'il lui manque quelque chose."),
                "",
            )
        )
    elif status == Status.ACCEPTED:
        steps.append(
            NextStep(
                "invoices",
                _("Déposer vos factures"),
                _("Votre aide est accordée : déposez les factures acquittées pour recevoir le versement."),
                invoices_url(application),
            )
        )
    elif status == Status.PAID:
        steps.append(NextStep("none", _("Rien à faire"), _("L'aide est versée : le dossier est terminé."), ""))
    elif status == Status.REFUSED:
        steps.append(
            NextStep(
                "none", _("Rien à faire"), _("Votre demande est refusée : la lettre de décision en donne le motif."), ""
            )
        )
    elif status == Status.CLOSED:
        steps.append(NextStep("none", _("Rien à faire"), _("Le dossier est classé sans suite."), ""))
    if has_decision_letter(application):
        steps.append(
            NextStep(
                "decision_letter",
                _("Télécharger la lettre de décision"),
                _("La lettre de décision reprend chaque montant."),
                decision_letter_url(application),
            )
        )
    if unread:
        steps.insert(
            0,
            NextStep(
                "messages",
                _("Lire les messages"),
                _("L'instructeur vous a écrit : %(count)s message(s) non lu(s).") % {"count": unread},
                reverse("grants:messages", kwargs={"ref": application.reference}),
            ),
        )
    return steps


def main_step(application: Application, *, unread: int = 0) -> NextStep:
    """The one step shown in the list of dossiers (messages first when there are unread ones)."""
    return next_steps(application, unread=unread)[0]


def is_editable(application: Application) -> bool:
    return application.status in EDITABLE_STATUSES
