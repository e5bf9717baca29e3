"""Part "attempts": a pupil's exercises, answering question by question, handing in, review.

Who may use each page:
- ``my_exercises`` (``mes-exercices/``): anyone signed in; a pupil sees the assignments of
  their classes (this school year), the others a short explanation.
- ``assignment_start`` (POST ``exercices-donnes/<id>/commencer/``):
  ``learning.attempt_assignment`` on the assignment (a pupil of its class); starts or resumes
  the attempt and goes to the question where the pupil stopped.
- ``attempt`` (``tentatives/<id>/?q=<slot>``), ``answer_save`` (POST
  ``tentatives/<id>/questions/<slot>/``), ``attempt_submit`` (``tentatives/<id>/rendre/``):
  the attempt's pupil only. Someone else who may see the attempt (``learning.view_attempt``:
  a parent, a teacher of the class) is sent to the read-only review; others get 403.
  ``answer_save`` answers JSON to ``fetch`` (``Accept: application/json``) and redirects a
  plain form POST.
- ``attempt_review`` (``tentatives/<id>/bilan/``): ``learning.view_attempt``: the pupil (once
  handed in; the correction per the assignment's feedback timing), a parent (read only, a
  handed-in attempt whose correction is visible, else 403), a teacher of the class (read
  only, everything). School staff and other people: 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cybercantal.accounts.services import NotAllowed

from .. import questionui
from ..access import access_for
from ..models import Answer, Assignment, Attempt
from ..queries import attempts as queries
from ..services import attempts as services

CLOSED_PER_PAGE = 20


# --- helpers -------------------------------------------------------------------------------------


def _attempt(attempt_id: int) -> Attempt:
    return get_object_or_404(
        Attempt.objects.select_related("assignment__exercise", "assignment__school_class", "student"), pk=attempt_id
    )


def _own_attempt(request: HttpRequest, attempt_id: int) -> Attempt | HttpResponse:
    """The attempt if it is the signed-in pupil's; the review for whoever may see it; 403."""
    attempt = _attempt(attempt_id)
    if attempt.student_id == request.user.pk:
        return attempt
    if request.user.has_perm("learning.view_attempt", attempt):
        return redirect("learning:attempt_review", attempt_id=attempt.pk)
    raise PermissionDenied(_("Cette tentative n'est pas la vôtre."))


def _time_text(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.hour}\u00a0h\u00a0{local.minute:02d}"


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _attempt_url(attempt: Attempt, slot: int) -> str:
    return f"{reverse('learning:attempt', args=[attempt.pk])}?q={slot}"


def _slot_label(state: queries.SlotState) -> str:
    if state.is_description:
        return _("Question %(n)s : à lire") % {"n": state.slot}
    if state.answered:
        return _("Question %(n)s : répondue") % {"n": state.slot}
    return _("Question %(n)s : sans réponse") % {"n": state.slot}


def _timer(attempt: Attempt, now: dt.datetime) -> dict[str, Any] | None:
    deadline = services.effective_deadline(attempt)
    if deadline is None:
        return None
    remaining = max(0, int((deadline - now).total_seconds()))
    return {
        "countdown": bool(attempt.assignment.time_limit_minutes),
        "remaining": remaining,
        "text": _remaining_text(remaining),
        "until": services.moment_text(deadline, now=now),
    }


