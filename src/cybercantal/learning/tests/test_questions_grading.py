"""Grading of every question type at its edges (``learning.grading``): negative weights and
the clamp, numeric ranges, tolerance and partial credit, accents, case and wildcard, cloze
in both modes, and responses or data that are malformed (never an exception)."""

from __future__ import annotations

import copy
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from cybercantal.learning import grading
from cybercantal.learning.grading import grade, text_matches, to_decimal, validate_data

from .factories import QUESTION_DATA

D = Decimal


def test_multiple_choice_negative_weights_and_clamp():
    data = QUESTION_DATA["multiple"]  # a 0.5, b 0.5, c -1
    assert grade("multiple", data, {"choices": ["a", "b"]}).fraction == 1
    assert grade("multiple", data, {"choices": ["a"]}).fraction == D("0.5")
    # A wrong box takes points away, never below 0.
    assert grade("multiple", data, {"choices": ["a", "c"]}).fraction == 0
    assert grade("multiple", data, {"choices": ["a", "b", "c"]}).fraction == 0
    assert grade("multiple", data, {"choices": ["c"]}).fraction == 0
    # Ticking a box twice counts once; unknown ids are ignored.
    assert grade("multiple", data, {"choices": ["a", "a", "zz"]}).fraction == D("0.5")
    feedback = grade("multiple", data, {"choices": ["c"]}).feedback
    assert feedback == ["4 n'est pas premier."]


def test_multiple_choice_thirds_add_up_to_one():
    data = {
        "choices": [{"id": x, "text": x, "fraction": "0.3333333"} for x in "abc"]
        + [{"id": "d", "text": "d", "fraction": "-0.3333333"}]
    }
    validate_data("multiple", data)
    assert grade("multiple", data, {"choices": ["a", "b", "c"]}).fraction == D("0.9999999")
    assert grade("multiple", data, {"choices": ["a", "b", "c", "d"]}).fraction == D("0.6666666")


def test_single_choice_partial_and_negative_weights():
    data = {
        "choices": [
            {"id": "a", "text": "x", "fraction": "1"},
            {"id": "b", "text": "y", "fraction": "0.5"},
            {"id": "c", "text": "z", "fraction": "-0.5"},
        ]
    }
    assert grade("single", data, {"choice": "b"}).fraction == D("0.5")
    assert grade("single", data, {"choice": "c"}).fraction == 0
    assert grade("single", data, {"choice": "a"}).is_right


def test_truefalse_gives_the_feedback_of_the_answer_given():
    data = QUESTION_DATA["truefalse"]
    assert grade("truefalse", data, {"value": True}).fraction == 1
    result = grade("truefalse", data, {"value": False})
    assert result.fraction == 0
    assert result.feedback == ["Le Cantal est bien en Auvergne."]
    assert grade("truefalse", data, {"value": "true"}).fraction == 0  # a string is not an answer


@pytest.mark.parametrize(
    ("given", "accepted", "case", "accent", "expected"),
    [
        ("aurillac", "Aurillac", False, True, True),
        ("aurillac", "Aurillac", True, True, False),
        ("  Aurillac   ", "Aurillac", True, True, True),
        ("departement", "département", False, True, False),
        ("departement", "département", False, False, True),
        ("DÉPARTEMENT", "département", False, True, True),
        ("Département", "département", True, False, False),
        ("à Aurillac", "*Aurillac*", False, True, True),
        ("Aurillac, dans le Cantal", "*aurillac*", False, True, True),
        ("Aurillac", "*aurillac*", False, True, True),
        ("Saint-Flour", "saint*flour", False, True, True),
        ("Saint Flour", "saint*flour", False, True, True),
        ("Flour-Saint", "saint*flour", False, True, False),
        ("abcabc", "a*c*c", False, True, True),
        ("abc", "a*c*c", False, True, False),
        ("x", "*", False, True, True),
        ("ß", "SS", False, True, True),  # casefold
        ("e\u0301", "é", True, True, True),  # NFC: decomposed é is é
    ],
)
def test_text_matches(given, accepted, case, accent, expected):
    assert text_matches(given, accepted, case_sensitive=case, accent_sensitive=accent) is expected


