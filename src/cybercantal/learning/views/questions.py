"""Part "questions": the teachers' question bank.

Who may use each page (anonymous people are sent to sign in first):

- ``questions`` (``/ent/questions/``): teachers of the ENT (``learning.use_question_bank``):
  their questions, or those colleagues of their school shared, filtered, paginated, with
  bulk actions on their own (``questions_bulk``, POST) and the GIFT export of a selection;
- ``question_new`` (``/ent/questions/nouvelle/``) and ``question_create``
  (``/ent/questions/nouvelle/<qtype>/``): teachers;
- ``question_edit``, ``question_delete``, ``question_retire``, ``question_share``: the
  question's owner only (``learning.manage_question``);
- ``question_preview`` (``/ent/questions/<id>/apercu/``) and ``question_copy`` (POST): the
  owner, and teachers of the school when it is shared (``learning.view_question``);
- ``question_categories`` (``/ent/questions/categories/``), ``question_category_edit``,
  ``question_category_delete``: teachers, on their own categories.

Everyone else (pupils, parents, school staff who do not teach, teachers of another school)
gets 403. Nothing here is shown to pupils: the preview is the teacher trying the question.
"""

from __future__ import annotations

import random
import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.forms import add_service_errors
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.forms import plausible_key

from .. import grading
from ..forms.questions import (
    ADD_ROWS,
    BankFilterForm,
    BulkForm,
    CategoryForm,
    QuestionForm,
    editor_for,
    french_number,
    question_initial,
)
from ..models import Question, QuestionCategory, QuestionType
from ..queries import questions as queries
from ..services import questions as services

PAGE_SIZE = 20
HEX = frozenset("0123456789abcdef")
SUBMISSION_SECONDS = 3600

TYPE_HELP = {
    "single": gettext_lazy("Une seule bonne réponse parmi plusieurs propositions."),
    "multiple": gettext_lazy("Plusieurs cases à cocher ; chaque réponse a ses points, négatifs pour les erreurs."),
    "truefalse": gettext_lazy("Une affirmation vraie ou fausse."),
    "short": gettext_lazy("L'élève écrit un mot ou une courte phrase ; vous donnez les réponses acceptées."),
    "numerical": gettext_lazy("L'élève écrit un nombre ; une marge d'erreur ou un intervalle est accepté."),
    "matching": gettext_lazy("Associer chaque élément à son associé (dans une liste)."),
    "ordering": gettext_lazy("Remettre des éléments dans l'ordre (sans glisser-déposer)."),
    "cloze": gettext_lazy("Un texte dont l'élève complète les trous (à écrire ou à choisir)."),
    "essay": gettext_lazy("Une réponse rédigée, corrigée par vous."),
    "description": gettext_lazy("Un texte à lire, sans réponse ni note."),
}


def _no_object(request: HttpRequest, *args: Any, **kwargs: Any) -> None:
    return None


def _question(request: HttpRequest, question_id: int, **kwargs: Any) -> Question:
    return get_object_or_404(Question.objects.select_related("owner", "category", "school"), pk=question_id)


def _category(request: HttpRequest, category_id: int, **kwargs: Any) -> QuestionCategory:
    return get_object_or_404(QuestionCategory.objects.select_related("parent"), pk=category_id)


teacher_required = permission_required_for_object("learning.use_question_bank", _no_object, pass_object=False)
owner_required = permission_required_for_object("learning.manage_question", _question)
viewer_required = permission_required_for_object("learning.view_question", _question)
category_owner_required = permission_required_for_object("learning.manage_question", _category)


# --- the bank ---------------------------------------------------------------------------------------


