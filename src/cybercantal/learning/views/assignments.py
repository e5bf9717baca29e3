"""Part "assignments": a teacher's exercises, giving them to classes, results and grading.

Who may use each page (anonymous people are sent to sign in first; everyone else gets 403):

- ``exercises`` (``/ent/exercices/``) and ``exercise_create`` (``/ent/exercices/nouveau/``):
  teachers of the ENT (``learning.use_question_bank``), their own exercises;
- ``exercise`` (``/ent/exercices/<id>/``, composing), ``exercise_edit``, ``exercise_add``
  (``/ent/exercices/<id>/ajouter/``, from one's bank and the questions shared in the
  school), ``exercise_item`` (POST: move, remove, points), ``exercise_copy`` (POST),
  ``exercise_delete``: the exercise's owner (``learning.manage_question``);
- ``assign`` (``/ent/exercices/<id>/donner/``): the exercise's owner, to a class or group
  they teach (``learning.assign_exercise``, checked again by the service);
- ``assignment`` (``/ent/exercices-donnes/<id>/``), ``assignment_edit``,
  ``assignment_close`` (POST), ``assignment_delete``, ``assignment_results``
  (``…/resultats/``) and ``assignment_results_csv`` (``…/resultats.csv``): the teachers of
  the class (``learning.manage_assignment``) — pupils' grades are not shown to school staff,
  parents or pupils here (pupils and parents see their own through the attempts part);
- ``attempt_grade`` (``/ent/tentatives/<id>/correction/``): the teachers of the class
  (``learning.grade_attempt``);
- ``to_grade`` (``/ent/a-corriger/``): teachers, the essays waiting in their assignments.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.forms import add_service_errors
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.forms import plausible_key
from cybercantal.core.spreadsheet import csv_response, decimal_fr

from .. import grading
from ..access import access_for
from ..forms.assignments import (
    SERVICE_FIELDS,
    AddQuestionsForm,
    AssignmentForm,
    ConfirmForm,
    ExerciseForm,
    GradeForm,
    MarkForm,
)
from ..models import Answer, Assignment, Attempt, Exercise, ExerciseQuestion, Question, Subject
from ..queries import assignments as queries
from ..services import assignments as services

PAGE_SIZE = 20
BANK_PAGE_SIZE = 25


def _no_object(request: HttpRequest, *args: Any, **kwargs: Any) -> None:
    return None


def _exercise(request: HttpRequest, exercise_id: int, **kwargs: Any) -> Exercise:
    return get_object_or_404(Exercise.objects.select_related("subject", "school"), pk=exercise_id)


def _assignment(request: HttpRequest, assignment_id: int, **kwargs: Any) -> Assignment:
    return get_object_or_404(
        Assignment.objects.select_related("exercise", "school_class", "school_class__school", "created_by"),
        pk=assignment_id,
    )


def _attempt(request: HttpRequest, attempt_id: int, **kwargs: Any) -> Attempt:
    return get_object_or_404(
        Attempt.objects.select_related("student", "assignment", "assignment__exercise", "assignment__school_class"),
        pk=attempt_id,
    )


teacher_required = permission_required_for_object("learning.use_question_bank", _no_object, pass_object=False)
owner_required = permission_required_for_object("learning.manage_question", _exercise)
assignment_teacher_required = permission_required_for_object("learning.manage_assignment", _assignment)
grader_required = permission_required_for_object("learning.grade_attempt", _attempt)


def _taught_subjects(user: Any) -> Any:
    taught = access_for(user).taught
    ids = set().union(*taught.values()) if taught else set()
    return Subject.objects.filter(pk__in=ids).order_by("name")


def _moment(value: dt.datetime | None) -> str:
    """ "vendredi 5 juin 2026 à 18:00"."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return _("%(day)s à %(hour)s") % {"day": date_format(local.date(), "l j F Y"), "hour": local.strftime("%H:%M")}


def _paginate(request: HttpRequest, items: Any, size: int = PAGE_SIZE) -> Any:
    return Paginator(items, size).get_page(request.GET.get("page"))


# --- my exercises ----------------------------------------------------------------------------------


