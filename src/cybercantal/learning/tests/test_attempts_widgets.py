"""The pupils' question widgets: every type renders accessibly, and what a browser sends
back from a rendered widget is the response that was rendered (parse(render(r)) == r)."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from .. import grading, questionui
from .factories import QUESTION_DATA
from .factories_attempts import ALL_QTYPES, RIGHT, WRONG

pytestmark = pytest.mark.django_db


def make_snapshot(
    qtype: str,
    *,
    data: dict[str, Any] | None = None,
    text: str = "Quelle est la réponse ?",
    text_format: str = "moodle",
    seed: int = 1,
    general_feedback: str = "",
) -> dict[str, Any]:
    question = SimpleNamespace(
        pk=7,
        qtype=qtype,
        name="Q",
        text=text,
        text_format=text_format,
        data=data if data is not None else QUESTION_DATA[qtype],
        general_feedback=general_feedback,
    )
    return grading.snapshot(question, shuffle_answers=True, rng=random.Random(seed))


class FormReader(HTMLParser):
    """What a browser would submit from the rendered HTML: checked radios and checkboxes,
    text inputs, hidden inputs, selected options (the first one if none is), textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        name = attributes.get("name") or ""
        if tag == "input":
            kind = attributes.get("type", "text")
            if kind in {"radio", "checkbox"}:
                if "checked" in attributes:
                    self.fields.append((name, attributes.get("value") or "on"))
            elif kind in {"text", "hidden"}:
                self.fields.append((name, attributes.get("value") or ""))
        elif tag == "select":
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((attributes.get("value") or "", "selected" in attributes))
        elif tag == "textarea":
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected] or [self._options[0][0]]
            self.fields.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data


def submitted(html: str) -> QueryDict:
    reader = FormReader()
    reader.feed(str(html))
    query = QueryDict(mutable=True)
    for name, value in reader.fields:
        query.appendlist(name, value)
    return query


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    reader = FormReader()
    reader.feed(str(html))
    return reader.tags


# --- every type renders, accessibly -----------------------------------------------------------


@pytest.mark.parametrize("qtype", ALL_QTYPES)
def test_every_type_renders_in_a_fieldset_with_the_stem_as_legend(qtype):
    html = questionui.render_question(make_snapshot(qtype), None, prefix="q1")
    if qtype == "description":
        assert "<fieldset" not in html
        assert "Quelle est la réponse" in html
        return
    assert re.search(r"<fieldset[^>]*>\s*<legend[^>]*>\s*<p>Quelle est la réponse \?</p>", html)
    # Every field has a label (explicit "for" or the label around it).
    tags = tags_of(html)
    labelled = {attrs.get("for") for tag, attrs in tags if tag == "label"}
    for tag, attrs in tags:
        if tag in {"select", "textarea"} or (tag == "input" and attrs.get("type") != "hidden"):
            assert attrs.get("id") in labelled, (qtype, attrs)


def test_choices_are_native_radios_and_checkboxes_inside_their_label():
    single = questionui.render_question(make_snapshot("single"), None, prefix="q1")
    assert single.count('type="radio"') == 3
    assert re.search(r'<label class="choice-row__label" for="q1-c0">\s*<input type="radio"', single)
    multiple = questionui.render_question(make_snapshot("multiple"), None, prefix="q2")
    assert multiple.count('type="checkbox"') == 3
    truefalse = questionui.render_question(make_snapshot("truefalse"), None, prefix="q3")
    assert "Vrai" in truefalse
    assert "Faux" in truefalse


def test_numerical_asks_for_a_decimal_keyboard_and_says_when_it_is_not_a_number():
    snapshot = make_snapshot("numerical")
    html = questionui.render_question(snapshot, None, prefix="q1")
    assert 'inputmode="decimal"' in html
    assert "virgule" in html
    bad = questionui.render_question(snapshot, {"value": "trois"}, prefix="q1")
    assert "n’est pas un nombre" in bad
    assert 'aria-invalid="true"' in bad
    assert grading.grade(
        "numerical", snapshot["data"], questionui.parse_response(snapshot, {"q1-value": "3,14"}, prefix="q1")
    ).is_right