def test_wildcard_is_linear_on_a_huge_answer():
    start = time.perf_counter()
    assert not text_matches("a" * 1_999 + "b", "*a*a*a*a*a*a*a*a*c", case_sensitive=False, accent_sensitive=True)
    assert time.perf_counter() - start < 0.5
    # Beyond the limit a "short" answer is not compared at all.
    assert not text_matches("a" * 5_000, "*", case_sensitive=False, accent_sensitive=True)


def test_short_answer_takes_the_best_matching_answer():
    data = {
        "answers": [
            {"id": "a", "text": "*flour*", "fraction": "0.5", "feedback": "Presque."},
            {"id": "b", "text": "Saint-Flour", "fraction": "1", "feedback": "Oui."},
        ],
        "case_sensitive": False,
        "accent_sensitive": True,
    }
    result = grade("short", data, {"text": "saint-flour"})
    assert result.fraction == 1
    assert result.feedback == ["Oui."]
    assert grade("short", data, {"text": "à St Flour"}).fraction == D("0.5")
    assert grade("short", data, {"text": "   "}).fraction == 0


@pytest.mark.parametrize(
    ("value", "fraction"),
    [
        ("3,14", 1),
        ("3.15", 1),
        ("3.13", 1),
        ("3.151", 0),
        ("3", D("0.5")),
        (" 3,140 ", 1),
        ("3,1", 0),
        ("1e400", 0),
        ("abc", 0),
        ("", 0),
        (None, 0),
        (True, 0),
        ([3.14], 0),
        ("3\u202f140", 0),
    ],
)
def test_numerical_tolerance_and_partial_credit(value, fraction):
    assert grade("numerical", QUESTION_DATA["numerical"], {"value": value}).fraction == fraction


def test_numerical_ranges_include_their_bounds():
    data = {
        "answers": [
            {"id": "a", "min": "-2", "max": "-1", "fraction": "1", "feedback": ""},
            {"id": "b", "min": "-10", "max": "10", "fraction": "0.25", "feedback": "Loin."},
        ]
    }
    validate_data("numerical", data)
    assert grade("numerical", data, {"value": "-2"}).fraction == 1
    assert grade("numerical", data, {"value": "-1,0"}).fraction == 1
    assert grade("numerical", data, {"value": "-0.999"}).fraction == D("0.25")
    assert grade("numerical", data, {"value": "10.0001"}).fraction == 0
    assert grade("numerical", data, {"value": "1 000"}).fraction == 0


def test_to_decimal_refuses_what_is_not_a_sensible_number():
    assert to_decimal("1 234,5") == D("1234.5")
    assert to_decimal("1e3") == D("1000")
    for junk in ["NaN", "Infinity", "-inf", "1e999999999", "1e-40", "", None, "1,2,3", "x" * 100, True]:
        assert to_decimal(junk) is None, junk
    assert to_decimal("0") == 0


def test_matching_and_ordering_share_of_right_parts():
    data = QUESTION_DATA["matching"]
    assert grade("matching", data, {"matches": {"p1": "Aurillac", "p2": "Moulins"}}).fraction == D("0.3333333")
    assert grade(
        "matching", data, {"matches": {"p1": "Aurillac", "p2": "Clermont-Ferrand", "p3": "Le Puy-en-Velay"}}
    ).is_right
    assert grade("ordering", QUESTION_DATA["ordering"], {"order": ["i1", "i3", "i2"]}).fraction == D("0.3333333")
    assert grade("ordering", QUESTION_DATA["ordering"], {"order": ["i1", "i2", "i3", "i4"]}).is_right


def test_cloze_both_modes_and_partial_blanks():
    data = copy.deepcopy(QUESTION_DATA["cloze"])
    assert grade("cloze", data, {"blanks": {"b1": "x", "b2": "aurillac"}}).is_right
    assert grade("cloze", data, {"blanks": {"b1": "y", "b2": "Aurillac"}}).fraction == D("0.5")
    # A choice blank takes the id of an option, not its text.
    assert grade("cloze", data, {"blanks": {"b1": "département", "b2": ""}}).fraction == 0
    data["blanks"][1]["answers"].append({"id": "w", "text": "Aurilac", "fraction": "0.5", "feedback": "Orthographe !"})
    result = grade("cloze", data, {"blanks": {"b1": "x", "b2": "aurilac"}})
    assert result.fraction == D("0.75")
    assert result.feedback == ["Orthographe !"]
    assert result.parts == {"b1": True, "b2": False}


