"""GIFT import into a teacher's question bank, and export of the questions a teacher sees.

Rules kept here (tested in ``tests/test_gift_services.py``):

- only teachers use it (``learning.use_question_bank``), into their own bank, in a school
  where they teach; the target category must be theirs (``learning.manage_question``);
- the questions chosen in the preview are imported *all or nothing* (one transaction): a
  question the bank refuses (too long a text...) cancels the import with its line, and
  nothing is half-saved; questions with GIFT errors are never imported, the others may be;
- ``$CATEGORY: a/b`` creates the categories ``a`` then ``b`` in the teacher's bank, under
  the target category chosen on the page (at the top of the bank without one); existing
  categories are reused (names compared without regard to case, as the bank does);
- ``// [tag:x]`` becomes a tag of the question (stored normalised by the bank);
- **duplicates**: a question whose title and text are those of a question already in the
  same category of the teacher's bank (the same file imported twice) is *skipped by
  default* and listed as such; ``duplicates="import"`` imports it anyway. The preview says
  which ones are duplicates before anything is written;
- each question goes through ``services.questions.question_create`` (data checked by
  ``grading.validate_data``, HTML cleaned, search text), and one journal entry
  ``learning.gift.imported`` sums the import up;
- one import at a time per teacher (a row lock on the teacher): a double submit imports
  once, the second finds the questions and skips them as duplicates;
- export: only questions the actor may see (``learning.view_question``), in their
  categories; what GIFT cannot carry is a ``//`` comment (``gift.export_report``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cybercantal.accounts.services import NotAllowed, require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update

from .. import gift, richtext
from ..models import Question, QuestionCategory, School, TextFormat

USE = "learning.use_question_bank"
MANAGE = "learning.manage_question"
VIEW = "learning.view_question"
DUPLICATES_SKIP = "skip"
DUPLICATES_IMPORT = "import"


@dataclass
class PreviewRow:
    """One question of the file, for the preview table."""

    entry: gift.Entry
    duplicate: bool = False
    problems: list[str] = field(default_factory=list)  # what the bank would refuse

    @property
    def ok(self) -> bool:
        return self.entry.ok and not self.problems


@dataclass
class Preview:
    result: gift.ParseResult
    rows: list[PreviewRow]

    @property
    def valid(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.ok]

    @property
    def invalid(self) -> list[PreviewRow]:
        return [row for row in self.rows if not row.ok]

    @property
    def duplicates(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.ok and row.duplicate]


@dataclass
class ImportResult:
    created: list[Question] = field(default_factory=list)
    skipped_duplicates: list[gift.ParsedQuestion] = field(default_factory=list)
    refused: list[gift.GiftError] = field(default_factory=list)
    categories_created: int = 0


# --- categories ---------------------------------------------------------------------------------


class _Categories:
    """The owner's categories, read once, found by path under a root; created on demand."""

    def __init__(self, owner: Any, root: QuestionCategory | None) -> None:
        self.owner, self.root, self.created = owner, root, 0
        self.children: dict[tuple[int | None, str], QuestionCategory] = {}
        for category in QuestionCategory.objects.filter(owner=owner).order_by("pk"):
            self.children.setdefault((category.parent_id, category.name.casefold()), category)

    def find(self, path: tuple[str, ...]) -> tuple[bool, QuestionCategory | None]:
        """``(exists, category)``: whether the category at ``path`` exists yet, and which."""
        current = self.root
        for name in path:
            found = self.children.get((current.pk if current else None, name.casefold()))
            if found is None:
                return False, None
            current = found
        return True, current

    def get_or_create(self, actor: Any, path: tuple[str, ...]) -> QuestionCategory | None:
        from . import questions as bank

        current = self.root
        for name in path:
            key = (current.pk if current else None, name.casefold())
            found = self.children.get(key)
            if found is None:
                found = bank.category_create(actor=actor, name=name, parent=current)
                self.children[key] = found
                self.created += 1
            current = found
        return current


def _stored_text(question: gift.ParsedQuestion) -> str:
    text = question.text.strip()
    return richtext.clean(text) if question.text_format == TextFormat.HTML else text


def _existing_keys(owner: Any) -> set[tuple[int | None, str, str]]:
    return {
        (category_id, " ".join(name.split()).casefold(), text.strip())
        for category_id, name, text in Question.objects.filter(owner=owner).values_list("category_id", "name", "text")
    }


def _key(category: QuestionCategory | None, question: gift.ParsedQuestion) -> tuple[int | None, str, str]:
    return (category.pk if category else None, question.name.casefold(), _stored_text(question))


def _bank_problems(question: gift.ParsedQuestion) -> list[str]:
    from . import questions as bank

    problems = []
    if len(question.text) > bank.MAX_TEXT:
        problems.append(_("L'énoncé dépasse %(max)s caractères.") % {"max": bank.MAX_TEXT})
    if len(question.general_feedback) > bank.MAX_FEEDBACK:
        problems.append(_("Le feedback général dépasse %(max)s caractères.") % {"max": bank.MAX_FEEDBACK})
    if len(question.tags) > bank.MAX_TAGS:
        problems.append(_("%(max)s étiquettes au plus par question.") % {"max": bank.MAX_TAGS})
    if question.text_format == TextFormat.HTML and not richtext.plain(question.text) and "<img" not in question.text:
        problems.append(_("L'énoncé est vide une fois le HTML nettoyé."))
    return problems