def test_matching_has_a_select_of_the_rights_in_display_order():
    snapshot = make_snapshot("matching")
    html = questionui.render_question(snapshot, None, prefix="q1")
    options = re.findall(r'<option value="(\d+)"\s*>([^<]+)</option>', html)
    shown = [text for _value, text in options[: len(snapshot["display"]["rights"])]]
    assert shown == snapshot["display"]["rights"]
    assert html.count("<select") == 3


def test_ordering_has_a_position_select_per_item_and_hidden_move_buttons():
    html = questionui.render_question(make_snapshot("ordering"), None, prefix="q1")
    assert html.count("data-ordering-position") == 3
    assert html.count('data-ordering-move="up"') == 3
    assert "Monter" in html
    assert "Descendre" in html
    assert 'aria-live="polite"' in html
    assert "draggable" not in html


def test_cloze_shows_the_blanks_inline_with_their_labels():
    html = questionui.render_question(make_snapshot("cloze"), None, prefix="q1")
    assert "Trou 1 sur 2" in html
    assert "Trou 2 sur 2" in html
    assert html.index("Le Cantal est un") < html.index("Trou 1 sur 2") < html.index("de France")


def test_cloze_in_html_keeps_the_markup_around_the_blanks():
    data = {
        "segments": ["<p>La <strong>capitale", "</strong> du Cantal est ", ".</p><script>x()</script>"],
        "blanks": [
            {"id": "a", "mode": "text", "answers": [{"id": "r", "text": "ville", "fraction": "1"}]},
            {"id": "b", "mode": "text", "answers": [{"id": "s", "text": "Aurillac", "fraction": "1"}]},
        ],
    }
    html = questionui.render_question(make_snapshot("cloze", data=data, text_format="html"), None, prefix="q1")
    assert "<script" not in html
    assert "<strong>capitale" in html
    assert html.count('type="text"') == 2


def test_essay_has_a_textarea_with_a_word_count():
    html = questionui.render_question(make_snapshot("essay"), {"text": "un deux trois"}, prefix="q1")
    assert "<textarea" in html
    assert "3 mots" in html
    assert "Au plus 200 mots." in html
    assert 'aria-describedby="q1-text-help q1-text-count"' in html


def test_rich_text_is_cleaned_and_other_formats_escaped_with_line_breaks():
    html = questionui.render_question(
        make_snapshot(
            "single", text='<p onclick="x()">Le <em>Cantal</em></p><script>alert(1)</script>', text_format="html"
        ),
        None,
        prefix="q1",
    )
    assert "<em>Cantal</em>" in html
    assert "onclick" not in html
    assert "<script" not in html
    plain = questionui.render_question(make_snapshot("single", text="a < b\nc", text_format="plain"), None, prefix="q1")
    assert "a &lt; b<br>c" in plain
    markdown = questionui.render_question(
        make_snapshot("short", text="**gras** <b>", text_format="markdown"), None, prefix="q1"
    )
    assert "**gras** &lt;b&gt;" in markdown


def test_choice_texts_are_escaped():
    data = {"choices": [{"id": "a", "text": "<img src=x onerror=alert(1)>", "fraction": "1"},
                        {"id": "b", "text": "b", "fraction": "0"}]}  # fmt: skip
    html = questionui.render_question(make_snapshot("single", data=data), None, prefix="q1")
    assert "<img" not in html
    assert "&lt;img" in html


def test_nothing_says_which_answer_is_right_without_feedback():
    for qtype in ALL_QTYPES:
        html = questionui.render_question(make_snapshot(qtype), RIGHT[qtype], prefix="q1")
        assert "bonne réponse" not in html.lower()
        assert "fraction" not in html
        assert "Réponse attendue" not in html


# --- feedback: in words and by an icon with text, never by colour alone -------------------------


