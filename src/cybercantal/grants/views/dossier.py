"""Dossier part of the grants programme (issue 7): the applicant's side after creation.

- ``/aides/mes-dossiers/`` (``grants:my_applications``): the dossiers of the businesses the
  person applies for, with what to do next and the unread messages. Any signed-in person (an
  empty list for someone who applies for no business).
- ``/aides/dossiers/<ref>/`` (``grants:application``, ``grants.view_application``): the dossier
  as the applicant sees it; instructors and the programme team may open it too. Never shows
  the instructors' private notes.
- ``/aides/dossiers/<ref>/messages/`` (``grants:messages``, ``grants.message_application``): the
  one thread page of both sides.
- ``/aides/dossiers/<ref>/pieces/<pk>/`` (``grants:document``, ``grants.view_application``):
  a file of that dossier, and only of that dossier.

A dossier the person may not see answers 404, as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.uploads import KINDS, Kind, safe_filename, serve

from ..forms.dossier import MessageForm
from ..models import ZERO, EligibilityAnswer, Status
from ..queries import dossier as queries
from ..services import messages as services

PAGE_SIZE = 20
MAX_PK = 2**63 - 1
INLINE_TYPES = frozenset(kind.content_type for kind in KINDS.values())


def _viewable(request: HttpRequest, ref: str, **kwargs: Any) -> Any:
    return queries.application_for(request.user, ref, "grants.view_application")


_can_view = permission_required_for_object("grants.view_application", _viewable)
_can_message = permission_required_for_object("grants.message_application", _viewable)


# --- My dossiers ------------------------------------------------------------------------------------


@require_GET
def my_applications(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(queries.applications_of(request.user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        {"application": application, "step": queries.main_step(application, unread=application.unread_count)}
        for application in page.object_list
    ]
    return render(
        request,
        "grants/dossier/my_applications.html",
        {"page": page, "rows": rows, "index_url": queries.grants_path("index", "/aides/")},
    )


# --- The dossier ------------------------------------------------------------------------------------


def _eligibility(application: Any) -> dict[str, Any]:
    """The eligibility result as stored with the dossier (the data behind it and the edition)."""
    snapshot = application.eligibility_snapshot if isinstance(application.eligibility_snapshot, dict) else {}
    answer = application.eligibility or snapshot.get("answer") or ""
    try:
        label = str(EligibilityAnswer(answer).label) if answer else ""
    except ValueError:
        label = ""
    checked_at = None
    raw = snapshot.get("checked_at") or ""
    if raw:
        try:
            checked_at = dt.datetime.fromisoformat(str(raw))
        except ValueError:
            checked_at = None
    basis = snapshot.get("basis") or ""
    basis_labels = {
        "building": _("données de l'immeuble (base des immeubles de l'ARCEP)"),
        "commune": _("statistiques de la commune (ARCEP)"),
        "none": _("aucune donnée de couverture disponible"),
        "rule_off": _("le dispositif n'a pas de condition de couverture"),
    }
    return {
        "known": bool(label),
        "answer": answer,
        "label": label,
        "explanation": str(snapshot.get("explanation") or ""),
        "edition": str(snapshot.get("edition") or ""),
        "basis": basis_labels.get(basis, ""),
        "checked_at": checked_at,
    }


@require_GET
@_can_view
def application_detail(request: HttpRequest, ref: str, obj: Any) -> HttpResponse:
    application = obj
    applicant_side = queries.is_applicant_side(request.user)
    unread = queries.unread_count(application, for_applicant=applicant_side)
    lines = queries.lines_with_quotes(application)
    requested_total = sum((line.amount for line in lines), ZERO)
    context = {
        "application": application,
        "applicant_side": applicant_side,
        "status_changes": queries.timeline(application),
        "lines": lines,
        "requested_total": requested_total,
        "eligibility": _eligibility(application),
        "steps": queries.next_steps(application, unread=unread if applicant_side else 0),
        "unread": unread,
        "message_count": application.messages.count(),
        "review_url": "" if applicant_side else queries.review_url(application),
        "is_editable": application.is_editable,
        "edit_url": queries.edit_url(application),
        "has_decision": queries.has_decision_letter(application),
        "decision_letter_url": queries.decision_letter_url(application),
        "show_invoices": application.status in (Status.ACCEPTED, Status.PAID),
        "invoices_url": queries.invoices_url(application),
    }
    return render(request, "grants/dossier/application.html", context)


# --- Messages ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@_can_message
def message_thread(request: HttpRequest, ref: str, obj: Any) -> HttpResponse:
    application = obj
    applicant_side = queries.is_applicant_side(request.user)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            message = services.message_post(actor=request.user, application=application, **form.service_values())
        except ValidationError as exc:
            form.add_service_errors(exc)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            if not getattr(message, "replayed", False):
                messages.success(request, _("Votre message est envoyé."))
            return redirect(
                reverse("grants:messages", kwargs={"ref": application.reference}) + f"#message-{message.pk}"
            )
    if request.method == "GET":
        services.messages_mark_read(actor=request.user, application=application)
    context = {
        "application": application,
        "applicant_side": applicant_side,
        "thread_messages": queries.thread(application),
        "form": form,
        "back_url": reverse("grants:application", kwargs={"ref": application.reference})
        if applicant_side
        else queries.review_url(application),
    }
    return render(request, "grants/dossier/messages.html", context)


# --- Documents --------------------------------------------------------------------------------------


@require_GET
@_can_view
def document_download(request: HttpRequest, ref: str, pk: int, obj: Any) -> HttpResponse:
    if pk > MAX_PK:
        raise Http404(_("Pièce introuvable."))
    document = queries.document_of(obj, pk)
    kind = next((k for k in KINDS.values() if k.content_type == document.content_type), None)
    if kind is None:  # not a kind the platform accepts today: offered as a download, never shown
        kind = Kind("other", "application/octet-stream", "", "")
    try:
        return serve(
            document.file,
            content_type=kind.content_type,
            filename=safe_filename(document.original_name, kind),
            inline=kind.content_type in INLINE_TYPES,
        )
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("Pièce introuvable.")) from exc


urlpatterns = [
    path("mes-dossiers/", my_applications, name="my_applications"),
    path("dossiers/<str:ref>/", application_detail, name="application"),
    path("dossiers/<str:ref>/messages/", message_thread, name="messages"),
    path("dossiers/<str:ref>/pieces/<int:pk>/", document_download, name="document"),
]