@teacher_required
@require_safe
def exercises(request: HttpRequest) -> HttpResponse:
    page = _paginate(request, queries.my_exercises(request.user))
    now = timezone.now()
    rows = [
        {
            "exercise": exercise,
            "assignments": [
                {"assignment": a, "state": queries.assignment_state(a, now=now), "closes": _moment(a.closes_at)}
                for a in exercise.assignments.all()
            ],
        }
        for exercise in page.object_list
    ]
    return render(request, "learning/assignments/exercises.html", {"page": page, "rows": rows})


@teacher_required
@require_http_methods(["GET", "POST"])
def exercise_create(request: HttpRequest) -> HttpResponse:
    form = ExerciseForm(request.POST or None, subjects=_taught_subjects(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            exercise = services.exercise_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Exercice créé. Ajoutez-lui des questions de votre banque."))
            return redirect("learning:exercise_add", exercise.pk)
    return render(request, "learning/assignments/exercise_form.html", {"form": form, "exercise": None})


@owner_required
@require_http_methods(["GET", "POST"])
def exercise_edit(request: HttpRequest, exercise_id: int, obj: Exercise) -> HttpResponse:
    initial = {"title": obj.title, "instructions": obj.instructions, "subject": obj.subject_id}
    form = ExerciseForm(request.POST or None, initial=initial, subjects=_taught_subjects(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.exercise_update(actor=request.user, exercise=obj, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Exercice enregistré."))
            return redirect("learning:exercise", obj.pk)
    return render(request, "learning/assignments/exercise_form.html", {"form": form, "exercise": obj})


@owner_required
@require_safe
def exercise(request: HttpRequest, exercise_id: int, obj: Exercise) -> HttpResponse:
    items = queries.exercise_items(obj)
    total = sum((item.mark for item in items), Decimal("0"))
    now = timezone.now()
    assignments = [
        {"assignment": a, "state": queries.assignment_state(a, now=now), "closes": _moment(a.closes_at)}
        for a in obj.assignments.select_related("school_class").order_by("-opens_at", "-pk")
    ]
    return render(
        request,
        "learning/assignments/exercise.html",
        {
            "exercise": obj,
            "items": [
                {
                    "item": item,
                    "form": MarkForm(initial={"mark": services.french_decimal(item.mark)}, prefix=f"i{item.pk}"),
                }
                for item in items
            ],
            "total": services.french_decimal(total),
            "assignments": assignments,
            "started": queries.exercise_started(obj) if assignments else False,
        },
    )


@owner_required
@require_POST
def exercise_item(request: HttpRequest, exercise_id: int, item_id: int, obj: Exercise) -> HttpResponse:
    item = get_object_or_404(ExerciseQuestion, pk=item_id, exercise=obj)
    action = str(request.POST.get("action", ""))[:10]
    url = reverse("learning:exercise", args=[obj.pk])
    try:
        if action in {"up", "down"}:
            moved = services.exercise_move_question(actor=request.user, item=item, direction=action)
            messages.success(request, _("Question déplacée en position %(position)s.") % {"position": moved.position})
            return redirect(f"{url}#item-{item.pk}")
        if action == "remove":
            services.exercise_remove_question(actor=request.user, item=item)
            messages.success(request, _("Question retirée de l'exercice (elle reste dans la banque)."))
            return redirect(url)
        if action == "mark":
            form = MarkForm(request.POST, prefix=f"i{item.pk}")
            if not form.is_valid():
                messages.error(request, " ".join(form.errors.get("mark", [_("Points illisibles.")])))
                return redirect(f"{url}#item-{item.pk}")
            services.exercise_set_mark(actor=request.user, item=item, mark=form.cleaned_data["mark"])
            messages.success(request, _("Points enregistrés."))
            return redirect(f"{url}#item-{item.pk}")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(url)
    messages.error(request, _("Action inconnue."))
    return redirect(url)


@owner_required
@require_http_methods(["GET", "POST"])
def exercise_add(request: HttpRequest, exercise_id: int, obj: Exercise) -> HttpResponse:
    from ..forms.questions import BankFilterForm
    from ..queries import questions as bank_queries

    categories = bank_queries.category_tree(request.user)
    filters_form = BankFilterForm(
        request.GET or None, categories=categories, tags=bank_queries.tags_in_use(request.user)
    )
    filters = filters_form.filters() if request.GET.get("portee") else {"scope": "all"}
    filters["retired"] = False
    present = set(ExerciseQuestion.objects.filter(exercise=obj).values_list("question_id", flat=True))
    if request.method == "POST":
        ids = [v for v in request.POST.getlist("question") if plausible_key(v)][:500]
        form = AddQuestionsForm(request.POST, question_ids=[int(v) for v in ids])
        if form.is_valid():
            wanted = list(dict.fromkeys(int(v) for v in form.cleaned_data["question"]))
            found = Question.objects.in_bulk(wanted)
            # Ticked together, questions go in in the order they entered the bank (a GIFT
            # file's order), not the bank list's newest-first order.
            chosen = [found[pk] for pk in sorted(wanted) if pk in found]
            if len(chosen) != len(wanted):
                raise Http404(_("Une des questions n'existe plus."))
            try:
                added = services.exercise_add_questions(
                    actor=request.user, exercise=obj, questions=chosen, mark=form.cleaned_data.get("mark")
                )
            except ValidationError as exc:  # NotAllowed (another teacher's question) is a 403
                add_service_errors(form, exc)
            else:
                skipped = len(chosen) - len(added)
                text = ngettext(
                    "%(count)s question ajoutée à l'exercice.", "%(count)s questions ajoutées à l'exercice.", len(added)
                ) % {"count": len(added)}
                if skipped:
                    text += " " + ngettext("%(count)s y était déjà.", "%(count)s y étaient déjà.", skipped) % {
                        "count": skipped
                    }
                messages.success(request, text)
                if "continue" in request.POST:
                    return redirect(f"{reverse('learning:exercise_add', args=[obj.pk])}?{request.GET.urlencode()}")
                return redirect("learning:exercise", obj.pk)
    else:
        form = AddQuestionsForm(question_ids=[])
    page = Paginator(bank_queries.bank(user=request.user, **filters), BANK_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "learning/assignments/exercise_add.html",
        {
            "exercise": obj,
            "filters": filters_form,
            "form": form,
            "page": page,
            "rows": [{"question": q, "present": q.pk in present} for q in page.object_list],
            "query": query.urlencode(),
            "count_in_exercise": len(present),
        },
    )


@owner_required
@require_POST
def exercise_copy(request: HttpRequest, exercise_id: int, obj: Exercise) -> HttpResponse:
    copy_ = services.exercise_copy(actor=request.user, exercise=obj)
    messages.success(request, _("Exercice copié : voici la copie, que vous pouvez modifier."))
    return redirect("learning:exercise", copy_.pk)


@owner_required
@require_http_methods(["GET", "POST"])
def exercise_delete(request: HttpRequest, exercise_id: int, obj: Exercise) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            services.exercise_delete(actor=request.user, exercise=obj)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Exercice supprimé."))
            return redirect("learning:exercises")
    return render(
        request,
        "learning/assignments/confirm_delete.html",
        {
            "title": _("Supprimer l'exercice « %(title)s »") % {"title": obj.title},
            "text": _("L'exercice est supprimé ; ses questions restent dans la banque."),
            "error": error,
            "back": reverse("learning:exercise", args=[obj.pk]),
            "form": None,
        },
    )


# --- giving an exercise ----------------------------------------------------------------------------


def _assignment_errors(form: AssignmentForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            name = SERVICE_FIELDS.get(name, name)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@owner_required
@require_http_methods(["GET", "POST"])
def assign(request: HttpRequest, exercise_id: int, obj: Exercise) -> HttpResponse:
    classes = queries.taught_classes(request.user)
    form = AssignmentForm(request.POST or None, classes=classes)
    if request.method == "GET" and request.GET.get("classe", "").isdigit():
        form.initial["school_class"] = int(request.GET["classe"][:12])
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.assignment_create(
                actor=request.user,
                exercise=obj,
                school_class=form.cleaned_data["school_class"],
                homework=bool(form.cleaned_data.get("homework")),
                **form.service_fields(),
            )
        except NotAllowed as exc:
            form.add_error("school_class", str(exc))
        except ValidationError as exc:
            _assignment_errors(form, exc)
        else:
            text = _("Exercice donné à %(klass)s.") % {"klass": assignment.school_class.name}
            if assignment.closes_at:
                text += " " + _("Il ferme %(when)s.") % {"when": _moment(assignment.closes_at)}
            if form.cleaned_data.get("homework"):
                text += " " + _("Il est inscrit au cahier de textes.")
            messages.success(request, text)
            return redirect("learning:assignment", assignment.pk)
    return render(
        request,
        "learning/assignments/assign.html",
        {
            "exercise": obj,
            "form": form,
            "has_classes": classes.exists(),
            "n_questions": ExerciseQuestion.objects.filter(exercise=obj).count(),
        },
    )


def _settings(assignment: Assignment) -> list[tuple[str, str]]:
    rows = [
        (_("Classe ou groupe"), assignment.school_class.name),
        (_("Ouverture"), _moment(assignment.opens_at)),
        (_("Fermeture"), _moment(assignment.closes_at) or _("jamais (pas de date de fermeture)")),
    ]
    if assignment.training:
        rows.append((_("Mode"), _("entraînement : tentatives illimitées, pas de note")))
    else:
        rows.append(
            (
                _("Tentatives permises"),
                str(assignment.attempts_allowed) if assignment.attempts_allowed else _("illimitées"),
            )
        )
        rows.append((_("Note retenue"), assignment.get_grading_method_display()))
    rows += [
        (_("Correction visible"), assignment.get_feedback_timing_display()),
        (_("Ordre des questions"), _("mélangé") if assignment.shuffle_questions else _("celui de l'exercice")),
        (_("Réponses proposées"), _("mélangées") if assignment.shuffle_answers else _("dans l'ordre")),
        (
            _("Durée limite"),
            ngettext("%(n)s minute", "%(n)s minutes", assignment.time_limit_minutes)
            % {"n": assignment.time_limit_minutes}
            if assignment.time_limit_minutes
            else _("aucune"),
        ),
    ]
    return rows


@assignment_teacher_required
@require_safe
def assignment(request: HttpRequest, assignment_id: int, obj: Assignment) -> HttpResponse:
    state = queries.assignment_state(obj)
    return render(
        request,
        "learning/assignments/assignment.html",
        {
            "assignment": obj,
            "state": state,
            "state_label": queries.STATE_LABELS[state],
            "settings": _settings(obj),
            "counts": queries.assignment_counts(obj),
            "is_owner": obj.exercise.owner_id == request.user.pk,
        },
    )


@assignment_teacher_required
@require_http_methods(["GET", "POST"])
def assignment_edit(request: HttpRequest, assignment_id: int, obj: Assignment) -> HttpResponse:
    form = AssignmentForm(request.POST or None, initial=AssignmentForm.initial_from(obj), creating=False)
    started = Attempt.objects.filter(assignment=obj).exists()
    if request.method == "POST" and form.is_valid():
        try:
            result = services.assignment_update(actor=request.user, assignment=obj, **form.service_fields())
        except ValidationError as exc:
            _assignment_errors(form, exc)
        else:
            messages.success(request, _("Réglages enregistrés."))
            for note in result.notes:
                messages.info(request, note)
            return redirect("learning:assignment", obj.pk)
    return render(
        request, "learning/assignments/assignment_edit.html", {"assignment": obj, "form": form, "started": started}
    )


@assignment_teacher_required
@require_POST
def assignment_close(request: HttpRequest, assignment_id: int, obj: Assignment) -> HttpResponse:
    try:
        services.assignment_close(actor=request.user, assignment=obj)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Exercice fermé. Les tentatives en cours ont été rendues avec ce qui était enregistré.")
        )
    return redirect("learning:assignment", obj.pk)


@assignment_teacher_required
@require_http_methods(["GET", "POST"])
def assignment_delete(request: HttpRequest, assignment_id: int, obj: Assignment) -> HttpResponse:
    pupils = Attempt.objects.filter(assignment=obj).values("student_id").distinct().count()
    form = ConfirmForm(request.POST or None) if pupils else None
    error = ""
    if request.method == "POST":
        confirmed = form is None or form.is_valid()
        try:
            services.assignment_delete(actor=request.user, assignment=obj, confirm=bool(pupils and confirmed))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Exercice donné supprimé."))
            return redirect("learning:exercises")
    text = _("L'exercice reste dans « Mes exercices » ; la ligne du cahier de textes qui l'annonçait est supprimée.")
    if pupils:
        text = (
            ngettext(
                "%(count)s élève a déjà commencé : sa tentative et sa note seront effacées.",
                "%(count)s élèves ont déjà commencé : leurs tentatives et leurs notes seront effacées.",
                pupils,
            )
            % {"count": pupils}
            + " "
            + text
        )
    return render(
        request,
        "learning/assignments/confirm_delete.html",
        {
            "title": _("Supprimer l'exercice donné à %(klass)s") % {"klass": obj.school_class.name},
            "text": text,
            "error": error,
            "back": reverse("learning:assignment", args=[obj.pk]),
            "form": form,
            "close_url": reverse("learning:assignment_close", args=[obj.pk])
            if pupils and queries.assignment_state(obj) == "open"
            else "",
        },
    )


# --- results ---------------------------------------------------------------------------------------


STATE_TEXT = {
    "none": "pas commencé",
    "in_progress": "en cours",
    "to_grade": "à corriger",
    "submitted": "rendu",
}


@assignment_teacher_required
@require_safe
def assignment_results(request: HttpRequest, assignment_id: int, obj: Assignment) -> HttpResponse:
    pupils = queries.pupil_rows(obj)
    grades = {row.student.pk: row.grade for row in pupils}
    stats = queries.question_stats(obj, queries.retained_attempt_ids(obj, grades))
    return render(
        request,
        "learning/assignments/results.html",
        {
            "assignment": obj,
            "pupils": pupils,
            "stats": stats,
            "state_text": {k: _(v) for k, v in STATE_TEXT.items()},
            "submitted": sum(1 for row in pupils if any(a.state == Attempt.State.SUBMITTED for a in row.attempts)),
            "graded_label": _("Meilleure tentative de chaque élève")
            if obj.grading_method == "highest" and not obj.training
            else _("Dernière tentative de chaque élève")
            if obj.grading_method == "last" and not obj.training
            else _("Toutes les tentatives rendues"),
        },
    )


def _fraction_cell(answer: Answer | None) -> Any:
    if answer is None:
        return None
    final = answer.final_mark
    if final is None:
        return "en attente" if answer.response is not None else None
    if answer.max_mark:
        return decimal_fr((final / answer.max_mark * 100).quantize(Decimal("0.1")), 1)
    return decimal_fr((answer.fraction or Decimal("0")) * 100, 1)


@assignment_teacher_required
@require_safe
def assignment_results_csv(request: HttpRequest, assignment_id: int, obj: Assignment) -> HttpResponse:
    pupils = queries.pupil_rows(obj)
    items = [item for item in queries.exercise_items(obj.exercise) if item.question.qtype != "description"]
    matrix = queries.answers_matrix(obj)
    header = [
        _("Nom"),
        _("Prénom"),
        _("Tentative"),
        _("État"),
        _("Retenue"),
        _("Commencée le"),
        _("Rendue le"),
        _("Durée (minutes)"),
        _("Points"),
        _("Sur"),
        _("Note de la tentative sur 20"),
        _("Note retenue sur 20"),
    ]
    for index, item in enumerate(items, start=1):
        title = queries._question_title(item.question)
        header.append(_("Q%(n)s %(title)s — réussite (%%)") % {"n": index, "title": title})
        header.append(_("Q%(n)s — points sur %(max)s") % {"n": index, "max": services.french_decimal(item.mark)})
    retained_all = obj.training or obj.grading_method == "average"

    def rows() -> Any:
        yield header
        for row in pupils:
            student = row.student
            grade = row.grade
            grade_cell: Any = (
                decimal_fr(grade.on_20) if grade.on_20 is not None else (grade.label if grade.status != "none" else "")
            )
            if not row.attempts:
                yield [student.last_name, student.first_name, "", _("aucune tentative"), "", "", "", "", "", "", "", ""]
                continue
            for attempt in row.attempts:
                submitted = attempt.state == Attempt.State.SUBMITTED
                retained = submitted and (retained_all or attempt.pk == grade.attempt_id)
                on_20 = (
                    decimal_fr((attempt.score / attempt.max_score * 20).quantize(Decimal("0.01")))
                    if submitted and attempt.score is not None and attempt.max_score
                    else None
                )
                minutes = (
                    max(1, round((attempt.submitted_at - attempt.started_at).total_seconds() / 60))
                    if attempt.submitted_at
                    else None
                )
                line = [
                    student.last_name,
                    student.first_name,
                    attempt.number,
                    _("rendue") if submitted else _("en cours"),
                    _("oui") if retained else _("non"),
                    timezone.localtime(attempt.started_at).strftime("%d/%m/%Y %H:%M"),
                    timezone.localtime(attempt.submitted_at).strftime("%d/%m/%Y %H:%M") if attempt.submitted_at else "",
                    minutes,
                    decimal_fr(attempt.score) if submitted and attempt.score is not None else "",
                    decimal_fr(attempt.max_score),
                    on_20,
                    grade_cell,
                ]
                answers = matrix.get(attempt.pk, {})
                for item in items:
                    answer = answers.get(item.question_id)
                    line.append(_fraction_cell(answer))
                    final = answer.final_mark if answer is not None else None
                    line.append(decimal_fr(final) if final is not None else None)
                yield line

    name = slugify(f"resultats-{obj.exercise.title}-{obj.school_class.name}")[:80] or "resultats"
    return csv_response(f"{name}.csv", rows())


# --- grading ---------------------------------------------------------------------------------------


def _response_text(snapshot: dict[str, Any], response: Any) -> SafeString:
    """A readable rendering of a response, when the pupils' widgets are not available."""
    if not isinstance(response, dict) or not response:
        return mark_safe(f"<p>{escape(_('Pas de réponse.'))}</p>")
    text = response.get("text") or response.get("value") or response
    return mark_safe(linebreaks(escape(str(text))))


def _widget(answer: Answer) -> SafeString:
    try:
        from .. import questionui
    except ImportError:
        return _response_text(answer.snapshot, answer.response)
    return questionui.render_question(
        answer.snapshot,
        answer.response,
        prefix=f"q{answer.slot}",
        disabled=True,
        show_feedback=True,
        show_right_answers=True,
    )


@grader_required
@require_http_methods(["GET", "POST"])
def attempt_grade(request: HttpRequest, attempt_id: int, obj: Attempt) -> HttpResponse:
    attempt = obj
    answers = queries.attempt_answers(attempt)
    posted_slot = None
    posted_form = None
    if request.method == "POST":
        slot_text = str(request.POST.get("slot", ""))
        answer = next(
            (a for a in answers if slot_text.isdigit() and len(slot_text) < 6 and a.slot == int(slot_text)), None
        )
        if answer is None:
            raise Http404(_("Cette question ne fait pas partie de la tentative."))
        posted_slot = answer.slot
        posted_form = GradeForm(request.POST, prefix=f"s{answer.slot}")
        if posted_form.is_valid():
            data = posted_form.cleaned_data
            try:
                services.answer_override(
                    actor=request.user, answer=answer, mark=data.get("mark"), comment=data.get("comment", "")
                )
            except ValidationError as exc:
                add_service_errors(posted_form, exc)
            else:
                messages.success(
                    request,
                    _("Note de la question %(slot)s enregistrée.") % {"slot": answer.slot},
                )
                attempt.refresh_from_db()
                if not attempt.needs_grading and "next" in request.POST:
                    following = queries.next_attempt_to_grade(request.user, after=attempt)
                    if following is not None:
                        messages.info(request, _("Voici la copie suivante à corriger."))
                        return redirect("learning:attempt_grade", following.pk)
                return redirect(f"{reverse('learning:attempt_grade', args=[attempt.pk])}#slot-{answer.slot}")
    rows = []
    for answer in answers:
        qtype = str(answer.snapshot.get("qtype", ""))
        if answer.slot == posted_slot and posted_form is not None:
            form = posted_form
        else:
            form = GradeForm(
                prefix=f"s{answer.slot}",
                initial={
                    "mark": services.french_decimal(answer.override_mark) if answer.override_mark is not None else "",
                    "comment": answer.override_comment,
                },
            )
        rows.append(
            {
                "answer": answer,
                "qtype": qtype,
                "qtype_label": dict(_qtype_labels()).get(qtype, qtype),
                "title": answer.snapshot.get("name") or "",
                "widget": _widget(answer),
                "auto": services.french_decimal(answer.mark) if answer.mark is not None else "",
                "final": services.french_decimal(answer.final_mark) if answer.final_mark is not None else "",
                "max": services.french_decimal(answer.max_mark),
                "gradable": qtype != "description" and attempt.state == Attempt.State.SUBMITTED,
                "essay": qtype in grading.MANUALLY_GRADED,
                "waiting": qtype in grading.MANUALLY_GRADED
                and answer.response is not None
                and answer.final_mark is None,
                "form": form,
            }
        )
    following = queries.next_attempt_to_grade(request.user, after=attempt)
    grade = queries.class_grades(attempt.assignment).get(attempt.student_id)
    return render(
        request,
        "learning/assignments/attempt_grade.html",
        {
            "attempt": attempt,
            "assignment": attempt.assignment,
            "rows": rows,
            "score": services.french_decimal(attempt.score) if attempt.score is not None else "",
            "max_score": services.french_decimal(attempt.max_score),
            "on_20": services.french_decimal((attempt.score / attempt.max_score * 20).quantize(Decimal("0.01")))
            if attempt.score is not None and attempt.max_score
            else "",
            "started": _moment(attempt.started_at),
            "submitted": _moment(attempt.submitted_at),
            "following": following,
            "grade": grade,
        },
    )


def _qtype_labels() -> list[tuple[str, str]]:
    from ..models import QuestionType

    return [(value, str(label)) for value, label in QuestionType.choices]


@teacher_required
@require_safe
def to_grade(request: HttpRequest) -> HttpResponse:
    page = _paginate(request, queries.essays_to_grade(request.user))
    return render(request, "learning/assignments/to_grade.html", {"page": page})


urlpatterns = [
    path("exercices/", exercises, name="exercises"),
    path("exercices/nouveau/", exercise_create, name="exercise_create"),
    path("exercices/<int:exercise_id>/", exercise, name="exercise"),
    path("exercices/<int:exercise_id>/modifier/", exercise_edit, name="exercise_edit"),
    path("exercices/<int:exercise_id>/ajouter/", exercise_add, name="exercise_add"),
    path("exercices/<int:exercise_id>/questions/<int:item_id>/", exercise_item, name="exercise_item"),
    path("exercices/<int:exercise_id>/copier/", exercise_copy, name="exercise_copy"),
    path("exercices/<int:exercise_id>/supprimer/", exercise_delete, name="exercise_delete"),
    path("exercices/<int:exercise_id>/donner/", assign, name="assign"),
    path("exercices-donnes/<int:assignment_id>/", assignment, name="assignment"),
    path("exercices-donnes/<int:assignment_id>/modifier/", assignment_edit, name="assignment_edit"),
    path("exercices-donnes/<int:assignment_id>/fermer/", assignment_close, name="assignment_close"),
    path("exercices-donnes/<int:assignment_id>/supprimer/", assignment_delete, name="assignment_delete"),
    path("exercices-donnes/<int:assignment_id>/resultats/", assignment_results, name="assignment_results"),
    path("exercices-donnes/<int:assignment_id>/resultats.csv", assignment_results_csv, name="assignment_results_csv"),
    path("tentatives/<int:attempt_id>/correction/", attempt_grade, name="attempt_grade"),
    path("a-corriger/", to_grade, name="to_grade"),
]
