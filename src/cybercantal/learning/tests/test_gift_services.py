"""GIFT import into a teacher's bank (all or nothing, categories, tags, duplicates, journal)
and export of what a teacher may see."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry
from cybercantal.learning import gift, grading
from cybercantal.learning.models import Question, QuestionCategory
from cybercantal.learning.services import gift as services

from .factories import QuestionFactory, make_teacher

MOODLE_FILE = Path(__file__).parent / "data" / "gift" / "moodle_5e.gift.txt"
SMALL = """$CATEGORY: $course$/top/5e/Fractions

// [tag:Fractions] [tag:calcul]
::Moitié::Combien font 1/2 + 1/2 ?{=1 ~2 ~1/4}

::Vrai::Le Cantal est en Auvergne.{T}

::Cassée::Question {=a ~b
"""


def test_import_creates_questions_categories_and_tags(teacher, school):
    outcome = services.gift_import(actor=teacher, school=school, text=SMALL)
    assert [q.name for q in outcome.created] == ["Moitié", "Vrai"]
    assert outcome.categories_created == 2
    assert len(outcome.refused) == 1
    fractions = QuestionCategory.objects.get(owner=teacher, name="Fractions")
    assert fractions.parent.name == "5e"
    assert fractions.parent.parent is None
    first = Question.objects.get(name="Moitié")
    assert first.category == fractions
    assert first.owner == teacher
    assert first.school == school
    assert sorted(first.tags.values_list("name", flat=True)) == ["calcul", "fractions"]
    grading.validate_data(first.qtype, first.data)
    entry = JournalEntry.objects.get(action="learning.gift.imported")
    assert entry.data["created"] == 2
    assert entry.data["refused"] == 1


def test_the_moodle_file_lands_in_the_chosen_category(teacher, school):
    target = QuestionCategory.objects.create(owner=teacher, name="Import Moodle")
    outcome = services.gift_import(
        actor=teacher, school=school, text=MOODLE_FILE.read_text(encoding="utf-8"), category=target
    )
    assert len(outcome.created) == 20
    assert outcome.refused == []
    root = QuestionCategory.objects.get(owner=teacher, parent=target)
    assert root.name == "Défaut pour Mathématiques 5e B"
    assert Question.objects.filter(owner=teacher, category__parent=root).count() == 14
    assert Question.objects.filter(owner=teacher, category__parent__parent=root).count() == 6  # Géométrie › Triangles
    assert outcome.categories_created == 6
    html = Question.objects.get(name="Fraction égale à un demi")
    assert html.text_format == "html"
    assert "<strong>1/2</strong>" in html.text


def test_importing_the_same_file_twice_skips_duplicates_by_default(teacher, school, klass):
    services.gift_import(actor=teacher, school=school, text=SMALL)
    preview = services.gift_preview(actor=teacher, text=SMALL)
    assert [row.duplicate for row in preview.rows] == [True, True, False]
    again = services.gift_import(actor=teacher, school=school, text=SMALL)
    assert again.created == []
    assert len(again.skipped_duplicates) == 2
    assert Question.objects.filter(owner=teacher).count() == 2
    assert QuestionCategory.objects.filter(owner=teacher).count() == 2
    forced = services.gift_import(actor=teacher, school=school, text=SMALL, duplicates=services.DUPLICATES_IMPORT)
    assert len(forced.created) == 2
    # a colleague's identical question is not a duplicate of mine
    colleague = make_teacher(klass)
    assert len(services.gift_import(actor=colleague, school=school, text=SMALL).created) == 2


def test_only_the_chosen_lines_are_imported(teacher, school):
    outcome = services.gift_import(actor=teacher, school=school, text=SMALL, lines=[6])
    assert [q.name for q in outcome.created] == ["Vrai"]
    with pytest.raises(ValidationError):
        services.gift_import(actor=teacher, school=school, text=SMALL, lines=[8])  # the broken one


def test_all_or_nothing_when_the_bank_refuses_a_question(teacher, school):
    text = "::Bonne::A{T}\n\n::Trop longue::" + "x" * 60_000 + "{T}\n"
    preview = services.gift_preview(actor=teacher, text=text)
    assert preview.rows[1].problems
    assert not preview.rows[1].ok
    with pytest.raises(ValidationError) as caught:
        services.gift_import(actor=teacher, school=school, text=text)
    assert "Ligne 3" in caught.value.messages[0]
    assert "Rien n'est importé" in caught.value.messages[0]
    assert not Question.objects.exists()
    assert not QuestionCategory.objects.exists()


def test_nothing_to_import_is_a_french_error(teacher, school):
    with pytest.raises(ValidationError, match="Aucune question"):
        services.gift_import(actor=teacher, school=school, text="{{{")


@pytest.mark.parametrize("who", ["student", "parent", "school_staff"])
def test_only_teachers_import(request, who, school):
    with pytest.raises(NotAllowed):
        services.gift_import(actor=request.getfixturevalue(who), school=school, text=SMALL)


def test_target_category_must_be_mine(teacher, school, outsider_teacher):
    theirs = QuestionCategory.objects.create(owner=outsider_teacher, name="À eux")
    with pytest.raises(NotAllowed):
        services.gift_import(actor=teacher, school=school, text=SMALL, category=theirs)


def test_school_must_be_where_the_teacher_teaches(teacher, outsider_teacher, other_class):
    other_school = other_class.school
    with pytest.raises(ValidationError):
        services.gift_import(actor=teacher, school=other_school, text=SMALL)


def test_existing_categories_are_reused_whatever_the_case(teacher, school):
    five = QuestionCategory.objects.create(owner=teacher, name="5E")
    QuestionCategory.objects.create(owner=teacher, name="fractions", parent=five)
    outcome = services.gift_import(actor=teacher, school=school, text=SMALL)
    assert outcome.categories_created == 0
    assert QuestionCategory.objects.filter(owner=teacher).count() == 2


def test_export_groups_by_category_and_comes_back(teacher, school):
    services.gift_import(actor=teacher, school=school, text=MOODLE_FILE.read_text(encoding="utf-8"))
    questions = Question.objects.filter(owner=teacher)
    text = services.gift_export(actor=teacher, questions=questions)
    assert text.count("$CATEGORY: $course$/top/Défaut pour Mathématiques 5e B/Fractions") == 1
    result = gift.parse(text)
    assert result.errors == []
    assert len(result.questions) == 20
    by_name = {q.name: q for q in result.questions}
    stored = {q.name: q for q in questions}
    for name, question in stored.items():
        assert by_name[name].data == question.data, name
        assert by_name[name].text == question.text, name
    assert JournalEntry.objects.filter(action="learning.gift.exported").exists()


def test_export_refuses_a_colleagues_unshared_question(teacher, school, klass):
    colleague = make_teacher(klass)
    private = QuestionFactory(owner=colleague, school=school, shared=False)
    shared = QuestionFactory(owner=colleague, school=school, shared=True, qtype="truefalse")
    assert "Le Cantal est bien en Auvergne" in services.gift_export(actor=teacher, questions=[shared])
    with pytest.raises(NotAllowed):
        services.gift_export(actor=teacher, questions=[private])


def test_export_lists_what_gift_cannot_carry(teacher, school):
    ordering = QuestionFactory(owner=teacher, school=school, qtype="ordering", name="Chronologie")
    single = QuestionFactory(owner=teacher, school=school, qtype="single", name="Capitale")
    report = services.gift_export_report(actor=teacher, questions=[ordering, single])
    assert [q.name for q, _ in report.skipped] == ["Chronologie"]
    assert "// Question non exportée « Chronologie »" in report.text
    assert [q.name for q in gift.parse(report.text).questions] == ["Capitale"]