MALFORMED = [
    None,
    [],
    "x",
    3,
    {"choice": ["a"]},
    {"choices": "a"},
    {"choices": [["a"], {"x": 1}, None]},
    {"value": {"a": 1}},
    {"text": ["a"]},
    {"matches": ["p1"]},
    {"matches": {"p1": ["x"]}},
    {"order": "i1"},
    {"order": [None, {}, 1]},
    {"blanks": ["b1"]},
    {"blanks": {"b1": {"x": 1}, "b2": 12}},
    {"choice": {"a": 1}},
    {"value": float("nan")},
]


@pytest.mark.parametrize("qtype", list(QUESTION_DATA))
@pytest.mark.parametrize("response", MALFORMED)
def test_malformed_responses_are_worth_zero(qtype, response):
    result = grade(qtype, QUESTION_DATA[qtype], response)
    assert result.fraction in (None, 0)


@pytest.mark.parametrize("qtype", list(QUESTION_DATA))
def test_malformed_data_never_raises(qtype):
    for data in [
        None,
        [],
        {"choices": "x", "answers": 3, "pairs": [1], "items": [None], "blanks": "z"},
        {"choices": [{"id": ["a"], "fraction": "x"}], "blanks": [{"answers": "x"}]},
    ]:
        grade(qtype, data, {"choice": "a", "choices": ["a"], "text": "a", "value": "1", "blanks": {"b1": "a"}})


@settings(max_examples=200, deadline=None)
@given(
    qtype=st.sampled_from(sorted(QUESTION_DATA)),
    response=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.floats(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
        max_leaves=12,
    ),
)
def test_any_response_is_graded_between_zero_and_one(qtype, response):
    result = grade(qtype, QUESTION_DATA[qtype], response)
    assert result.fraction is None or 0 <= result.fraction <= 1


@pytest.mark.parametrize(
    ("qtype", "data", "message"),
    [
        (
            "single",
            {"choices": [{"id": "a", "text": "x", "fraction": "0.5"}, {"id": "b", "text": "y"}]},
            "Indiquez la bonne réponse",
        ),
        (
            "multiple",
            {"choices": [{"id": "a", "text": "x", "fraction": "0.5"}, {"id": "b", "text": "y"}]},
            "doivent faire 100 %",
        ),
        (
            "multiple",
            {"choices": [{"id": "a", "text": "x", "fraction": "1"}, {"id": "b", "text": "y", "fraction": "-1.5"}]},
            "-100 %",
        ),
        (
            "single",
            {"choices": [{"id": "a", "text": "x", "fraction": "1"}, {"id": "a", "text": "y"}]},
            "même identifiant",
        ),
        ("numerical", {"answers": [{"id": "a", "min": "3", "max": "2", "fraction": "1"}]}, "intervalle"),
        ("numerical", {"answers": [{"id": "a", "value": "1e999", "fraction": "1"}]}, "pas un nombre"),
        ("numerical", {"answers": [{"id": "a", "value": "1", "tolerance": "-1", "fraction": "1"}]}, "marge"),
        ("ordering", {"items": [{"id": "a", "text": "Moyen Âge"}, {"id": "b", "text": "moyen  âge"}]}, "identiques"),
        (
            "cloze",
            {
                "segments": ["a", "b"],
                "blanks": [{"id": "b1", "mode": "text", "answers": [{"id": "x", "text": " ", "fraction": "1"}]}],
            },
            "trou est vide",
        ),
        ("essay", {"min_words": 50, "max_words": 10}, "dépasse le maximum"),
        ("essay", {"min_words": "dix"}, "entier positif"),
        ("single", {"choices": "abc"}, "illisibles"),
        ("cloze", {"segments": [1, 2], "blanks": []}, "illisibles"),
        ("matching", {"pairs": [{"id": "p", "left": "a", "right": "b"}], "extra_rights": [1]}, "illisibles"),
        ("nope", {}, "inconnu"),
    ],
)
def test_validation_messages(qtype, data, message):
    with pytest.raises(ValidationError) as error:
        validate_data(qtype, data)
    assert any(message in m for m in error.value.messages), error.value.messages


def test_every_factory_shape_is_valid_and_snapshot_keeps_it():
    for qtype, data in QUESTION_DATA.items():
        validate_data(qtype, data)
    assert set(QUESTION_DATA) == grading.AUTO_GRADED | grading.MANUALLY_GRADED | grading.NOT_GRADED
