"""The question bank: a teacher's categories, questions and tags, and sharing with the
colleagues of the school.

Rules kept here (tested in ``tests/test_questions_services.py``):

- only teachers of the ENT use a bank (``learning.use_question_bank``); a teacher changes
  only their own categories and questions (``learning.manage_question``); they see their own
  and the ones colleagues of their school shared (``learning.view_question``), and copy
  those into their bank (the copy is theirs, unshared, and remembers where it came from);
- categories nest; a category's name is unique among its siblings (the database refuses a
  second one, a race included: a French error, never a 500); a category never moves under
  itself or one of its subcategories;
- deleting a category *moves its questions and its subcategories to its parent* (to "no
  category" at the top) rather than refusing: a teacher tidying their bank never loses a
  question, and never has to empty a category by hand first. It is refused only when a
  subcategory would clash with a sibling of the same name in the parent;
- every save checks ``data`` with ``grading.validate_data`` and cleans the rich text
  (``learning.richtext.clean``) of the text, the general feedback, the choices and their
  feedback when the text format is HTML;
- a question used by an exercise cannot be deleted (``ExerciseQuestion.question`` is
  PROTECT): the teacher is told so in French and offered to *retire* it (hidden from the
  bank and from new exercises; exercises and attempts that use it keep it);
- tags are shared by every bank, stored normalised (``tag_name``), at most
  ``MAX_TAGS`` per question;
- ``Question.search_text`` (title, text, tags folded by ``core.text.normalise``) is kept
  here, for the bank's accent- and case-insensitive search.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.text import normalise

from .. import grading, richtext
from ..access import access_for
from ..models import ExerciseQuestion, Question, QuestionCategory, QuestionType, School, Tag, TextFormat

USE = "learning.use_question_bank"
MANAGE = "learning.manage_question"
VIEW = "learning.view_question"

MAX_NAME = 255
MAX_CATEGORY_NAME = 120
MAX_TAG = 50
MAX_TAGS = 20
MAX_TEXT = 50_000
MAX_FEEDBACK = 10_000
MAX_MARK = Decimal("1000")
CATEGORY_SEPARATOR = " › "


class QuestionInUse(ValidationError):  # noqa: N818 - reads as what it is
    """The question is in an exercise: it cannot be deleted, it may be retired."""


# --- small helpers shared with the forms ---------------------------------------------------------


def tag_name(raw: Any) -> str:
    """A tag as stored: spaces collapsed, lower case, accents kept ("Géographie  du Cantal"
    -> "géographie du cantal"); "" for nothing usable."""
    text = " ".join(str(raw or "").replace("\x00", "").split()).strip(" ,;#").lower()
    return text[:MAX_TAG].strip()


def tag_names(raw: Any) -> list[str]:
    """Tags from what a person typed ("fractions, Brevet ; calcul") or a list, normalised,
    without duplicates, in the order given."""
    if isinstance(raw, str):
        pieces: Iterable[Any] = raw.replace(";", ",").split(",")
    else:
        pieces = raw or []
    names = [tag_name(piece) for piece in pieces]
    return list(dict.fromkeys(name for name in names if name))


def _text(value: Any, field: str, *, max_length: int, required: str = "") -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ValidationError({field: _("Ce texte contient un caractère interdit.")})
    text = text.strip()
    if not text and required:
        raise ValidationError({field: required})
    if len(text) > max_length:
        raise ValidationError(
            {field: _("%(max)s caractères au plus (vous en avez saisi %(n)s).") % {"max": max_length, "n": len(text)}}
        )
    return text


def _rich(value: str, text_format: str) -> str:
    return richtext.clean(value) if text_format == TextFormat.HTML else value


def _clean_data_html(qtype: str, data: dict[str, Any]) -> dict[str, Any]:
    """Clean every text the pupil will see, for an HTML question (choices, feedback...)."""
    data = copy.deepcopy(data)
    keys = {"text", "feedback", "left", "right"}
    for list_key in ("choices", "answers", "pairs", "items"):
        for item in data.get(list_key, []):
            for key in keys & set(item):
                if isinstance(item[key], str):
                    item[key] = richtext.clean(item[key])
    for blank in data.get("blanks", []):
        for answer in blank.get("answers", []):
            if isinstance(answer.get("feedback"), str):
                answer["feedback"] = richtext.clean(answer["feedback"])
    for key in ("feedback_true", "feedback_false", "grader_info"):
        if isinstance(data.get(key), str):
            data[key] = richtext.clean(data[key])
    return data


def category_path(category: QuestionCategory | None) -> str:
    """ "5e › Fractions" (one query per level: use ``queries.questions.category_tree`` for lists)."""
    names: list[str] = []
    seen: set[int] = set()
    while category is not None and category.pk not in seen:
        seen.add(category.pk)
        names.append(category.name)
        category = category.parent
    return CATEGORY_SEPARATOR.join(reversed(names))


def teacher_school(actor: Any, school: School | None = None) -> School:
    """The school a teacher's new question belongs to: the one given (where they teach) or
    the only one / the first one where they teach."""
    schools = access_for(actor).teacher_school_ids
    if school is not None:
        if school.pk not in schools:
            raise ValidationError({"school": _("Vous n'enseignez pas dans ce collège.")})
        return school
    if not schools:
        raise ValidationError(_("Seuls les enseignants d'un collège ont une banque de questions."))
    return School.objects.get(pk=min(schools))


def _search_text(question: Question, tags: Iterable[str]) -> str:
    return normalise(f"{question.name} {richtext.plain(question.text)} {' '.join(tags)}")


def _refresh_search(question: Question) -> None:
    names = sorted(question.tags.values_list("name", flat=True))
    question.search_text = _search_text(question, names)
    Question.objects.filter(pk=question.pk).update(search_text=question.search_text)


def _set_tags(question: Question, names: list[str]) -> None:
    if len(names) > MAX_TAGS:
        raise ValidationError({"tags": _("%(max)s étiquettes au plus par question.") % {"max": MAX_TAGS}})
    tags = []
    for name in names:
        tag = Tag.objects.filter(name=name).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(name=name)
            except IntegrityError:  # created by someone else at the same moment
                tag = Tag.objects.get(name=name)
        tags.append(tag)
    question.tags.set(tags)


# --- categories ---------------------------------------------------------------------------------


def _check_category(actor: Any, category: QuestionCategory | None) -> None:
    if category is not None:
        require_permission(actor, MANAGE, category, _("Cette catégorie n'est pas à vous."))


def _sibling_clash(owner_id: int, parent: QuestionCategory | None, name: str, exclude: int | None = None) -> bool:
    siblings = QuestionCategory.objects.filter(owner_id=owner_id, parent=parent, name__iexact=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    return siblings.exists()


def _clash_error(name: str) -> ValidationError:
    return ValidationError({"name": _("Une catégorie « %(name)s » existe déjà à cet endroit.") % {"name": name}})


def _save_category(category: QuestionCategory) -> None:
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError as exc:  # two saves of the same name at the same moment
        raise _clash_error(category.name) from exc


@transaction.atomic
def category_create(*, actor: Any, name: str, parent: QuestionCategory | None = None) -> QuestionCategory:
    require_permission(actor, USE, None, _("Seuls les enseignants ont une banque de questions."))
    _check_category(actor, parent)
    name = " ".join(_text(name, "name", max_length=MAX_CATEGORY_NAME, required=_("Donnez un nom.")).split())
    if _sibling_clash(actor.pk, parent, name):
        raise _clash_error(name)
    category = QuestionCategory(owner=actor, parent=parent, name=name)
    _save_category(category)
    journal.record(actor=actor, action="learning.category.created", target=category)
    return category


@transaction.atomic
def category_rename(*, actor: Any, category: QuestionCategory, name: str) -> QuestionCategory:
    require_permission(actor, MANAGE, category, _("Cette catégorie n'est pas à vous."))
    name = " ".join(_text(name, "name", max_length=MAX_CATEGORY_NAME, required=_("Donnez un nom.")).split())
    if name == category.name:
        return category
    if _sibling_clash(category.owner_id, category.parent, name, exclude=category.pk):
        raise _clash_error(name)
    old = category.name
    category.name = name
    _save_category(category)
    journal.record(actor=actor, action="learning.category.renamed", target=category, data={"from": old})
    return category


def _descendant_ids(category: QuestionCategory) -> set[int]:
    """The category and everything under it (one query: a teacher's categories are few)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in QuestionCategory.objects.filter(owner_id=category.owner_id).values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = set(), [category.pk]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


@transaction.atomic
def category_move(*, actor: Any, category: QuestionCategory, parent: QuestionCategory | None) -> QuestionCategory:
    """Put ``category`` (with what it holds) under ``parent`` (None: at the top)."""
    require_permission(actor, MANAGE, category, _("Cette catégorie n'est pas à vous."))
    _check_category(actor, parent)
    if parent is not None and parent.pk in _descendant_ids(category):
        raise ValidationError(
            {"parent": _("Une catégorie ne peut pas être rangée dans elle-même ni dans une de ses sous-catégories.")}
        )
    if (parent.pk if parent else None) == category.parent_id:
        return category
    if _sibling_clash(category.owner_id, parent, category.name, exclude=category.pk):
        raise _clash_error(category.name)
    category.parent = parent
    _save_category(category)
    journal.record(
        actor=actor, action="learning.category.moved", target=category, data={"parent": parent.pk if parent else None}
    )
    return category


@transaction.atomic
def category_delete(*, actor: Any, category: QuestionCategory) -> dict[str, int]:
    """Delete ``category``; its questions and subcategories go to its parent. Returns the
    counts moved, for the message."""
    require_permission(actor, MANAGE, category, _("Cette catégorie n'est pas à vous."))
    parent = category.parent
    children = list(category.children.all())
    for child in children:
        if _sibling_clash(category.owner_id, parent, child.name, exclude=category.pk):
            raise ValidationError(
                _(
                    "La sous-catégorie « %(name)s » ne peut pas remonter d'un niveau : une catégorie du même nom "
                    "s'y trouve déjà. Renommez l'une des deux, puis supprimez."
                )
                % {"name": child.name}
            )
    moved = Question.objects.filter(category=category).update(category=parent)
    # Children move one by one: the unique (owner, parent, name) is checked at each step.
    for child in children:
        child.parent = parent
        _save_category(child)
    name = category.name
    category.delete()
    journal.record(
        actor=actor,
        action="learning.category.deleted",
        target=None,
        data={"name": name, "questions": moved, "subcategories": len(children)},
    )
    return {"questions": moved, "subcategories": len(children)}


# --- questions ----------------------------------------------------------------------------------


def _clean_fields(
    *,
    qtype: str,
    text: Any,
    text_format: Any,
    data: Any,
    name: Any,
    general_feedback: Any,
    default_mark: Any,
) -> dict[str, Any]:
    if qtype not in QuestionType.values:
        raise ValidationError({"qtype": _("Type de question inconnu.")})
    if text_format not in TextFormat.values:
        raise ValidationError({"text_format": _("Format de texte inconnu.")})
    text = _text(text, "text", max_length=MAX_TEXT, required=_("Écrivez l'énoncé de la question."))
    text = _rich(text, text_format)
    if not richtext.plain(text) and text_format == TextFormat.HTML and "<img" not in text:
        raise ValidationError({"text": _("Écrivez l'énoncé de la question.")})
    general_feedback = _rich(_text(general_feedback, "general_feedback", max_length=MAX_FEEDBACK), text_format)
    name = " ".join(_text(name, "name", max_length=MAX_NAME).split())
    mark = grading.to_decimal(default_mark)
    if mark is None or mark < 0 or mark > MAX_MARK or mark != mark.quantize(Decimal("0.01")):
        raise ValidationError(
            {"default_mark": _("Une note entre 0 et 1000, avec deux décimales au plus (par exemple 1 ou 0,5).")}
        )
    if qtype == QuestionType.DESCRIPTION:
        mark = Decimal("0")
    if qtype == QuestionType.DESCRIPTION and not data:
        data = {}
    try:
        grading.validate_data(qtype, data)
    except ValidationError as exc:
        raise ValidationError({"data": exc.messages}) from exc
    if text_format == TextFormat.HTML:
        data = _clean_data_html(qtype, data)
    return {
        "qtype": qtype,
        "text": text,
        "text_format": text_format,
        "data": data,
        "name": name,
        "general_feedback": general_feedback,
        "default_mark": mark,
    }


@transaction.atomic
def question_create(
    *,
    actor: Any,
    qtype: str,
    text: str,
    data: dict[str, Any],
    name: str = "",
    text_format: str = TextFormat.PLAIN,
    general_feedback: str = "",
    default_mark: Any = Decimal("1"),
    category: QuestionCategory | None = None,
    tags: Any = (),
    shared: bool = False,
    school: School | None = None,
) -> Question:
    require_permission(actor, USE, None, _("Seuls les enseignants ont une banque de questions."))
    _check_category(actor, category)
    fields = _clean_fields(
        qtype=qtype,
        text=text,
        text_format=text_format,
        data=data,
        name=name,
        general_feedback=general_feedback,
        default_mark=default_mark,
    )
    if actor is None:
        raise ValidationError(_("Une question a toujours un auteur."))
    school = teacher_school(actor, school)
    question = Question.objects.create(owner=actor, school=school, category=category, shared=bool(shared), **fields)
    _set_tags(question, tag_names(tags))
    _refresh_search(question)
    journal.record(actor=actor, action="learning.question.created", target=question, data={"qtype": qtype})
    return question


@transaction.atomic
def question_update(
    *,
    actor: Any,
    question: Question,
    text: str,
    data: dict[str, Any],
    name: str = "",
    text_format: str | None = None,
    general_feedback: str = "",
    default_mark: Any = Decimal("1"),
    category: QuestionCategory | None = None,
    tags: Any = (),
    shared: bool | None = None,
) -> Question:
    """Save a new version of ``question`` (its type never changes). Attempts already
    started keep their snapshot (``grading.snapshot``)."""
    require_permission(actor, MANAGE, question, _("Cette question n'est pas à vous."))
    _check_category(actor, category)
    fields = _clean_fields(
        qtype=question.qtype,
        text=text,
        text_format=text_format or question.text_format,
        data=data,
        name=name,
        general_feedback=general_feedback,
        default_mark=default_mark,
    )
    for key, value in fields.items():
        setattr(question, key, value)
    question.category = category
    if shared is not None:
        question.shared = bool(shared)
    question.save()
    _set_tags(question, tag_names(tags))
    _refresh_search(question)
    journal.record(actor=actor, action="learning.question.updated", target=question)
    return question


def question_in_use(question: Question) -> bool:
    return ExerciseQuestion.objects.filter(question=question).exists()


@transaction.atomic
def question_delete(*, actor: Any, question: Question) -> None:
    """Delete ``question``; refused (``QuestionInUse``) when an exercise uses it."""
    require_permission(actor, MANAGE, question, _("Cette question n'est pas à vous."))
    in_use = _(
        "Cette question fait partie d'un exercice : elle ne peut pas être supprimée. Vous pouvez la retirer "
        "de la banque : elle n'apparaîtra plus dans vos listes, mais les exercices qui l'utilisent la gardent."
    )
    if question_in_use(question):
        raise QuestionInUse(in_use)
    pk, label = question.pk, str(question)
    try:
        with transaction.atomic():
            question.delete()
    except IntegrityError as exc:  # ProtectedError: an exercise took it at the same moment
        raise QuestionInUse(in_use) from exc
    journal.record(actor=actor, action="learning.question.deleted", data={"id": pk, "label": label[:200]})


@transaction.atomic
def question_retire(*, actor: Any, question: Question, retired: bool = True) -> Question:
    """Hide ``question`` from the bank and from new exercises (or bring it back)."""
    require_permission(actor, MANAGE, question, _("Cette question n'est pas à vous."))
    if question.retired != retired:
        question.retired = retired
        if retired:
            question.shared = False
        question.save(update_fields=["retired", "shared", "updated_at"])
        journal.record(
            actor=actor,
            action="learning.question.retired" if retired else "learning.question.restored",
            target=question,
        )
    return question


@transaction.atomic
def question_copy(*, actor: Any, question: Question, category: QuestionCategory | None = None) -> Question:
    """Copy ``question`` (one's own, or a colleague's shared one) into one's bank."""
    require_permission(actor, USE, None, _("Seuls les enseignants ont une banque de questions."))
    require_permission(actor, VIEW, question, _("Cette question n'est pas partagée avec vous."))
    _check_category(actor, category)
    own = question.owner_id == actor.pk
    if own and category is None:
        category = question.category
    school = question.school if question.school_id in access_for(actor).teacher_school_ids else teacher_school(actor)
    name = question.name
    if own:
        name = (_("%(name)s (copie)") % {"name": name or richtext.plain(question.text)[:60]})[:MAX_NAME]
    copy_ = Question.objects.create(
        owner=actor,
        school=school,
        category=category,
        qtype=question.qtype,
        name=name,
        text=question.text,
        text_format=question.text_format,
        data=copy.deepcopy(question.data),
        general_feedback=question.general_feedback,
        default_mark=question.default_mark,
        copied_from=question,
    )
    copy_.tags.set(question.tags.all())
    _refresh_search(copy_)
    journal.record(actor=actor, action="learning.question.copied", target=copy_, data={"from": question.pk})
    return copy_


@transaction.atomic
def question_share(*, actor: Any, question: Question, shared: bool = True) -> Question:
    require_permission(actor, MANAGE, question, _("Cette question n'est pas à vous."))
    if shared and question.retired:
        raise ValidationError(_("Une question retirée de la banque ne peut pas être partagée."))
    if question.shared != shared:
        question.shared = shared
        question.save(update_fields=["shared", "updated_at"])
        journal.record(
            actor=actor, action="learning.question.shared" if shared else "learning.question.unshared", target=question
        )
    return question


def question_unshare(*, actor: Any, question: Question) -> Question:
    return question_share(actor=actor, question=question, shared=False)


@transaction.atomic
def question_tags_set(*, actor: Any, question: Question, tags: Any) -> Question:
    require_permission(actor, MANAGE, question, _("Cette question n'est pas à vous."))
    _set_tags(question, tag_names(tags))
    _refresh_search(question)
    journal.record(actor=actor, action="learning.question.tagged", target=question)
    return question


# --- several questions at once (the bank's bulk actions) -----------------------------------------

BULK_ACTIONS = ("move", "tag", "untag", "share", "unshare", "retire", "restore")


@transaction.atomic
def questions_bulk(
    *,
    actor: Any,
    questions: Iterable[Question],
    action: str,
    category: QuestionCategory | None = None,
    tags: Any = (),
) -> int:
    """Apply ``action`` to each of ``questions`` (all the actor's own, or nothing is done).
    Returns how many were changed."""
    if action not in BULK_ACTIONS:
        raise ValidationError(_("Action inconnue."))
    questions = list(questions)
    for question in questions:
        require_permission(actor, MANAGE, question, _("Vous ne pouvez modifier que vos propres questions."))
    _check_category(actor, category)
    names = tag_names(tags)
    if action in {"tag", "untag"} and not names:
        raise ValidationError({"tags": _("Écrivez au moins une étiquette.")})
    if action == "share" and any(q.retired for q in questions):
        raise ValidationError(_("Une question retirée de la banque ne peut pas être partagée."))
    ids = [q.pk for q in questions]
    if action == "move":
        count = Question.objects.filter(pk__in=ids).update(category=category)
    elif action in {"share", "unshare"}:
        count = Question.objects.filter(pk__in=ids).update(shared=action == "share")
    elif action in {"retire", "restore"}:
        values = {"retired": action == "retire"}
        if action == "retire":
            values["shared"] = False
        count = Question.objects.filter(pk__in=ids).update(**values)
    else:
        count = 0
        for question in questions:
            current = list(question.tags.values_list("name", flat=True))
            wanted = current + names if action == "tag" else [n for n in current if n not in names]
            wanted = list(dict.fromkeys(wanted))
            if wanted != current:
                _set_tags(question, wanted)
                _refresh_search(question)
                count += 1
    journal.record(actor=actor, action=f"learning.question.bulk_{action}", data={"ids": ids[:500], "count": count})
    return count