@pytest.mark.parametrize("qtype", [q for q in ALL_QTYPES if q in grading.AUTO_GRADED])
def test_feedback_says_right_and_wrong_in_words(qtype):
    snapshot = make_snapshot(qtype, general_feedback="Revoir la leçon 3.")
    right = questionui.render_question(snapshot, RIGHT[qtype], prefix="q1", disabled=True, show_feedback=True)
    assert "Bonne réponse" in right
    assert "✓" in right
    assert "Revoir la leçon 3." in right
    assert re.search(r'<span class="verdict__icon" aria-hidden="true">✓</span> Bonne réponse', right)
    assert "disabled" in right
    wrong = questionui.render_question(snapshot, WRONG[qtype], prefix="q1", show_feedback=True)
    assert "Réponse fausse" in wrong or "Réponse en partie juste" in wrong
    nothing = questionui.render_question(snapshot, None, prefix="q1", show_feedback=True)
    assert "Pas de réponse" in nothing


def test_feedback_of_the_chosen_answer_and_right_answers_on_demand():
    snapshot = make_snapshot("single")
    html = questionui.render_question(snapshot, {"choice": "b"}, prefix="q1", show_feedback=True)
    assert "Non, Lyon est une préfecture." in html
    assert "votre choix :" in html
    assert "bonne réponse" not in html
    shown = questionui.render_question(
        snapshot, {"choice": "b"}, prefix="q1", show_feedback=True, show_right_answers=True
    )
    assert "bonne réponse" in shown
    short = questionui.render_question(make_snapshot("short"), {"text": "x"}, prefix="q1", show_feedback=True,
                                       show_right_answers=True)  # fmt: skip
    assert "« Aurillac »" in short


def test_essay_feedback_waits_for_the_teacher():
    html = questionui.render_question(make_snapshot("essay"), RIGHT["essay"], prefix="q1", show_feedback=True)
    assert "En attente de correction" in html


# --- parse(render(response)) == response ------------------------------------------------------------


RESPONSES: dict[str, list[dict[str, Any] | None]] = {
    "single": [None, {"choice": "a"}, {"choice": "c"}],
    "multiple": [None, {"choices": ["a"]}, {"choices": ["a", "b", "c"]}],
    "truefalse": [None, {"value": True}, {"value": False}],
    "short": [None, {"text": "Aurillac"}, {"text": "l'été « chaud » <b>"}],
    "numerical": [None, {"value": "3,14"}, {"value": "-2.5"}, {"value": "pas un nombre"}],
    "matching": [
        None,
        {"matches": {"p1": "Aurillac"}},
        {"matches": {"p1": "Moulins", "p2": "Aurillac", "p3": "Moulins"}},
    ],
    "ordering": [{"order": ["i1", "i2", "i3"]}, {"order": ["i3", "i1", "i2"]}, {"order": ["i2", "i3", "i1"]}],
    "cloze": [None, {"blanks": {"b1": "y"}}, {"blanks": {"b1": "x", "b2": "Aurillac"}}, {"blanks": {"b2": "x y"}}],
    "essay": [None, {"text": "Première ligne\nDeuxième « ligne » & <tag>"}],
    "description": [None],
}


