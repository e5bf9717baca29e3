"""GIFT export then import gives back the same questions, for every type GIFT can carry:
hand-written cases with the characters GIFT reserves, and questions drawn by hypothesis
(``~ = # { } : \\ //``, accents, newlines, HTML, brackets, percent signs)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cybercantal.learning import gift, grading
from cybercantal.learning.gift import ParsedQuestion

TRICKY = [*list("abcxyzéèàçÉÀ ~=#{}:\\/<>[]%_-$&;\"'*.,019\n\t"), "//", "->", "[html]", "####", "\\n", "::", "<p>", "Œ"]


def _clean(text: str) -> str:
    return text.replace("\r", "").strip()


texts = st.lists(st.sampled_from(TRICKY), min_size=1, max_size=12).map("".join).map(_clean).filter(bool)
no_arrow = texts.filter(lambda t: "->" not in t)
one_line = texts.map(lambda t: " ".join(t.split())).filter(bool)
maybe = st.one_of(st.just(""), texts)
formats = st.sampled_from(gift.FORMATS)
names = (
    st.lists(st.sampled_from(list("abcéàXYZ 0-_/")), min_size=1, max_size=10)
    .map(lambda parts: " ".join("".join(parts).split()))
    .filter(lambda n: n and not n.startswith("/"))
)
categories = st.lists(names, max_size=3).map(tuple)
tags = st.lists(
    st.lists(st.sampled_from(list("abcé0 -_]")), min_size=1, max_size=8).map(lambda p: " ".join("".join(p).split())),
    max_size=3,
    unique=True,
).map(lambda items: [t for t in items if t])
numbers = st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False).map(lambda d: format(d, "f"))
tolerances = st.decimals(min_value=0, max_value=10, places=3).map(lambda d: format(d, "f"))
WEIGHTS = ["0", "1", "0.5", "-0.5", "0.3333333", "-1", "0.1"]
POSITIVE_SPLITS = [["1"], ["0.5", "0.5"], ["0.25", "0.75"], ["0.3333333", "0.3333333", "0.3333334"]]


@st.composite
def weighted(draw, key: str = "text", *, letter: str, arrowless: bool = False, minimum: int = 1):
    count = draw(st.integers(min_value=minimum, max_value=4))
    items = []
    for n in range(count):
        fraction = "1" if n == 0 else draw(st.sampled_from(WEIGHTS))
        items.append(
            {
                "text": draw(no_arrow if arrowless else texts),
                "fraction": fraction,
                "feedback": draw(st.one_of(st.just(""), no_arrow) if arrowless else maybe),
            }
        )
    order = draw(st.permutations(range(count)))
    return [{"id": f"{letter}{i}", **items[j]} for i, j in enumerate(order, start=1)]


@st.composite
def multiple_choices(draw):
    positives = draw(st.sampled_from(POSITIVE_SPLITS))
    others = draw(st.lists(st.sampled_from(["0", "-1", "-0.5", "-0.3333333"]), max_size=3))
    fractions = draw(st.permutations(positives + others))
    if len(fractions) < 2:
        fractions = [*fractions, "0"]
    return [
        {"id": f"c{n}", "text": draw(texts), "fraction": f, "feedback": draw(maybe)}
        for n, f in enumerate(fractions, start=1)
    ]


@st.composite
def questions(draw):
    qtype = draw(
        st.sampled_from(
            ["single", "multiple", "truefalse", "short", "numerical", "matching", "essay", "description", "cloze"]
        )
    )
    text = draw(texts)
    general = "" if qtype == "description" else draw(maybe)
    if qtype == "single":
        data = {"choices": draw(weighted(letter="c", minimum=2)), "shuffle": True}
    elif qtype == "multiple":
        data = {"choices": draw(multiple_choices()), "shuffle": True}
    elif qtype == "truefalse":
        data = {"answer": draw(st.booleans()), "feedback_true": draw(maybe), "feedback_false": draw(maybe)}
    elif qtype == "short":
        answers = draw(weighted(letter="a", arrowless=True))
        data = {"answers": answers, "case_sensitive": False, "accent_sensitive": True}
    elif qtype == "numerical":
        answers = []
        for n in range(1, draw(st.integers(1, 3)) + 1):
            fraction = "1" if n == 1 else draw(st.sampled_from(WEIGHTS))
            if draw(st.booleans()):
                low, high = sorted([Decimal(draw(numbers)), Decimal(draw(numbers))])
                answer = {"id": f"a{n}", "min": format(low, "f"), "max": format(high, "f")}
            else:
                answer = {"id": f"a{n}", "value": draw(numbers), "tolerance": draw(tolerances)}
            answers.append({**answer, "fraction": fraction, "feedback": draw(maybe)})
        data = {"answers": answers}
    elif qtype == "matching":
        pairs = [
            {"id": f"p{n}", "left": draw(no_arrow), "right": draw(texts)} for n in range(1, draw(st.integers(2, 4)) + 1)
        ]
        data = {"pairs": pairs, "extra_rights": draw(st.lists(texts, max_size=2)), "shuffle": True}
    elif qtype == "essay":
        data = {"min_words": None, "max_words": None, "grader_info": ""}
    elif qtype == "description":
        data = {}
    else:
        before = draw(st.one_of(st.just(""), texts.map(lambda t: t + draw(st.sampled_from(["", " "])))))
        after = draw(st.sampled_from(["", " "])) + draw(texts)
        if draw(st.booleans()):
            blank = {"id": "b1", "mode": "choice", "answers": draw(weighted(letter="a", minimum=2))}
        else:
            blank = {
                "id": "b1",
                "mode": "text",
                "answers": draw(weighted(letter="a", arrowless=True)),
                "case_sensitive": False,
                "accent_sensitive": True,
            }
        data = {"segments": [before, after], "blanks": [blank]}
        text = before + gift.BLANK + after
    question = ParsedQuestion(
        qtype,
        text,
        data,
        name=draw(st.one_of(st.just(""), one_line)),
        text_format=draw(formats),
        general_feedback=general,
        category=draw(categories),
        tags=draw(tags),
        idnumber=draw(st.sampled_from(["", "Q-12", "abc]d"])),
    )
    grading.validate_data(qtype, data)
    return question


def roundtrip(items: list[ParsedQuestion]) -> list[ParsedQuestion]:
    text = gift.export(items)
    result = gift.parse(text)
    assert result.errors == [], (text, result.errors)
    return result.questions


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(questions(), min_size=1, max_size=4))
def test_import_of_export_is_identity(items):
    assert roundtrip(items) == items


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(questions(), min_size=1, max_size=3))
def test_export_is_stable(items):
    first = gift.export(items)
    assert gift.export(gift.parse(first).questions) == first


HAND_CASES = [
    ParsedQuestion(
        "single",
        "Combien font 1 {+} 1 ? Réponse : 2 = deux # ~ \\ fin",
        {
            "choices": [
                {"id": "c1", "text": "2 = deux", "fraction": "1", "feedback": "Oui : {bravo}"},
                {"id": "c2", "text": "%50%ceci n'est pas un poids", "fraction": "0", "feedback": ""},
                {"id": "c3", "text": "[html]pas du HTML", "fraction": "0.5", "feedback": "[plain]non plus"},
            ],
            "shuffle": True,
        },
        name="::Titre:: avec deux-points",
        general_feedback="Ligne 1\nLigne 2",
    ),
    ParsedQuestion(
        "single",
        "Deux bonnes réponses",
        {
            "choices": [
                {"id": "c1", "text": "a", "fraction": "1", "feedback": ""},
                {"id": "c2", "text": "b", "fraction": "1", "feedback": ""},
            ],
            "shuffle": True,
        },
    ),
    ParsedQuestion("description", "// ceci n'est pas un commentaire", {}),
    ParsedQuestion("description", "[html]<p>texte</p>", {}, text_format="moodle"),
    ParsedQuestion("essay", "$CATEGORY: pas une catégorie", {"min_words": None, "max_words": None, "grader_info": ""}),
    ParsedQuestion(
        "truefalse",
        "Faux, avec feedbacks",
        {"answer": False, "feedback_true": "Non, c'est faux.", "feedback_false": "Oui !"},
        text_format="html",
        tags=["a]b", "géo"],
    ),
    ParsedQuestion(
        "truefalse", "Vrai, feedback juste seul", {"answer": True, "feedback_true": "Bien", "feedback_false": ""}
    ),
    ParsedQuestion(
        "short",
        "T ?",
        {
            "answers": [
                {"id": "a1", "text": "T", "fraction": "1", "feedback": ""},
                {"id": "a2", "text": "#1", "fraction": "0.5", "feedback": "presque"},
            ],
            "case_sensitive": False,
            "accent_sensitive": True,
        },
        category=("Maths", "5e/4e", "top"),
    ),
    ParsedQuestion(
        "numerical",
        "Encadrez",
        {
            "answers": [
                {"id": "a1", "min": "-5.5", "max": "-1", "fraction": "1", "feedback": "juste"},
                {"id": "a2", "value": "-3", "tolerance": "10", "fraction": "-0.5", "feedback": ""},
            ]
        },
        category=("top",),
    ),
    ParsedQuestion(
        "matching",
        "Associez",
        {
            "pairs": [
                {"id": "p1", "left": "a-", "right": ">b"},
                {"id": "p2", "left": "[html]x", "right": "[html]y -> z"},
            ],
            "extra_rights": ["%leurre", "= piège"],
            "shuffle": True,
        },
    ),
    ParsedQuestion(
        "cloze",
        "_____ est la préfecture.",
        {
            "segments": ["", " est la préfecture."],
            "blanks": [
                {
                    "id": "b1",
                    "mode": "text",
                    "answers": [{"id": "a1", "text": "Aurillac", "fraction": "1", "feedback": ""}],
                    "case_sensitive": False,
                    "accent_sensitive": True,
                }
            ],
        },
        text_format="markdown",
    ),
]


@pytest.mark.parametrize("question", HAND_CASES, ids=lambda q: q.qtype + ":" + q.text[:20])
def test_hand_cases_come_back(question):
    assert roundtrip([question]) == [question]


def test_what_gift_cannot_carry_is_a_comment():
    ordering = ParsedQuestion("ordering", "Rangez", {"items": [{"id": "i1", "text": "a"}, {"id": "i2", "text": "b"}]})
    two_blanks = ParsedQuestion(
        "cloze",
        "x",
        {
            "segments": ["a ", " b ", " c"],
            "blanks": [
                {"id": "b1", "mode": "text", "answers": [{"id": "a1", "text": "x", "fraction": "1", "feedback": ""}]},
                {"id": "b2", "mode": "text", "answers": [{"id": "a1", "text": "y", "fraction": "1", "feedback": ""}]},
            ],
        },
    )
    report = gift.export_report([ordering, two_blanks, HAND_CASES[2]])
    assert [q for q, _ in report.skipped] == [ordering, two_blanks]
    assert "// Question non exportée « Rangez » : GIFT n'a pas de question de remise en ordre." in report.text
    assert gift.parse(report.text).questions == [HAND_CASES[2]]
