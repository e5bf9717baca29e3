"""Views of the instruction part (issue 7 §4).

- ``/aides/instruction/`` (``grants:queue``, ``grants.instruct``): the instructors' queue, with
  filters, paginated by 50.
- ``/aides/instruction/<ref>/`` (``grants:review``, ``grants.instruct``): the whole dossier,
  private notes, and the actions allowed in its state, each a POST to a sub-path handled by its
  own service (``services.instruction``). A dossier in draft is not shown (404).
- ``/aides/dossiers/<ref>/lettre-de-decision.pdf`` (``grants:decision_letter``,
  ``grants.view_application``): the latest decision letter, for the applicant and the staff;
  404 for anyone else, never revealing that the dossier exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.money import format_euros
from cybercantal.core.uploads import KINDS, safe_filename, serve

from ..forms.instruction import (
    AcceptForm,
    CloseForm,
    CorrectionsForm,
    LineIneligibleForm,
    NoteForm,
    QueueFilterForm,
    RefuseForm,
    ReopenForm,
)
from ..models import DECIDED_STATUSES, Application, ExpenseLine, Status
from ..queries import coverage as coverage_queries
from ..queries import instruction as queries
from ..queries.envelope import envelope
from ..services import amounts
from ..services import instruction as services
from ..services.workflow import TransitionRefusedError

PAGE_SIZE = 50


def _perm(perm: str) -> Any:
    return permission_required_for_object(perm, lambda request, *a, **kw: None, pass_object=False)


_instruct = _perm("grants.instruct")
_decide = _perm("grants.decide")
_reopen = _perm("grants.reopen_decision")


def _url(name: str, reference: str, fallback: str, *args: Any) -> str:
    """A link to a page of another part; its path as agreed if that part is not there yet."""
    try:
        return reverse(name, args=[reference, *args])
    except NoReverseMatch:
        return fallback


def document_url(reference: str, pk: int) -> str:
    return _url("grants:document", reference, f"/aides/dossiers/{reference}/pieces/{pk}/", pk)


def messages_url(reference: str) -> str:
    return _url("grants:messages", reference, f"/aides/dossiers/{reference}/messages/")


# --- queue ---------------------------------------------------------------------------------------


def _queue_rows(applications: list[Application]) -> list[dict[str, Any]]:
    """What each row shows, formatted once here (cheaper than filters in the template)."""
    now = timezone.now()
    review_url = reverse("grants:review", args=["REF"]).removesuffix("REF/")
    rows = []
    for a in applications:
        commune = a.premises_commune.name if a.premises_commune else "—"
        instructor = a.instructor
        rows.append(
            {
                "reference": a.reference,
                "url": f"{review_url}{quote(a.reference)}/",
                "business": a.business_name or "—",
                "place": f"{commune} ({a.canton.name})" if a.canton else commune,
                "submitted": date_format(timezone.localtime(a.submitted_at), "j F Y") if a.submitted_at else "—",
                "days": queries.days_waiting(a, now=now),
                "aid": format_euros(a.computed_aid),
                "status": a.get_status_display(),
                "instructor": (instructor.get_full_name() or instructor.email) if instructor else "",
            }
        )
    return rows


@require_GET
@_instruct
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    filters = form.filters()
    page, applications = queries.queue_page(
        user=request.user, filters=filters, number=request.GET.get("page"), per_page=PAGE_SIZE
    )
    rows = _queue_rows(applications)
    kept = {k: v for k, v in request.GET.items() if k != "page" and k in form.fields and v}
    return render(
        request,
        "grants/instruction/queue.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": urlencode(kept),
            "filtered": bool(kept),
        },
    )


# --- review --------------------------------------------------------------------------------------


def _application(reference: str) -> Application:
    application = queries.application_for_review(reference)
    if application is None:
        raise Http404(_("Dossier introuvable."))
    return application


def _actions(application: Application) -> dict[str, bool]:
    status = application.status
    return {
        "take": status == Status.SUBMITTED,
        "lines": status == Status.UNDER_REVIEW,
        "corrections": status == Status.UNDER_REVIEW,
        "accept": status == Status.UNDER_REVIEW,
        "refuse": status == Status.UNDER_REVIEW,
        "close": status in (Status.SUBMITTED, Status.UNDER_REVIEW, Status.CORRECTIONS),
        "reopen": status in DECIDED_STATUSES and not application.paid_amount,
    }


def _review(request: HttpRequest, reference: str, *, status: int = 200, **forms: Any) -> HttpResponse:
    application = _application(reference)
    lines = list(application.lines.all())
    figures = amounts.compute(application.programme, ((line.amount, amounts.line_counts(line)) for line in lines))
    line_forms: dict[int, Any] = forms.pop("line_forms", {})
    line_rows = [
        {
            "line": line,
            "counts": amounts.line_counts(line),
            "quote_url": document_url(application.reference, line.quote_id) if line.quote_id else "",
            "form": line_forms.get(line.pk) or LineIneligibleForm(line=line),
        }
        for line in lines
    ]
    snapshot = application.eligibility_snapshot or {}
    letter = (
        queries.latest_decision_letter(application) if application.status in (*DECIDED_STATUSES, Status.PAID) else None
    )
    all_forms = {
        "note_form": forms.get("note_form") or NoteForm(),
        "corrections_form": forms.get("corrections_form") or CorrectionsForm(),
        "accept_form": forms.get("accept_form") or AcceptForm(),
        "refuse_form": forms.get("refuse_form") or RefuseForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
    }
    bound_errors = [f for f in [*all_forms.values(), *line_forms.values()] if f.is_bound and f.errors]
    return render(
        request,
        "grants/instruction/review.html",
        {
            "application": application,
            "programme": application.programme,
            "figures": figures,
            "line_rows": line_rows,
            "snapshot": snapshot,
            # The data behind the answer in French, as the eligibility page shows it (not raw keys).
            "snapshot_rows": coverage_queries.result_rows(snapshot) if snapshot else [],
            "notes": list(application.review_notes.all()),
            "timeline": list(application.status_changes.all()),
            # A sum over the programme's dossiers: read only where a decision is about to be taken.
            "envelope": envelope(application.programme) if application.status == Status.UNDER_REVIEW else None,
            "unread": queries.unread_messages(application),
            "messages_url": messages_url(application.reference),
            "letter": letter,
            "actions": _actions(application),
            "days": queries.days_waiting(application),
            "error_forms": bound_errors,
            **all_forms,
        },
        status=status,
    )


@require_GET
@_instruct
def review(request: HttpRequest, reference: str) -> HttpResponse:
    return _review(request, reference)


def _run(
    request: HttpRequest,
    reference: str,
    *,
    form: Any,
    form_key: str,
    call: Callable[[Application, dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    """Validate ``form``, call the service, say what happened. A refusal of the state machine
    (a second click, a colleague was quicker) or of the envelope is a message on the review page;
    bad input is shown next to its field."""
    application = _application(reference)
    if form.is_valid():
        try:
            call(application, form.cleaned_data)
        except TransitionRefusedError as exc:
            messages.error(request, exc.message)
            return redirect("grants:review", reference=application.reference)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, success)
            return redirect("grants:review", reference=application.reference)
    return _review(request, reference, **{form_key: form})


@require_POST
@_instruct
def take(request: HttpRequest, reference: str) -> HttpResponse:
    application = _application(reference)
    try:
        services.application_take(actor=request.user, application=application)
    except TransitionRefusedError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Vous instruisez le dossier %(ref)s.") % {"ref": application.reference})
    return redirect("grants:review", reference=application.reference)


@require_POST
@_instruct
def note_add(request: HttpRequest, reference: str) -> HttpResponse:
    return _run(
        request,
        reference,
        form=NoteForm(request.POST),
        form_key="note_form",
        call=lambda a, data: services.note_add(actor=request.user, application=a, text=data["text"]),
        success=_("La note est enregistrée."),
    )


def _line(application: Application, pk: int) -> ExpenseLine:
    line = next((line for line in application.lines.all() if line.pk == pk), None)
    if line is None:
        raise Http404(_("Dépense introuvable."))
    return line


@require_POST
@_instruct
def line_set_aside(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    application = _application(reference)
    line = _line(application, pk)
    form = LineIneligibleForm(request.POST, line=line)
    if form.is_valid():
        try:
            services.line_set_ineligible(actor=request.user, line=line, reason=form.cleaned_data["reason"])
        except TransitionRefusedError as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            form.add_service_errors(exc)
            return _review(request, reference, line_forms={line.pk: form})
        else:
            messages.success(
                request,
                _("La dépense « %(line)s » est écartée ; l'aide est recalculée.") % {"line": line.description},
            )
        return redirect("grants:review", reference=application.reference)
    return _review(request, reference, line_forms={line.pk: form})


@require_POST
@_instruct
def line_retain(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    application = _application(reference)
    line = _line(application, pk)
    try:
        services.line_set_eligible(actor=request.user, line=line)
    except TransitionRefusedError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("La dépense « %(line)s » est de nouveau retenue ; l'aide est recalculée.") % {"line": line.description},
        )
    return redirect("grants:review", reference=application.reference)


@require_POST
@_instruct
def request_corrections(request: HttpRequest, reference: str) -> HttpResponse:
    return _run(
        request,
        reference,
        form=CorrectionsForm(request.POST),
        form_key="corrections_form",
        call=lambda a, data: services.application_request_corrections(
            actor=request.user, application=a, message=data["message"]
        ),
        success=_("Les corrections sont demandées : le demandeur est prévenu."),
    )


def _accept(request: HttpRequest, application: Application, data: dict[str, Any]) -> None:
    services.application_accept(actor=request.user, application=application, amount=data.get("amount"))


@require_POST
@_decide
def accept(request: HttpRequest, reference: str) -> HttpResponse:
    return _run(
        request,
        reference,
        form=AcceptForm(request.POST),
        form_key="accept_form",
        call=lambda a, data: _accept(request, a, data),
        success=_("Le dossier est accepté ; la lettre de décision est prête."),
    )


@require_POST
@_decide
def refuse(request: HttpRequest, reference: str) -> HttpResponse:
    return _run(
        request,
        reference,
        form=RefuseForm(request.POST),
        form_key="refuse_form",
        call=lambda a, data: services.application_refuse(actor=request.user, application=a, reason=data["reason"]),
        success=_("Le dossier est refusé ; la lettre de décision est prête."),
    )


@require_POST
@_decide
def close(request: HttpRequest, reference: str) -> HttpResponse:
    return _run(
        request,
        reference,
        form=CloseForm(request.POST),
        form_key="close_form",
        call=lambda a, data: services.application_close(actor=request.user, application=a, reason=data["reason"]),
        success=_("Le dossier est classé sans suite."),
    )


@require_POST
@_reopen
def reopen(request: HttpRequest, reference: str) -> HttpResponse:
    return _run(
        request,
        reference,
        form=ReopenForm(request.POST),
        form_key="reopen_form",
        call=lambda a, data: services.application_reopen(actor=request.user, application=a, reason=data["reason"]),
        success=_("La décision est rouverte : le dossier est de nouveau en instruction."),
    )


# --- decision letter -----------------------------------------------------------------------------


def _visible_application(request: HttpRequest, reference: str) -> Application:
    """The dossier if the person may see it; 404 otherwise (never reveal that it exists)."""
    if not reference or len(reference) > 24 or "\x00" in reference:
        raise Http404(_("Dossier introuvable."))
    application = Application.objects.select_related("programme", "organisation").filter(reference=reference).first()
    if application is None or not request.user.has_perm("grants.view_application", application):
        raise Http404(_("Dossier introuvable."))
    return application


@require_GET
@permission_required_for_object("grants.view_application", _visible_application)
def decision_letter(request: HttpRequest, reference: str, obj: Application) -> HttpResponse:
    if obj.status not in (*DECIDED_STATUSES, Status.PAID):
        raise Http404(_("Aucune décision n'est prise sur ce dossier."))
    letter = queries.latest_decision_letter(obj)
    if letter is None:
        raise Http404(_("La lettre de décision n'est pas disponible."))
    return serve(
        letter.file, content_type="application/pdf", filename=safe_filename(letter.original_name, KINDS["pdf"])
    )


urlpatterns = [
    path("instruction/", queue, name="queue"),
    path("instruction/<str:reference>/", review, name="review"),
    path("instruction/<str:reference>/prendre/", take, name="review_take"),
    path("instruction/<str:reference>/notes/", note_add, name="review_note"),
    path("instruction/<str:reference>/lignes/<int:pk>/ecarter/", line_set_aside, name="review_line_set_aside"),
    path("instruction/<str:reference>/lignes/<int:pk>/retenir/", line_retain, name="review_line_retain"),
    path("instruction/<str:reference>/corrections/", request_corrections, name="review_corrections"),
    path("instruction/<str:reference>/accepter/", accept, name="review_accept"),
    path("instruction/<str:reference>/refuser/", refuse, name="review_refuse"),
    path("instruction/<str:reference>/classer/", close, name="review_close"),
    path("instruction/<str:reference>/rouvrir/", reopen, name="review_reopen"),
    path("dossiers/<str:reference>/lettre-de-decision.pdf", decision_letter, name="decision_letter"),
]