@pytest.mark.parametrize("qtype", ALL_QTYPES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_parse_of_render_gives_the_response_back(qtype, seed):
    snapshot = make_snapshot(qtype, seed=seed)
    for response in RESPONSES[qtype]:
        html = questionui.render_question(snapshot, response, prefix="q4")
        parsed = questionui.parse_response(snapshot, submitted(html), prefix="q4")
        if qtype == "ordering" and response is None:
            continue
        assert parsed == response, (qtype, response, parsed)


def test_ordering_without_javascript_moves_an_item_where_the_pupil_said():
    snapshot = make_snapshot("ordering")
    html = questionui.render_question(snapshot, {"order": ["i1", "i2", "i3"]}, prefix="q1")
    post = submitted(html)
    index_of = {item: n for n, item in enumerate(snapshot["display"]["items"])}
    post[f"q1-pos-{index_of['i3']}"] = "1"  # the last one to the top
    assert questionui.parse_response(snapshot, post, prefix="q1") == {"order": ["i3", "i1", "i2"]}
    post = submitted(html)
    post[f"q1-pos-{index_of['i1']}"] = "3"  # the first one to the bottom
    assert questionui.parse_response(snapshot, post, prefix="q1") == {"order": ["i2", "i3", "i1"]}


def test_an_untouched_ordering_is_no_answer_only_when_nothing_is_sent():
    snapshot = make_snapshot("ordering")
    assert questionui.parse_response(snapshot, QueryDict(""), prefix="q1") is None


# --- a malformed POST never raises ------------------------------------------------------------


MALFORMED = [
    {},
    {"q1-choice": "99"},
    {"q1-choice": "-1"},
    {"q1-choice": "a"},
    {"q1-choice": "1" * 500},
    {"q1-choices": ["0", "0", "7", "x"]},
    {"q1-value": "maybe"},
    {"q1-text": "\x00" * 10},
    {"q1-text": "x" * 100_000},
    {"q1-match-0": "", "q1-match-1": "12", "q1-match-9": "0"},
    {"q1-pos-0": "0", "q1-pos-1": "99", "q1-at-2": "-3"},
    {"q1-blank-0": "5", "q1-blank-1": "\ud800"},
]


@pytest.mark.parametrize("qtype", ALL_QTYPES)
def test_malformed_posts_are_read_as_no_or_partial_answers(qtype):
    snapshot = make_snapshot(qtype)
    for data in MALFORMED:
        query = QueryDict(mutable=True)
        for name, value in data.items():
            for item in value if isinstance(value, list) else [value]:
                query.appendlist(name, item)
        for source in (query, data, None, "text", 12, [1, 2]):
            response = questionui.parse_response(snapshot, source, prefix="q1")
            assert response is None or isinstance(response, dict)
            grading.grade(qtype, snapshot["data"], response)
    assert questionui.parse_response({"qtype": "nope"}, {}, prefix="q1") is None
    assert questionui.parse_response("not a dict", {}, prefix="q1") is None  # type: ignore[arg-type]


def test_long_texts_are_cut():
    response = questionui.parse_response(make_snapshot("short"), {"q1-text": "x" * 5000}, prefix="q1")
    assert response is not None
    assert len(response["text"]) == questionui.MAX_TEXT


@settings(max_examples=60, deadline=None)
@given(
    qtype=st.sampled_from(ALL_QTYPES),
    post=st.dictionaries(
        st.sampled_from(
            [
                "q1-choice",
                "q1-choices",
                "q1-value",
                "q1-text",
                "q1-match-0",
                "q1-match-1",
                "q1-pos-0",
                "q1-pos-1",
                "q1-pos-2",
                "q1-at-0",
                "q1-blank-0",
                "q1-blank-1",
                "other",
            ]
        ),
        st.lists(st.text(max_size=30), max_size=3),
    ),
)
def test_any_post_is_read_without_error(qtype, post):
    snapshot = make_snapshot(qtype)
    query = QueryDict(mutable=True)
    for name, values in post.items():
        query.setlist(name, values)
    response = questionui.parse_response(snapshot, query, prefix="q1")
    html = questionui.render_question(snapshot, response, prefix="q1", show_feedback=True)
    assert questionui.parse_response(snapshot, submitted(html), prefix="q1") == response or qtype == "ordering"


@pytest.mark.parametrize("qtype", ALL_QTYPES)
def test_broken_snapshots_render_without_error(qtype):
    for data in ({}, {"choices": "x", "pairs": [1], "items": None, "blanks": [{"id": "b"}], "segments": 3}):
        snapshot = make_snapshot(qtype)
        snapshot["data"] = data
        snapshot["display"] = {"choices": ["zz"], "rights": ["?"], "items": ["?"], "blanks": {"b": ["?"]}}
        questionui.render_question(snapshot, {"junk": 1}, prefix="q1", show_feedback=True, show_right_answers=True)
    assert "inconnu" in questionui.render_question({"qtype": "hologram"}, None, prefix="q1")
    questionui.render_question({"qtype": "single", "data": [], "display": "x"}, None, prefix="q1")
