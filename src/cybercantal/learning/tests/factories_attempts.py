"""Factories of part "attempts": an assignment of an exercise with one question per type
given to a class, and the right response to each question of ``QUESTION_DATA``."""

from __future__ import annotations

from typing import Any

from ..models import Assignment, SchoolClass
from .factories import AssignmentFactory, exercise_with

ALL_QTYPES = [
    "single",
    "multiple",
    "truefalse",
    "short",
    "numerical",
    "matching",
    "ordering",
    "cloze",
    "essay",
    "description",
]

# The right response to each question of ``factories.QUESTION_DATA``.
RIGHT: dict[str, dict[str, Any] | None] = {
    "single": {"choice": "a"},
    "multiple": {"choices": ["a", "b"]},
    "truefalse": {"value": True},
    "short": {"text": "aurillac"},
    "numerical": {"value": "3,14"},
    "matching": {"matches": {"p1": "Aurillac", "p2": "Clermont-Ferrand", "p3": "Le Puy-en-Velay"}},
    "ordering": {"order": ["i1", "i2", "i3"]},
    "cloze": {"blanks": {"b1": "x", "b2": "Aurillac"}},
    "essay": {"text": "Le Cantal est un département volcanique."},
    "description": None,
}

# A wrong (or partly right) response to each.
WRONG: dict[str, dict[str, Any] | None] = {
    "single": {"choice": "b"},
    "multiple": {"choices": ["a", "c"]},
    "truefalse": {"value": False},
    "short": {"text": "Lyon"},
    "numerical": {"value": "3"},
    "matching": {"matches": {"p1": "Moulins", "p2": "Clermont-Ferrand"}},
    "ordering": {"order": ["i3", "i2", "i1"]},
    "cloze": {"blanks": {"b1": "y", "b2": "Saint-Flour"}},
    "essay": {"text": "Je ne sais pas."},
    "description": None,
}


def assignment_for(
    school_class: SchoolClass, teacher: Any, qtypes: list[str] | None = None, **fields: Any
) -> Assignment:
    """An assignment to ``school_class`` of a new exercise of ``teacher`` with one question per
    type (every type by default), open since yesterday, closing in a week."""
    exercise_fields = {"title": fields.pop("title")} if "title" in fields else {}
    exercise = exercise_with(teacher, school_class.school, ALL_QTYPES if qtypes is None else qtypes, **exercise_fields)
    fields.setdefault("shuffle_answers", False)
    return AssignmentFactory(exercise=exercise, school_class=school_class, created_by=teacher, **fields)
