"""The question editor, type by type: what a teacher types becomes the ``grading`` data
shape; errors are French and tied to their field or row; edit → save → edit keeps
everything (through the real HTML of the page); the fill-in-the-blanks syntax."""

from __future__ import annotations

import copy

import pytest
from django.core.exceptions import ValidationError

from cybercantal.learning.forms.questions import cloze_text, editor_for, parse_cloze
from cybercantal.learning.models import Question, QuestionType

from .factories import QuestionFactory
from .factories_questions import form_values


def _rows(prefix_rows: list[dict[str, str]], **options: str) -> dict[str, str]:
    post = {"rows-TOTAL_FORMS": str(len(prefix_rows)), "rows-INITIAL_FORMS": "0"}
    for index, row in enumerate(prefix_rows):
        for key, value in row.items():
            post[f"rows-{index}-{key}"] = value
    post.update({f"opt-{key}": value for key, value in options.items()})
    return post


def _valid(qtype, post):
    editor = editor_for(qtype, post)
    assert editor.is_valid(), (editor.all_errors(), [f.errors for f in (editor.rows or [])], editor.options.errors)
    return editor.to_data()


def test_single_choice_radio_marks_the_right_answer_and_empty_rows_are_ignored():
    data = _valid(
        "single",
        _rows(
            [{"text": "Aurillac", "feedback": "Oui"}, {"text": ""}, {"text": "Murat", "weight": "0.5"}],
            correct="0",
            shuffle="on",
        ),
    )
    assert [(c["text"], c["fraction"], c["feedback"]) for c in data["choices"]] == [
        ("Aurillac", "1", "Oui"),
        ("Murat", "0.5", ""),
    ]
    assert data["shuffle"] is True


def test_single_choice_without_the_right_one_ticked():
    editor = editor_for("single", _rows([{"text": "A"}, {"text": "B"}], correct=""))
    assert not editor.is_valid()
    assert "Cochez la bonne réponse" in " ".join(editor.all_errors())
    # The right one ticked on a row then deleted.
    editor = editor_for("single", _rows([{"text": "A", "DELETE": "on"}, {"text": "B"}, {"text": "C"}], correct="0"))
    assert not editor.is_valid()


def test_multiple_choice_negative_weights_must_balance():
    rows = [{"text": "2", "weight": "0.5"}, {"text": "3", "weight": "0.5"}, {"text": "4", "weight": "-1"}]
    data = _valid("multiple", _rows(rows))
    assert [c["fraction"] for c in data["choices"]] == ["0.5", "0.5", "-1"]
    editor = editor_for("multiple", _rows([{"text": "2", "weight": "0.5"}, {"text": "4", "weight": "-0.5"}]))
    assert not editor.is_valid()
    assert "100 % au total (ici 50 %)" in " ".join(editor.all_errors())
    thirds = _rows([{"text": x, "weight": "0.3333333"} for x in "abc"] + [{"text": "d", "weight": "-0.1"}])
    assert len(_valid("multiple", thirds)["choices"]) == 4


def test_a_row_half_filled_gets_its_error_on_its_field():
    editor = editor_for(
        "multiple",
        _rows([{"text": "", "feedback": "message sans réponse", "weight": "1"}, {"text": "b", "weight": "1"}]),
    )
    assert not editor.is_valid()
    assert editor.rows.forms[0].errors["text"] == ["Écrivez la réponse proposée, ou videz la ligne."]
    editor = editor_for("multiple", _rows([{"text": "a", "weight": "2"}, {"text": "b", "weight": "1"}]))
    assert not editor.is_valid()
    assert "weight" in editor.rows.forms[0].errors


def test_truefalse():
    data = _valid("truefalse", {"opt-answer": "false", "opt-feedback_true": "Non.", "opt-feedback_false": "Oui."})
    assert data == {"answer": False, "feedback_true": "Non.", "feedback_false": "Oui."}
    editor = editor_for("truefalse", {})
    assert not editor.is_valid()
    assert editor.options.errors["answer"] == ["Indiquez si l'affirmation est vraie ou fausse."]


def test_short_answer_options_and_one_answer_at_100():
    data = _valid(
        "short",
        _rows([{"text": "Aurillac", "weight": "1"}, {"text": "*rillac", "weight": "0.5"}], accent_sensitive="on"),
    )
    assert data["case_sensitive"] is False
    assert data["accent_sensitive"] is True
    assert data["answers"][1] == {"id": data["answers"][1]["id"], "text": "*rillac", "fraction": "0.5", "feedback": ""}
    editor = editor_for("short", _rows([{"text": "a", "weight": "0.5"}]))
    assert not editor.is_valid()
    assert "100 %" in " ".join(editor.all_errors())
    editor = editor_for("short", _rows([]))
    assert not editor.is_valid()
    assert "au moins une réponse" in " ".join(editor.all_errors())


