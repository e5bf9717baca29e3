"""Part "gift" of the cartable électronique: Moodle's GIFT format in and out of the bank.

Who may use each page: teachers of the ENT (``learning.use_question_bank``). Anonymous
people are sent to sign in; pupils, parents, school staff who do not teach get 403.

- ``gift_import`` (``questions/gift/importer/``): paste GIFT text or choose a file (.txt or
  .gift, UTF-8 or Latin-1, 2 MB at most) → *preview*: every question with its line, title,
  type, text, answers and status (ready, duplicate, or the French error with its line) →
  choose the target category and the questions → import the valid ones (all or nothing).
  The text read travels between the steps in a signed hidden field (``forms.gift``); the
  teacher can also correct the text in the form under the preview and read it again.
- ``gift_export`` (``questions/gift/exporter/``): ``?ids=1,2`` (or the bank's ticked
  ``question`` boxes, POST) or ``?category=<id>`` (with its subcategories; ``tout`` for the
  whole bank) → ``questions.gift.txt``, UTF-8, in their categories. Only questions the
  teacher may see (``learning.view_question``): another's unshared question is a 404.
  When some questions cannot be carried by GIFT (ordering, several blanks) or lose a
  setting, a page lists them first, with the download link.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cybercantal.accounts.decorators import permission_required_for_object

from .. import gift, richtext
from ..forms.gift import GiftExportForm, GiftImportForm, GiftSourceForm, sign_text, unsign_text
from ..models import Question, QuestionCategory, QuestionType
from ..queries.questions import category_tree, subcategory_ids, visible_questions
from ..services import gift as services

PREVIEW_LIMIT = 300
REFILL_LIMIT = 200_000
MAX_IDS = 1000


def _no_object(request: HttpRequest, *args: Any, **kwargs: Any) -> None:
    return None


bank_required = permission_required_for_object("learning.use_question_bank", _no_object, pass_object=False)


def _type_label(qtype: str) -> str:
    return str(QuestionType(qtype).label) if qtype in QuestionType.values else _("Inconnu")


def _summary(text: str, text_format: str, limit: int = 140) -> str:
    plain = richtext.plain(text) if text_format == "html" else " ".join(text.split())
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


def _messages(row: services.PreviewRow) -> list[str]:
    """« Ligne 12 : ... » for each error of the question, at the line where it is."""
    found = [str(error) for error in row.entry.errors]
    return found + [str(gift.GiftError(row.entry.line, problem)) for problem in row.problems]


def _rows(preview: services.Preview) -> list[dict[str, Any]]:
    rows = []
    for row in preview.rows[:PREVIEW_LIMIT]:
        question = row.entry.question
        rows.append(
            {
                "line": row.entry.line,
                "name": row.entry.name,
                "category": " › ".join(row.entry.category),
                "type": _type_label(row.entry.qtype) if row.entry.qtype else "",
                "text": _summary(question.text, question.text_format) if question else row.entry.excerpt,
                "answers": _summary(gift.answers_summary(question), "plain", 200) if question else "",
                "ok": row.ok,
                "duplicate": row.duplicate,
                "errors": _messages(row),
                "warnings": question.warnings if question else [],
            }
        )
    return rows


def _render_import(
    request: HttpRequest,
    *,
    source_form: GiftSourceForm,
    text: str = "",
    import_form: GiftImportForm | None = None,
    preview: services.Preview | None = None,
    encoding: str = "utf-8",
    import_error: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "source_form": source_form,
        "preview": preview,
        "import_form": import_form,
        "import_error": import_error,
        "latin1": encoding == "latin-1",
        "section": "gift",
    }
    if preview is not None:
        context.update(
            rows=_rows(preview),
            truncated=len(preview.rows) > PREVIEW_LIMIT,
            total=len(preview.rows),
            valid_count=len(preview.valid),
            invalid=[{"anchor": row.entry.line, "messages": _messages(row)} for row in preview.invalid],
            loose_errors=[e for e in preview.result.errors if not any(e in r.entry.errors for r in preview.rows)],
            duplicate_count=len(preview.duplicates),
            categories=[" › ".join(path) for path in preview.result.categories],
            checked_lines=_checked_lines(import_form),
        )
    return render(request, "learning/gift/import.html", context, status=status)


def _checked_lines(form: GiftImportForm | None) -> set[int]:
    if form is None:
        return set()
    if form.is_bound:
        return {int(v) for v in form.data.getlist("lines") if str(v).isdigit() and len(str(v)) < 10}
    return set(form.initial.get("lines", []))


def _preview_forms(
    request: HttpRequest, text: str, *, data: Any = None, category: QuestionCategory | None = None
) -> tuple[services.Preview, GiftImportForm]:
    preview = services.gift_preview(actor=request.user, text=text, category=category)
    lines = [row.entry.line for row in preview.valid]
    import_form = GiftImportForm(
        data,
        nodes=category_tree(request.user),
        lines=lines,
        user_id=request.user.pk,
        initial={
            "payload": sign_text(text, request.user.pk),
            "lines": [row.entry.line for row in preview.valid if not row.duplicate],
            "category": str(category.pk) if category else "",
        },
    )
    return preview, import_form


def _refill(text: str) -> GiftSourceForm:
    return GiftSourceForm(initial={"text": text if len(text) <= REFILL_LIMIT else ""})


@bank_required
@require_http_methods(["GET", "POST"])
def gift_import(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render_import(request, source_form=GiftSourceForm())
    if request.POST.get("etape") != "importer":
        source_form = GiftSourceForm(request.POST, request.FILES)
        if not source_form.is_valid():
            return _render_import(request, source_form=source_form, status=400)
        text = source_form.cleaned_data["source"]
        preview, import_form = _preview_forms(request, text)
        return _render_import(
            request,
            source_form=_refill(text),
            preview=preview,
            import_form=import_form,
            encoding=source_form.encoding,
        )
    try:
        text = unsign_text(request.POST.get("payload", ""), request.user.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _render_import(request, source_form=GiftSourceForm(), status=400)
    preview, import_form = _preview_forms(request, text, data=request.POST)
    if not import_form.is_valid():
        return _render_import(request, source_form=_refill(text), preview=preview, import_form=import_form, status=400)
    category = import_form.cleaned_data["category"]
    selected = import_form.cleaned_data["lines"]
    lines = None if len(preview.rows) > PREVIEW_LIMIT else selected
    if lines is not None and not lines:
        import_form.add_error("lines", _("Cochez au moins une question à importer."))
        return _render_import(request, source_form=_refill(text), preview=preview, import_form=import_form, status=400)
    try:
        outcome = services.gift_import(
            actor=request.user,
            school=None,
            text=text,
            category=category,
            lines=lines,
            duplicates=import_form.cleaned_data["duplicates"],
        )
    except ValidationError as exc:
        return _render_import(
            request,
            source_form=_refill(text),
            preview=preview,
            import_form=import_form,
            import_error=" ".join(exc.messages),
            status=400,
        )
    text_parts = [_("%(count)s questions importées dans votre banque.") % {"count": len(outcome.created)}]
    if outcome.categories_created:
        text_parts.append(_("%(count)s catégories créées.") % {"count": outcome.categories_created})
    if outcome.skipped_duplicates:
        text_parts.append(
            _("%(count)s questions déjà présentes n'ont pas été importées une seconde fois.")
            % {"count": len(outcome.skipped_duplicates)}
        )
    if outcome.refused:
        text_parts.append(
            _("%(count)s questions avec une erreur n'ont pas été importées.") % {"count": len(outcome.refused)}
        )
    messages.success(request, " ".join(text_parts))
    return redirect("learning:gift_import")


# --- export -------------------------------------------------------------------------------------


def _ids(values: list[str]) -> list[int]:
    ids: list[int] = []
    for value in values:
        for piece in str(value).replace(";", ",").split(","):
            piece = piece.strip()
            if not piece:
                continue
            if not piece.isdigit() or len(piece) > 12:
                raise Http404(_("Question introuvable."))
            ids.append(int(piece))
    if len(ids) > MAX_IDS:
        raise Http404(_("Trop de questions demandées à la fois."))
    return list(dict.fromkeys(ids))


def _export_selection(request: HttpRequest) -> tuple[list[Question] | None, dict[str, str]]:
    """The questions asked for, and the query string that asks for them again (download link)."""
    base = Question.objects.select_related("category").prefetch_related("tags")
    raw_ids = request.POST.getlist("question") if request.method == "POST" else request.GET.getlist("ids")
    if raw_ids:
        ids = _ids(raw_ids)
        if not ids:
            return [], {}
        questions = list(base.filter(pk__in=visible_questions(request.user).filter(pk__in=ids).values("pk")))
        if len(questions) != len(ids):
            raise Http404(_("Question introuvable."))
        return questions, {"ids": ",".join(str(i) for i in ids)}
    category_value = request.GET.get("category")
    if category_value is None:
        return None, {}
    if category_value in ("", "tout"):
        return list(base.filter(owner=request.user, retired=False)), {"category": "tout"}
    if not category_value.isdigit() or len(category_value) > 12:
        raise Http404(_("Catégorie introuvable."))
    category = get_object_or_404(QuestionCategory, pk=int(category_value), owner=request.user)
    ids_in = subcategory_ids(request.user, category)
    return list(base.filter(owner=request.user, retired=False, category_id__in=ids_in)), {"category": category_value}


@bank_required
@require_http_methods(["GET", "POST"])
def gift_export(request: HttpRequest) -> HttpResponseBase:
    questions, query = _export_selection(request)
    nodes = category_tree(request.user)
    if questions is None or not questions:
        if questions is not None:
            messages.info(request, _("Aucune question à exporter dans cette sélection."))
        return render(
            request,
            "learning/gift/export.html",
            {"form": GiftExportForm(nodes=nodes), "report": None, "section": "gift", "bank_url": _bank_url()},
        )
    report = services.gift_export_report(actor=request.user, questions=questions)
    if (report.skipped or report.losses) and request.GET.get("telecharger") != "1":
        rows = [(_title(q), reason) for q, reason in report.skipped]
        losses = [(_title(q), ", ".join(items)) for q, items in report.losses]
        return render(
            request,
            "learning/gift/export.html",
            {
                "form": GiftExportForm(nodes=nodes),
                "report": report,
                "skipped": rows,
                "losses": losses,
                "exported": len(questions) - len(report.skipped),
                "download_url": reverse("learning:gift_export") + "?" + urlencode({**query, "telecharger": "1"}),
                "section": "gift",
                "bank_url": _bank_url(),
            },
        )
    response = HttpResponse(report.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="questions.gift.txt"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _title(question: Any) -> str:
    return question.name or _summary(question.text, question.text_format, 80)


def _bank_url() -> str:
    try:
        return reverse("learning:questions")
    except NoReverseMatch:
        return ""


urlpatterns = [
    path("questions/gift/importer/", gift_import, name="gift_import"),
    path("questions/gift/exporter/", gift_export, name="gift_export"),
]