def _check_actor(actor: Any, category: QuestionCategory | None) -> None:
    require_permission(actor, USE, None, _("Seuls les enseignants ont une banque de questions."))
    if category is not None:
        require_permission(actor, MANAGE, category, _("Cette catégorie n'est pas à vous."))


# --- import -------------------------------------------------------------------------------------


def gift_preview(*, actor: Any, text: str, category: QuestionCategory | None = None) -> Preview:
    """Read ``text`` and say, question by question, what an import would do (no write)."""
    _check_actor(actor, category)
    result = gift.parse(text)
    categories = _Categories(actor, category)
    existing = _existing_keys(actor)
    rows = []
    for entry in result.entries:
        row = PreviewRow(entry)
        if entry.question is not None:
            row.problems = _bank_problems(entry.question)
            exists, target = categories.find(entry.question.category)
            row.duplicate = exists and _key(target, entry.question) in existing
        rows.append(row)
    return Preview(result, rows)


@transaction.atomic
def gift_import(
    *,
    actor: Any,
    school: School | None,
    text: str,
    category: QuestionCategory | None = None,
    lines: Collection[int] | None = None,
    duplicates: str = DUPLICATES_SKIP,
) -> ImportResult:
    """Import the questions of ``text`` read without error (those starting on ``lines``
    when given) into ``actor``'s bank. All or nothing; duplicates skipped by default."""
    from . import questions as bank

    _check_actor(actor, category)
    if actor is None:
        raise ValidationError(_("Une question a toujours un auteur."))
    school = bank.teacher_school(actor, school)
    # One import at a time per teacher: a double submit (or two tabs) waits for the first,
    # then finds its questions and skips them as duplicates.
    list(lock_for_update(get_user_model().objects.filter(pk=actor.pk)))
    result = gift.parse(text)
    outcome = ImportResult(refused=list(result.errors))
    chosen = [q for q in result.questions if lines is None or q.line in lines]
    if not chosen:
        raise ValidationError(_("Aucune question à importer : choisissez au moins une question sans erreur."))
    categories = _Categories(actor, category)
    existing = _existing_keys(actor)
    for question in chosen:
        target = categories.get_or_create(actor, question.category)
        key = _key(target, question)
        if key in existing and duplicates != DUPLICATES_IMPORT:
            outcome.skipped_duplicates.append(question)
            continue
        try:
            created = bank.question_create(
                actor=actor,
                qtype=question.qtype,
                text=question.text,
                data=question.data,
                name=question.name,
                text_format=question.text_format,
                general_feedback=question.general_feedback,
                category=target,
                tags=question.tags,
                school=school,
            )
        except ValidationError as exc:
            raise ValidationError(
                str(gift.GiftError(question.line, " ".join(exc.messages)))
                + " "
                + _("Rien n'est importé : corrigez cette question ou décochez-la.")
            ) from exc
        existing.add(key)
        outcome.created.append(created)
    outcome.categories_created = categories.created
    journal.record(
        actor=actor,
        action="learning.gift.imported",
        target=category,
        data={
            "created": len(outcome.created),
            "skipped_duplicates": len(outcome.skipped_duplicates),
            "refused": len(outcome.refused),
            "categories_created": outcome.categories_created,
            "school": school.pk,
        },
    )
    return outcome


# --- export -------------------------------------------------------------------------------------


def category_paths(categories: Iterable[QuestionCategory]) -> dict[int, tuple[str, ...]]:
    """The path of names of each category, from the categories of their owners (one query)."""
    owners = {c.owner_id for c in categories}
    if not owners:
        return {}
    every = {c.pk: c for c in QuestionCategory.objects.filter(owner_id__in=owners)}
    paths: dict[int, tuple[str, ...]] = {}
    for pk in every:
        names: list[str] = []
        seen: set[int] = set()
        current: QuestionCategory | None = every[pk]
        while current is not None and current.pk not in seen:
            seen.add(current.pk)
            names.append(current.name)
            current = every.get(current.parent_id) if current.parent_id else None
        paths[pk] = tuple(reversed(names))
    return paths


def to_parsed(question: Question, path: tuple[str, ...] = ()) -> gift.ParsedQuestion:
    return gift.ParsedQuestion(
        qtype=question.qtype,
        text=question.text,
        data=question.data or {},
        name=question.name,
        text_format=question.text_format,
        general_feedback=question.general_feedback,
        category=path,
        tags=[tag.name for tag in question.tags.all()],
    )


def gift_export_report(*, actor: Any, questions: Iterable[Question]) -> gift.ExportReport:
    """GIFT of ``questions`` (all visible to ``actor``, else ``NotAllowed``), grouped by category."""
    require_permission(actor, USE, None, _("Seuls les enseignants ont une banque de questions."))
    questions = list(questions)
    for question in questions:
        if actor is not None and not actor.has_perm(VIEW, question):
            raise NotAllowed(_("Vous ne pouvez pas exporter une question qui ne vous est pas partagée."))
    paths = category_paths([q.category for q in questions if q.category is not None])
    items = [to_parsed(q, paths.get(q.category_id, ()) if q.category_id else ()) for q in questions]
    items.sort(key=lambda item: (tuple(n.casefold() for n in item.category), item.name.casefold()))
    report = gift.export_report(items)
    header = "// " + _("Questions exportées de CyberCantal (cartable électronique), format GIFT de Moodle.") + "\n\n"
    report.text = header + report.text
    journal.record(actor=actor, action="learning.gift.exported", data={"questions": len(items)})
    return report


def gift_export(*, actor: Any, questions: Iterable[Question]) -> str:
    return gift_export_report(actor=actor, questions=questions).text