def _remaining_text(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(h)s h %(m)02d min") % {"h": hours, "m": minutes}
    if minutes:
        return ngettext("%(m)s minute", "%(m)s minutes", minutes) % {"m": minutes}
    return ngettext("%(s)s seconde", "%(s)s secondes", seconds) % {"s": seconds}


def _close_expired(request: HttpRequest, attempt: Attempt) -> bool:
    """Lazily hand in an attempt whose time is over (the periodic job does it too)."""
    if attempt.state == Attempt.State.IN_PROGRESS and services.is_expired(attempt):
        if services.attempt_close_if_expired(attempt=attempt):
            messages.warning(
                request, _("Le temps est écoulé : votre exercice a été rendu avec les réponses enregistrées.")
            )
        attempt.refresh_from_db()
        return True
    return False


# --- my exercises ----------------------------------------------------------------------------


def _line(item: queries.PupilAssignment, now: dt.datetime, resume: dict[int, int]) -> dict[str, Any]:
    assignment = item.assignment
    used = len(item.attempts)
    left = services.attempts_left(assignment, used)
    current = item.in_progress
    latest = item.latest_submitted
    line: dict[str, Any] = {
        "assignment": assignment,
        "due": services.due_text(assignment.closes_at, now=now) if assignment.closes_at else "",
        "left": left,
        "current": current,
        "latest": latest,
        "score": None,
        "closed": bool(assignment.closes_at and assignment.closes_at <= now),
        "can_start": current is None and left != 0,
        "position": "",
        "review_pending": False,
        "grade_pending": False,
    }
    if current is not None:
        line["state"] = _("En cours")
        line["state_kind"] = "warning"
        line["position"] = _("question %(n)s sur %(total)s") % {
            "n": resume.get(current.pk, current.last_slot),
            "total": getattr(current, "slot_count", assignment.question_count),
        }
    elif latest is not None:
        line["state"] = _("Rendu")
        line["state_kind"] = "open"
    else:
        line["state"] = _("Non fait") if line["closed"] else _("À faire")
        line["state_kind"] = "closed" if line["closed"] else "kind"
    if latest is not None:
        if queries.feedback_visible(assignment, latest, now=now):
            # The grade that counts, by the same rule as the teacher's results.
            grade = queries.retained_grade(assignment, item.attempts)
            if grade.status == "pending":
                line["review_pending"] = line["grade_pending"] = True
            elif grade.status == "graded":
                line["score"], line["max_score"] = grade.score, grade.max_score
        else:
            line["review_pending"] = True
    return line


@require_safe
def my_exercises(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    now = timezone.now()
    context: dict[str, Any] = {"is_student": access.is_student, "is_parent": access.is_parent}
    if access.is_student:
        open_items = queries.with_attempts(request.user, list(queries.open_assignments(request.user, access.class_ids)))
        page = Paginator(queries.closed_assignments(request.user, access.class_ids), CLOSED_PER_PAGE).get_page(
            request.GET.get("page")
        )
        closed_items = queries.with_attempts(request.user, list(page.object_list))
        in_progress = [item.in_progress for item in open_items + closed_items if item.in_progress is not None]
        resume = queries.resume_slots(in_progress)
        context.update(
            open_lines=[_line(item, now, resume) for item in open_items],
            closed_lines=[_line(item, now, resume) for item in closed_items],
            closed_page=page,
        )
    return render(request, "learning/attempts/my_exercises.html", context)


# --- start -------------------------------------------------------------------------------------


@require_POST
def assignment_start(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = get_object_or_404(Assignment.objects.select_related("exercise"), pk=assignment_id)
    if not request.user.has_perm("learning.attempt_assignment", assignment):
        raise PermissionDenied(_("Cet exercice n'est pas donné à votre classe."))
    try:
        attempt = services.attempt_start(actor=request.user, assignment=assignment)
    except services.AttemptError as exc:
        messages.error(request, exc.messages[0])
        return redirect("learning:my_exercises")
    return redirect(_attempt_url(attempt, queries.resume_slot(attempt)))


# --- answering ---------------------------------------------------------------------------------


@require_safe
def attempt_page(request: HttpRequest, attempt_id: int) -> HttpResponse:
    found = _own_attempt(request, attempt_id)
    if isinstance(found, HttpResponse):
        return found
    attempt = found
    if attempt.state == Attempt.State.SUBMITTED or _close_expired(request, attempt):
        return redirect("learning:attempt_review", attempt_id=attempt.pk)
    assignment = attempt.assignment
    states = queries.slot_states(attempt)
    if not states:
        raise Http404(_("Cette tentative ne contient aucune question."))
    last = states[-1].slot
    wanted = request.GET.get("q", "")
    slot = int(wanted) if wanted.isdigit() and 1 <= int(wanted) <= last else queries.resume_slot(attempt, states)
    answer = get_object_or_404(Answer, attempt=attempt, slot=slot)
    qtype = str(answer.snapshot.get("qtype", ""))
    locked = services.locks_answers(assignment) and answer.checked_at is not None
    checkable = services.shows_feedback_while_answering(assignment) and qtype != "description"
    feedback = checkable and answer.response is not None and (assignment.training or answer.checked_at is not None)
    now = timezone.now()
    nav = [{"state": s, "label": _slot_label(s), "current": s.slot == slot} for s in states]
    unanswered = [s.slot for s in states if not s.answered and not s.is_description]
    widget = questionui.render_question(
        answer.snapshot,
        answer.response,
        prefix=f"q{slot}",
        disabled=locked,
        show_feedback=feedback,
        show_right_answers=feedback and assignment.training,
    )
    return render(
        request,
        "learning/attempts/attempt.html",
        {
            "attempt": attempt,
            "assignment": assignment,
            "exercise": assignment.exercise,
            "slot": slot,
            "last": last,
            "qtype": qtype,
            "widget": widget,
            "nav": nav,
            "unanswered_count": len(unanswered),
            "locked": locked,
            "checkable": checkable and not locked,
            "check_final": services.locks_answers(assignment),
            "saved_text": _("Réponse enregistrée à %(time)s.") % {"time": _time_text(answer.answered_at)}
            if answer.answered_at
            else "",
            "timer": _timer(attempt, now),
            "instructions": questionui.format_text(assignment.exercise.instructions, "moodle")
            if slot == 1 and assignment.exercise.instructions.strip()
            else "",
        },
    )


def _next_url(attempt: Attempt, slot: int, last: int, go: str) -> str:
    if go == "finish":
        return reverse("learning:attempt_submit", args=[attempt.pk])
    if go == "prev":
        return _attempt_url(attempt, max(1, slot - 1))
    if go == "next":
        return _attempt_url(attempt, slot + 1) if slot < last else reverse("learning:attempt_submit", args=[attempt.pk])
    if go.isdigit() and 1 <= int(go) <= last:
        return _attempt_url(attempt, int(go))
    return _attempt_url(attempt, slot)


def _refusal(request: HttpRequest, *, status: int, code: str, message: str, url: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "code": code, "message": message, "url": url}, status=status)
    messages.error(request, message)
    return redirect(url)


@require_POST
def answer_save(request: HttpRequest, attempt_id: int, slot: int) -> HttpResponse:
    attempt = get_object_or_404(Attempt.objects.select_related("assignment"), pk=attempt_id)
    if attempt.student_id != request.user.pk:
        if _wants_json(request):
            return JsonResponse(
                {"ok": False, "code": "forbidden", "message": _("Cette tentative n'est pas la vôtre.")}, status=403
            )
        raise PermissionDenied(_("Cette tentative n'est pas la vôtre."))
    answer = Answer.objects.filter(attempt=attempt, slot=slot).first()
    if answer is None:
        raise Http404(_("Cette question ne fait pas partie de la tentative."))
    review_url = reverse("learning:attempt_review", args=[attempt.pk])
    last = Answer.objects.filter(attempt=attempt).order_by("-slot").values_list("slot", flat=True).first() or slot
    go = str(request.POST.get("go", ""))[:10]
    qtype = str(answer.snapshot.get("qtype", ""))
    skip = qtype == "description" or (services.locks_answers(attempt.assignment) and answer.checked_at is not None)
    if not skip:
        response = questionui.parse_response(answer.snapshot, request.POST, prefix=f"q{slot}")
        try:
            answer = services.answer_save(
                actor=request.user, attempt=attempt, slot=slot, response=response, check=go == "check"
            )
        except services.AttemptError as exc:
            if exc.code == "expired":
                services.attempt_close_if_expired(attempt=attempt)
            url = review_url if exc.code in {"expired", "submitted"} else _attempt_url(attempt, slot)
            return _refusal(request, status=409, code=exc.code, message=exc.messages[0], url=url)
        except NotAllowed as exc:
            return _refusal(request, status=403, code="forbidden", message=str(exc), url=review_url)
    elif attempt.state != Attempt.State.IN_PROGRESS:
        return _refusal(
            request,
            status=409,
            code="submitted",
            message=_("Cette tentative est déjà rendue."),
            url=review_url,
        )
    next_url = _next_url(attempt, slot, last, go)
    if _wants_json(request):
        answered = answer.response is not None
        return JsonResponse(
            {
                "ok": True,
                "slot": slot,
                "answered": answered,
                "message": _("Réponse enregistrée à %(time)s.") % {"time": _time_text(answer.answered_at)}
                if answered and answer.answered_at
                else _("Enregistré à %(time)s.") % {"time": _time_text(timezone.now())},
                "nav_label": _slot_label(queries.SlotState(slot=slot, qtype=qtype, answered=answered)),
                "url": next_url,
            }
        )
    return redirect(next_url)


# --- handing in --------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def attempt_submit(request: HttpRequest, attempt_id: int) -> HttpResponse:
    found = _own_attempt(request, attempt_id)
    if isinstance(found, HttpResponse):
        return found
    attempt = found
    if request.method == "POST":
        was_submitted = attempt.state == Attempt.State.SUBMITTED
        services.attempt_submit(actor=request.user, attempt=attempt)
        if not was_submitted:
            messages.success(request, _("Votre exercice est rendu. Bravo !"))
        return redirect("learning:attempt_review", attempt_id=attempt.pk)
    if attempt.state == Attempt.State.SUBMITTED or _close_expired(request, attempt):
        return redirect("learning:attempt_review", attempt_id=attempt.pk)
    states = queries.slot_states(attempt)
    unanswered = [s for s in states if not s.answered and not s.is_description]
    return render(
        request,
        "learning/attempts/submit.html",
        {
            "attempt": attempt,
            "assignment": attempt.assignment,
            "exercise": attempt.assignment.exercise,
            "unanswered": [{"slot": s.slot, "url": _attempt_url(attempt, s.slot)} for s in unanswered],
            "question_count": sum(1 for s in states if not s.is_description),
            "last": states[-1].slot if states else 1,
            "timer": _timer(attempt, timezone.now()),
        },
    )


# --- review ------------------------------------------------------------------------------------


@require_safe
def attempt_review(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _attempt(attempt_id)
    user = request.user
    if not user.has_perm("learning.view_attempt", attempt):
        raise PermissionDenied(_("Vous n'avez pas accès à cette tentative."))
    assignment = attempt.assignment
    is_pupil = attempt.student_id == user.pk
    is_teacher = not is_pupil and user.has_perm("learning.grade_attempt", attempt)
    now = timezone.now()
    if is_pupil and attempt.state == Attempt.State.IN_PROGRESS and not _close_expired(request, attempt):
        return redirect(_attempt_url(attempt, attempt.last_slot))
    visible = is_teacher or queries.feedback_visible(assignment, attempt, now=now)
    if not is_pupil and not is_teacher and (attempt.state != Attempt.State.SUBMITTED or not visible):
        raise PermissionDenied(_("La correction de cet exercice n'est pas encore visible."))
    used = Attempt.objects.filter(assignment=assignment, student_id=attempt.student_id).count()
    left = services.attempts_left(assignment, used)
    answers_shown = is_teacher or queries.right_answers_visible(assignment, attempt, attempts_left=left, now=now)
    rows = []
    for answer in Answer.objects.filter(attempt=attempt).order_by("slot"):
        qtype = str(answer.snapshot.get("qtype", ""))
        grade = queries.review_grade(answer) if visible else None
        rows.append(
            {
                "answer": answer,
                "qtype": qtype,
                "final_mark": answer.final_mark if visible else None,
                "widget": questionui.render_question(
                    answer.snapshot,
                    answer.response,
                    prefix=f"r{answer.slot}",
                    disabled=True,
                    show_feedback=visible,
                    grade=grade,
                    show_right_answers=answers_shown,
                ),
                "comment": answer.override_comment if visible else "",
            }
        )
    return render(
        request,
        "learning/attempts/review.html",
        {
            "attempt": attempt,
            "assignment": assignment,
            "exercise": assignment.exercise,
            "rows": rows,
            "visible": visible,
            "is_pupil": is_pupil,
            "is_teacher": is_teacher,
            "left": left,
            "can_start_again": is_pupil
            and attempt.state == Attempt.State.SUBMITTED
            and left != 0
            and not (assignment.closes_at and assignment.closes_at <= now),
            "visible_from": services.moment_text(assignment.closes_at, now=now)
            if assignment.closes_at and not visible
            else "",
            "submitted_text": services.moment_text(attempt.submitted_at, now=now) if attempt.submitted_at else "",
        },
    )


urlpatterns: list[URLPattern] = [
    path("mes-exercices/", my_exercises, name="my_exercises"),
    path("exercices-donnes/<int:assignment_id>/commencer/", assignment_start, name="assignment_start"),
    path("tentatives/<int:attempt_id>/", attempt_page, name="attempt"),
    path("tentatives/<int:attempt_id>/questions/<int:slot>/", answer_save, name="answer_save"),
    path("tentatives/<int:attempt_id>/rendre/", attempt_submit, name="attempt_submit"),
    path("tentatives/<int:attempt_id>/bilan/", attempt_review, name="attempt_review"),
]