def test_numerical_value_or_range_with_comma_decimals():
    data = _valid(
        "numerical",
        _rows(
            [
                {"value": "3,14", "tolerance": "0,01", "weight": "1", "feedback": "Oui"},
                {"min": "3", "max": "3,2", "weight": "0.5"},
                {"value": "1 000", "weight": "0.1"},
            ]
        ),
    )
    answers = data["answers"]
    assert (answers[0]["value"], answers[0]["tolerance"]) == ("3.14", "0.01")
    assert (answers[1]["min"], answers[1]["max"]) == ("3", "3.2")
    assert "value" not in answers[1]
    assert answers[2]["value"] == "1000"
    assert answers[2]["tolerance"] == "0"


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"value": "trois"}, "value", "Écrivez un nombre"),
        ({"value": "3", "min": "1", "max": "4"}, "min", "pas les deux"),
        ({"min": "1"}, "max", "fin de l'intervalle"),
        ({"max": "1"}, "min", "début de l'intervalle"),
        ({"min": "5", "max": "1"}, "max", "plus grande"),
        ({"value": "3", "tolerance": "-1"}, "tolerance", "positif"),
        ({"feedback": "seul"}, "value", "valeur attendue"),
        ({"value": "1e999"}, "value", "Écrivez un nombre"),
    ],
)
def test_numerical_row_errors(row, field, message):
    editor = editor_for("numerical", _rows([{"weight": "1", **row}]))
    assert not editor.is_valid()
    assert message in " ".join(editor.rows.forms[0].errors[field])


def test_matching_pairs_and_distractors():
    data = _valid(
        "matching",
        _rows(
            [{"left": "Cantal", "right": "Aurillac"}, {"left": "Lozère", "right": "Mende"}],
            extra_rights="Rodez\n\nAurillac\nRodez",
        ),
    )
    assert data["extra_rights"] == ["Rodez"]
    editor = editor_for("matching", _rows([{"left": "Cantal"}, {"left": "Lozère", "right": "Mende"}]))
    assert not editor.is_valid()
    assert editor.rows.forms[0].errors["right"] == ["Écrivez son associé, ou videz la ligne."]


def test_ordering_keeps_the_rows_order():
    data = _valid("ordering", _rows([{"text": "Préhistoire"}, {"text": "Antiquité"}, {"text": "Moyen Âge"}]))
    assert [i["text"] for i in data["items"]] == ["Préhistoire", "Antiquité", "Moyen Âge"]
    editor = editor_for("ordering", _rows([{"text": "Seul"}]))
    assert not editor.is_valid()
    assert "au moins deux" in " ".join(editor.all_errors())


def test_essay_bounds():
    assert _valid("essay", {"opt-min_words": "10", "opt-max_words": "200", "opt-grader_info": "Plan"}) == {
        "min_words": 10,
        "max_words": 200,
        "grader_info": "Plan",
    }
    editor = editor_for("essay", {"opt-min_words": "300", "opt-max_words": "200"})
    assert not editor.is_valid()
    assert "max_words" in editor.options.errors
    editor = editor_for("essay", {"opt-min_words": "-3"})
    assert not editor.is_valid()


# --- fill in the blanks -----------------------------------------------------------------------------


def test_cloze_syntax_of_the_page():
    data = parse_cloze("Le Cantal est un [[=département|pays|région]] de France, sa préfecture est [[Aurillac]].")
    assert data["segments"] == ["Le Cantal est un ", " de France, sa préfecture est ", "."]
    choice, text = data["blanks"]
    assert choice["mode"] == "choice"
    assert [a["fraction"] for a in choice["answers"]] == ["1", "0", "0"]
    assert text["mode"] == "text"
    assert text["answers"][0]["text"] == "Aurillac"
    several = parse_cloze("[[Aurillac|Orillac]]")["blanks"][0]
    assert several["mode"] == "text"
    assert [a["fraction"] for a in several["answers"]] == ["1", "1"]


def test_cloze_advanced_weights_feedback_and_escapes():
    data = parse_cloze(r"3/4 = [[=6/8|%50%3/4 #Simplifie|4/3#Inversé]] et \[[pas un trou\]] [[a\|b]]")
    options = data["blanks"][0]["answers"]
    assert [(a["text"], a["fraction"], a["feedback"]) for a in options] == [
        ("6/8", "1", ""),
        ("3/4", "0.5", "Simplifie"),
        ("4/3", "0", "Inversé"),
    ]
    assert data["segments"][1] == " et [[pas un trou]] "
    assert data["blanks"][1]["answers"][0]["text"] == "a|b"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Pas de trou.", "aucun trou"),
        ("Un [[trou ouvert.", "n'est pas fermé"),
        ("Un [[trou [[imbriqué]] ]]", "n'est pas fermé"),
        ("Un trou]] fermé seulement", "sans « [[ »"),
        ("Vide : [[ ]].", "est vide"),
        ("Double : [[a||b]].", "une réponse est vide"),
        ("Seul : [[=a]].", "au moins une autre"),
        ("Poids : [[%abc%a|=b]].", "pourcentage"),
        ("Poids : [[%50%a]].", "pas de réponse à 100"),
        ("ligne 1\nligne 2 [[", "ligne 2"),
    ],
)
def test_cloze_errors_say_which_blank_and_where(text, message):
    with pytest.raises(ValidationError) as error:
        parse_cloze(text)
    assert message in " ".join(error.value.messages)


