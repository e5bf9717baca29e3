"""Reads of the question bank shared by its pages, the GIFT part and the exercises part."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from cybercantal.core.text import search_terms

from ..access import access_for
from ..models import ExerciseQuestion, Question, QuestionCategory, Tag

SCOPES = ("mine", "shared", "all")


@dataclass
class CategoryNode:
    category: QuestionCategory
    depth: int
    path: str
    count: int  # questions directly in it (not retired)


def category_tree(owner: Any) -> list[CategoryNode]:
    """The owner's categories in tree order ("5e", "5e › Fractions", ...), two queries."""
    categories = list(
        QuestionCategory.objects.filter(owner=owner).annotate(n=Count("questions", filter=Q(questions__retired=False)))
    )
    children: dict[int | None, list[QuestionCategory]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    nodes: list[CategoryNode] = []

    def walk(parent_id: int | None, depth: int, prefix: str, seen: frozenset[int]) -> None:
        for category in sorted(children.get(parent_id, []), key=lambda c: c.name.casefold()):
            if category.pk in seen:  # never loop on a corrupt tree
                continue
            path = f"{prefix} › {category.name}" if prefix else category.name
            nodes.append(CategoryNode(category, depth, path, category.n))  # type: ignore[attr-defined]
            walk(category.pk, depth + 1, path, seen | {category.pk})

    walk(None, 0, "", frozenset())
    return nodes


def subcategory_ids(owner: Any, category: QuestionCategory) -> set[int]:
    tree: dict[int | None, list[int]] = {}
    for pk, parent_id in QuestionCategory.objects.filter(owner=owner).values_list("pk", "parent_id"):
        tree.setdefault(parent_id, []).append(pk)
    found: set[int] = set()
    todo = [category.pk]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(tree.get(current, []))
    return found


def visible_questions(user: Any) -> QuerySet[Question]:
    """Every question ``user`` may see: their own and those shared in a school where they
    teach (what ``learning.view_question`` allows, as one filter)."""
    schools = access_for(user).teacher_school_ids
    return Question.objects.filter(Q(owner=user) | Q(shared=True, school_id__in=schools, retired=False))


def bank(
    *,
    user: Any,
    scope: str = "mine",
    category: QuestionCategory | None = None,
    subcategories: bool = True,
    tag: str = "",
    qtype: str = "",
    text: str = "",
    retired: bool = False,
) -> QuerySet[Question]:
    """The bank's list: ``scope`` "mine", "shared" (colleagues' shared questions) or "all";
    filtered; with owner, category and tags at hand (no query per row)."""
    schools = access_for(user).teacher_school_ids
    if scope == "shared":
        qs = Question.objects.filter(shared=True, school_id__in=schools, retired=False).exclude(owner=user)
    elif scope == "all":
        qs = visible_questions(user)
    else:
        qs = Question.objects.filter(owner=user)
    qs = qs.filter(retired=retired) if scope == "mine" else qs.filter(Q(retired=False) | Q(owner=user, retired=retired))
    if category is not None:
        ids = subcategory_ids(user, category) if subcategories else {category.pk}
        qs = qs.filter(category_id__in=ids)
    if tag:
        qs = qs.filter(tags__name=tag)
    if qtype:
        qs = qs.filter(qtype=qtype)
    for term in search_terms(text):
        qs = (
            qs.filter(search_text__contains=f" {term}")
            if len(term) > 2
            else qs.filter(search_text__contains=f" {term} ")
        )
    in_use = ExerciseQuestion.objects.filter(question=OuterRef("pk"))
    return (
        qs.select_related("owner", "category")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .annotate(in_use=Exists(in_use))
        .order_by("-updated_at", "-pk")
        .distinct()
    )


def tags_in_use(user: Any) -> list[str]:
    """Tags of the questions the user sees, for the filter (one query)."""
    return list(
        Tag.objects.filter(questions__in=visible_questions(user).filter(retired=False))
        .values_list("name", flat=True)
        .distinct()
        .order_by("name")
    )