@teacher_required
@require_GET
def bank(request: HttpRequest) -> HttpResponse:
    categories = queries.category_tree(request.user)
    form = BankFilterForm(request.GET or None, categories=categories, tags=queries.tags_in_use(request.user))
    filters = form.filters() if request.GET else {"scope": "mine"}
    page = Paginator(queries.bank(user=request.user, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = list(page.object_list)
    return render(
        request,
        "learning/questions/bank.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "scope": filters.get("scope", "mine"),
            "query": query.urlencode(),
            "filtered": any(v for k, v in request.GET.items() if k not in ("page", "portee")),
            "bulk": BulkForm(categories=categories, question_ids=[]),
            "types": QuestionType.choices,
            "own_on_page": any(q.owner_id == request.user.pk for q in rows),
        },
    )


@teacher_required
@require_POST
def bank_bulk(request: HttpRequest) -> HttpResponse:
    categories = queries.category_tree(request.user)
    raw_ids = [v for v in request.POST.getlist("question") if plausible_key(v)][:500]
    own = list(Question.objects.filter(pk__in=raw_ids, owner=request.user))
    form = BulkForm(request.POST, categories=categories, question_ids=[q.pk for q in own])
    back = request.POST.get("next", "")
    target = reverse("learning:questions") + (back if back.startswith("?") else "")
    if len(own) != len(set(raw_ids)):
        messages.error(request, _("Vous ne pouvez modifier que vos propres questions : rien n'a été fait."))
        return redirect(target)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(target)
    try:
        count = services.questions_bulk(
            actor=request.user,
            questions=own,
            action=form.cleaned_data["action"],
            category=form.cleaned_data.get("category"),
            tags=form.cleaned_data.get("tags", ""),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(n)s question(s) modifiée(s).") % {"n": count})
    return redirect(target)


@teacher_required
@require_GET
def question_new(request: HttpRequest) -> HttpResponse:
    types = [{"value": value, "label": label, "help": TYPE_HELP[value]} for value, label in QuestionType.choices]
    return render(request, "learning/questions/new.html", {"types": types})


# --- the editor -------------------------------------------------------------------------------------


def _submission_key(request: HttpRequest, token: str) -> str:
    return f"learning:question-create:{request.user.pk}:{token}"


def _extra_rows(request: HttpRequest) -> int:
    return ADD_ROWS if "add_rows" in request.POST else 0


def _editor_page(
    request: HttpRequest, *, form: QuestionForm, editor: Any, qtype: str, question: Question | None, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "learning/questions/form.html",
        {
            "form": form,
            "editor": editor,
            "qtype": qtype,
            "qtype_label": QuestionType(qtype).label,
            "question": question,
            "add_rows": ADD_ROWS,
            "has_errors": bool(form.errors or editor.all_errors() or _row_errors(editor)),
            **extra,
        },
    )


def _row_errors(editor: Any) -> bool:
    if editor.options.is_bound and editor.options.errors:
        return True
    if editor.rows is None or not editor.rows.is_bound:
        return False
    return any(f.errors for f in editor.rows.forms)


@teacher_required
@require_http_methods(["GET", "POST"])
def question_create(request: HttpRequest, qtype: str) -> HttpResponse:
    if qtype not in QuestionType.values:
        return redirect("learning:question_new")
    categories = queries.category_tree(request.user)
    initial: dict[str, Any] = {"default_mark": "1", "text_format": "plain"}
    if request.GET.get("categorie") and plausible_key(request.GET["categorie"]):
        initial["category"] = request.GET["categorie"]
    submission = uuid.uuid4().hex
    if request.method == "POST":
        submission = "".join(c for c in str(request.POST.get("submission") or "")[:64] if c in HEX)
        adding = _extra_rows(request)
        form = QuestionForm(
            request.POST if not adding else None,
            qtype=qtype,
            categories=categories,
            initial=_posted_initial(request) if adding else None,
        )
        editor = editor_for(qtype, request.POST, extra_rows=adding)
        if not adding:
            key = _submission_key(request, submission) if submission else ""
            if key and cache.get(key):  # the same form sent twice
                messages.info(request, _("Cette question est déjà enregistrée."))
                return redirect("learning:question_edit", question_id=cache.get(key))
            form_ok = form.is_valid()
            if editor.is_valid() and form_ok:
                try:
                    question = services.question_create(
                        actor=request.user, qtype=qtype, data=editor.to_data(), **form.service_fields()
                    )
                except ValidationError as exc:
                    _service_errors(form, editor, exc)
                else:
                    if key:
                        cache.set(key, question.pk, SUBMISSION_SECONDS)
                    messages.success(request, _("La question est enregistrée."))
                    return _after_save(request, question)
    else:
        form = QuestionForm(qtype=qtype, categories=categories, initial=initial)
        editor = editor_for(qtype)
    return _editor_page(request, form=form, editor=editor, qtype=qtype, question=None, submission=submission)


def _posted_initial(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    fields = ("name", "text", "text_format", "default_mark", "general_feedback", "category", "tags")
    initial: dict[str, Any] = {name: post.get(name, "") for name in fields}
    initial["shared"] = bool(post.get("shared"))
    return initial


def _service_errors(form: QuestionForm, editor: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict") and "data" in exc.error_dict:
        for error in exc.error_dict.pop("data"):
            editor.errors.extend(error.messages)
        if not exc.error_dict:
            return
    add_service_errors(form, exc)


def _after_save(request: HttpRequest, question: Question) -> HttpResponse:
    if "save_preview" in request.POST:
        return redirect("learning:question_preview", question_id=question.pk)
    if "save_new" in request.POST:
        return redirect("learning:question_create", qtype=question.qtype)
    return redirect(reverse("learning:questions") + f"#question-{question.pk}")


@owner_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, question_id: int, obj: Question) -> HttpResponse:
    question = obj
    categories = queries.category_tree(request.user)
    if request.method == "POST":
        adding = _extra_rows(request)
        form = QuestionForm(
            request.POST if not adding else None,
            qtype=question.qtype,
            categories=categories,
            initial=_posted_initial(request) if adding else None,
        )
        editor = editor_for(question.qtype, request.POST, data=question.data, extra_rows=adding)
        if not adding:
            form_ok = form.is_valid()
            if editor.is_valid() and form_ok:
                try:
                    services.question_update(
                        actor=request.user, question=question, data=editor.to_data(), **form.service_fields()
                    )
                except ValidationError as exc:
                    _service_errors(form, editor, exc)
                else:
                    messages.success(request, _("La question est enregistrée."))
                    return _after_save(request, question)
    else:
        form = QuestionForm(qtype=question.qtype, categories=categories, initial=question_initial(question))
        editor = editor_for(question.qtype, data=question.data)
    return _editor_page(
        request,
        form=form,
        editor=editor,
        qtype=question.qtype,
        question=question,
        in_use=services.question_in_use(question),
    )


# --- one question -----------------------------------------------------------------------------------


def _preview_snapshot(question: Question) -> dict[str, Any]:
    # The same display order at each visit of this version, as a pupil resuming would see it.
    seed = f"{question.pk}:{question.updated_at.isoformat() if question.updated_at else ''}"
    return grading.snapshot(question, shuffle_answers=True, rng=random.Random(seed))  # noqa: S311


@viewer_required
@require_http_methods(["GET", "POST"])
def question_preview(request: HttpRequest, question_id: int, obj: Question) -> HttpResponse:
    question = obj
    snapshot = _preview_snapshot(question)
    widget = None
    grade = None
    response = None
    answered = False
    try:
        from .. import questionui
    except ImportError:  # the pupils' widgets are not there: the teacher's summary only
        questionui = None  # type: ignore[assignment]
    if questionui is not None:
        if request.method == "POST" and "reset" not in request.POST:
            response = questionui.parse_response(snapshot, request.POST, prefix="apercu")
            answered = True
            if question.qtype in grading.AUTO_GRADED:
                grade = grading.grade(question.qtype, snapshot["data"], response)
        widget = questionui.render_question(
            snapshot,
            response,
            prefix="apercu",
            disabled=False,
            show_feedback=answered,
            grade=grade,
            show_right_answers=answered,
        )
    own = question.owner_id == request.user.pk
    tags = list(question.tags.all())
    return render(
        request,
        "learning/questions/preview.html",
        {
            "question": question,
            "widget": widget,
            "grade": grade,
            "answered": answered,
            "percent": french_number(round(grade.fraction * 100, 1)) if grade and grade.fraction is not None else "",
            "mark": french_number((grade.fraction * question.default_mark).quantize(Decimal("0.01")))
            if grade and grade.fraction is not None
            else "",
            "default_mark": french_number(question.default_mark),
            "summary": _summary(question),
            "own": own,
            "tags": tags,
            "category_path": services.category_path(question.category) if own else "",
            "in_use": services.question_in_use(question) if own else False,
            "qtype_label": question.get_qtype_display(),
        },
    )


def _line(text: Any, value: str = "", *, right: bool = True, feedback: Any = "") -> dict[str, Any]:
    return {"text": str(text), "value": value, "right": right, "feedback": str(feedback or "")}


def _weighted(item: dict[str, Any], text: str) -> dict[str, Any]:
    from ..forms.questions import percent_label

    fraction = grading.fraction_of(item)
    return _line(text, percent_label(fraction), right=fraction > 0, feedback=item.get("feedback", ""))


def _number_text(answer: dict[str, Any]) -> str:
    if "min" in answer:
        return _("de %(min)s à %(max)s") % {
            "min": french_number(answer.get("min")),
            "max": french_number(answer.get("max")),
        }
    return _("%(value)s ± %(tolerance)s") % {
        "value": french_number(answer.get("value")),
        "tolerance": french_number(answer.get("tolerance", "0")),
    }


def _summary(question: Question) -> list[dict[str, Any]]:
    """The teacher's summary of the right answers, type by type (shown under the preview)."""
    from ..forms.questions import cloze_text

    data = question.data or {}
    qtype = question.qtype
    if qtype in {"single", "multiple"}:
        return [_weighted(c, c.get("text", "")) for c in data.get("choices", [])]
    if qtype == "truefalse":
        return [_line(_("Vrai") if data.get("answer") else _("Faux"), "100 %")]
    if qtype == "short":
        return [_weighted(a, a.get("text", "")) for a in data.get("answers", [])]
    if qtype == "numerical":
        return [_weighted(a, _number_text(a)) for a in data.get("answers", [])]
    if qtype == "matching":
        pairs = [_line(f"{p.get('left', '')} → {p.get('right', '')}") for p in data.get("pairs", [])]
        extras = [_line(_("Intrus : %(text)s") % {"text": x}, right=False) for x in data.get("extra_rights", [])]
        return pairs + extras
    if qtype == "ordering":
        return [_line(f"{n}. {item.get('text', '')}") for n, item in enumerate(data.get("items", []), start=1)]
    if qtype == "cloze":
        return [_line(cloze_text(data))]
    if qtype == "essay":
        lines = []
        if data.get("min_words") or data.get("max_words"):
            words = {"min": data.get("min_words") or 0, "max": data.get("max_words") or "…"}
            lines.append(_line(_("De %(min)s à %(max)s mots") % words))
        if data.get("grader_info"):
            lines.append(_line(data["grader_info"]))
        return lines
    return []


@viewer_required
@require_POST
def question_copy(request: HttpRequest, question_id: int, obj: Question) -> HttpResponse:
    try:
        copy = services.question_copy(actor=request.user, question=obj)
    except (ValidationError, NotAllowed) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("learning:question_preview", question_id=obj.pk)
    messages.success(request, _("La question est copiée dans votre banque : vous pouvez la modifier."))
    return redirect("learning:question_edit", question_id=copy.pk)


@owner_required
@require_http_methods(["GET", "POST"])
def question_delete(request: HttpRequest, question_id: int, obj: Question) -> HttpResponse:
    question = obj
    in_use = services.question_in_use(question)
    if request.method == "POST" and not in_use:
        try:
            services.question_delete(actor=request.user, question=question)
        except services.QuestionInUse as exc:
            messages.error(request, " ".join(exc.messages))
            in_use = True
        else:
            messages.success(request, _("La question est supprimée."))
            return redirect("learning:questions")
    elif request.method == "POST":
        messages.error(
            request,
            _(
                "Cette question fait partie d'un exercice : elle ne peut pas être supprimée. Vous pouvez la retirer "
                "de la banque : elle n'apparaîtra plus dans vos listes, mais les exercices qui l'utilisent la gardent."
            ),
        )
    return render(request, "learning/questions/delete.html", {"question": question, "in_use": in_use})


@owner_required
@require_POST
def question_retire(request: HttpRequest, question_id: int, obj: Question) -> HttpResponse:
    retired = request.POST.get("retired", "1") != "0"
    services.question_retire(actor=request.user, question=obj, retired=retired)
    if retired:
        messages.success(request, _("La question est retirée de la banque. Les exercices qui l'utilisent la gardent."))
    else:
        messages.success(request, _("La question est de nouveau dans la banque."))
    return redirect("learning:questions")


@owner_required
@require_POST
def question_share(request: HttpRequest, question_id: int, obj: Question) -> HttpResponse:
    shared = request.POST.get("shared", "1") != "0"
    try:
        services.question_share(actor=request.user, question=obj, shared=shared)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("La question est partagée avec les collègues du collège.")
            if shared
            else _("La question n'est plus partagée."),
        )
    return redirect("learning:question_preview", question_id=obj.pk)


# --- categories -------------------------------------------------------------------------------------


@teacher_required
@require_http_methods(["GET", "POST"])
def categories(request: HttpRequest) -> HttpResponse:
    tree = queries.category_tree(request.user)
    form = CategoryForm(request.POST or None, categories=tree)
    if request.method == "POST" and form.is_valid():
        try:
            category = services.category_create(
                actor=request.user, name=form.cleaned_data["name"], parent=form.cleaned_data.get("parent")
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("La catégorie « %(name)s » est créée.") % {"name": category.name})
            return redirect("learning:question_categories")
    return render(request, "learning/questions/categories.html", {"form": form, "tree": tree})


@category_owner_required
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, category_id: int, obj: QuestionCategory) -> HttpResponse:
    category = obj
    tree = queries.category_tree(request.user)
    below = queries.subcategory_ids(request.user, category)
    initial = {"name": category.name, "parent": str(category.parent_id or "")}
    form = CategoryForm(request.POST or None, categories=tree, exclude=below, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.category_rename(actor=request.user, category=category, name=form.cleaned_data["name"])
            services.category_move(actor=request.user, category=category, parent=form.cleaned_data.get("parent"))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("La catégorie est enregistrée."))
            return redirect("learning:question_categories")
    return render(request, "learning/questions/category_form.html", {"form": form, "category": category})


@category_owner_required
@require_http_methods(["GET", "POST"])
def category_delete(request: HttpRequest, category_id: int, obj: QuestionCategory) -> HttpResponse:
    category = obj
    if request.method == "POST":
        try:
            moved = services.category_delete(actor=request.user, category=category)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("La catégorie est supprimée ; %(q)s question(s) et %(c)s sous-catégorie(s) remontent d'un niveau.")
                % {"q": moved["questions"], "c": moved["subcategories"]},
            )
            return redirect("learning:question_categories")
    return render(
        request,
        "learning/questions/category_delete.html",
        {
            "category": category,
            "count": category.questions.count(),
            "children": category.children.count(),
            "parent_path": services.category_path(category.parent) if category.parent_id else "",
        },
    )


urlpatterns = [
    path("questions/", bank, name="questions"),
    path("questions/actions/", bank_bulk, name="questions_bulk"),
    path("questions/nouvelle/", question_new, name="question_new"),
    path("questions/nouvelle/<str:qtype>/", question_create, name="question_create"),
    path("questions/<int:question_id>/modifier/", question_edit, name="question_edit"),
    path("questions/<int:question_id>/apercu/", question_preview, name="question_preview"),
    path("questions/<int:question_id>/copier/", question_copy, name="question_copy"),
    path("questions/<int:question_id>/supprimer/", question_delete, name="question_delete"),
    path("questions/<int:question_id>/retirer/", question_retire, name="question_retire"),
    path("questions/<int:question_id>/partage/", question_share, name="question_share"),
    path("questions/categories/", categories, name="question_categories"),
    path("questions/categories/<int:category_id>/", category_edit, name="question_category_edit"),
    path("questions/categories/<int:category_id>/supprimer/", category_delete, name="question_category_delete"),
]