@pytest.mark.parametrize(
    "source",
    [
        "Le Cantal est un [[=département|pays|région]] de France, sa préfecture est [[Aurillac]].",
        r"[[=6/8|%50%3/4#Simplifie|4/3#Inversé \# 2]] puis [[%0%faux#Non|vrai]] et \\ \[ ok",
        "[[a]][[b|c]]",
        "Fin sur un trou : [[x]]",
    ],
)
def test_cloze_text_round_trip(source):
    data = parse_cloze(source)
    assert parse_cloze(cloze_text(data)) == data


def test_cloze_editor_applies_the_case_and_accent_options():
    data = _valid("cloze", {"opt-cloze": "[[Aurillac]] [[=a|b]]", "opt-case_sensitive": "on"})
    assert data["blanks"][0]["case_sensitive"] is True
    assert data["blanks"][0]["accent_sensitive"] is False
    assert "case_sensitive" not in data["blanks"][1]
    editor = editor_for("cloze", {"opt-cloze": "Pas de trou"})
    assert not editor.is_valid()
    assert "aucun trou" in " ".join(editor.options.errors["cloze"])


# --- through the page: round trip and rows added without JavaScript ---------------------------------


def _normalised(qtype, data):
    """Data as the editor writes it: ids of new rows and cloze ids are its own."""
    data = copy.deepcopy(data)
    if qtype == "cloze":
        return (
            parse_cloze(cloze_text(data))
            | {
                "blanks": [
                    {k: v for k, v in b.items() if k != "id"}
                    | {"answers": [{k: v for k, v in a.items() if k != "id"} for a in b["answers"]]}
                    for b in data["blanks"]
                ]
            }
            | {"segments": data["segments"]}
        )
    return data


@pytest.mark.parametrize("qtype", QuestionType.values)
def test_edit_save_edit_keeps_everything(client, teacher, school, qtype):
    question = QuestionFactory(
        owner=teacher,
        school=school,
        qtype=qtype,
        general_feedback="Bravo.",
        name="Ma question",
        text="Énoncé\nsur deux lignes",
    )
    before = copy.deepcopy(question.data)
    client.force_login(teacher)
    page = client.get(f"/ent/questions/{question.pk}/modifier/").content.decode()
    values = form_values(page)
    response = client.post(f"/ent/questions/{question.pk}/modifier/", values)
    assert response.status_code == 302, response.content.decode()[:2000]
    question.refresh_from_db()
    assert question.name == "Ma question"
    assert question.text == "Énoncé\nsur deux lignes"
    assert question.general_feedback == "Bravo."
    if qtype == "cloze":
        assert cloze_text(question.data) == cloze_text(before)
        assert [b["mode"] for b in question.data["blanks"]] == ["choice", "text"]
    elif qtype == "description":
        assert question.data == {}
    else:
        assert question.data == before
    # And a second time: stable.
    values_again = form_values(client.get(f"/ent/questions/{question.pk}/modifier/").content.decode())
    assert {k: v for k, v in values_again.items() if k != "csrfmiddlewaretoken"} == {
        k: v for k, v in values.items() if k != "csrfmiddlewaretoken"
    }


def test_three_more_rows_without_javascript_keep_what_was_typed(client, teacher):
    client.force_login(teacher)
    values = form_values(client.get("/ent/questions/nouvelle/single/").content.decode())
    values.update(
        {
            "text": "Capitale ?",
            "rows-0-text": "Paris",
            "rows-1-text": "Lyon",
            "rows-1-DELETE": "on",
            "rows-2-text": "Aurillac",
            "opt-correct": "2",
            "add_rows": "1",
        }
    )
    page = client.post("/ent/questions/nouvelle/single/", values)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Rien n’est enregistré" not in html
    again = form_values(html)
    assert again["rows-TOTAL_FORMS"] == "6"  # 4 - 1 deleted + 3
    assert again["rows-0-text"] == "Paris"
    assert again["rows-1-text"] == "Aurillac"
    assert again["opt-correct"] == "1"  # follows its row
    assert again["text"] == "Capitale ?"
    assert not Question.objects.exists()
    again.pop("add_rows", None)
    assert client.post("/ent/questions/nouvelle/single/", again).status_code == 302
    question = Question.objects.get()
    assert [c["text"] for c in question.data["choices"]] == ["Paris", "Aurillac"]
    assert question.data["choices"][1]["fraction"] == "1"
