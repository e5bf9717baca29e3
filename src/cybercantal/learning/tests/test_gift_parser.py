"""The GIFT parser on every feature of the grammar, every error message with its line, the
file "exported from Moodle", encodings, and garbage (never an exception, linear time)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cybercantal.learning import gift, grading

MOODLE_FILE = Path(__file__).parent / "data" / "gift" / "moodle_5e.gift.txt"


def one(text: str) -> gift.ParsedQuestion:
    result = gift.parse(text)
    assert result.errors == [], result.errors
    assert len(result.questions) == 1
    question = result.questions[0]
    grading.validate_data(question.qtype, question.data)
    return question


def errors(text: str) -> list[str]:
    return [str(error) for error in gift.parse(text).errors]


# --- every question type -------------------------------------------------------------------------


def test_single_choice_with_feedback_and_general_feedback():
    q = one("Qui ?{=Moi#Oui ~Toi#Non ####Bravo}")
    assert q.qtype == "single"
    assert q.text == "Qui ?"
    assert q.data == {
        "choices": [
            {"id": "c1", "text": "Moi", "fraction": "1", "feedback": "Oui"},
            {"id": "c2", "text": "Toi", "fraction": "0", "feedback": "Non"},
        ],
        "shuffle": True,
    }
    assert q.general_feedback == "Bravo"


def test_equal_sign_keeps_a_single_choice_with_partial_credit():
    q = one("Q {=a ~%50%b ~c}")
    assert q.qtype == "single"
    assert [c["fraction"] for c in q.data["choices"]] == ["1", "0.5", "0"]


def test_weights_without_equal_sign_make_a_multiple_choice():
    q = one("Cochez {~%50%a ~%50%b ~%-100%c ~d}")
    assert q.qtype == "multiple"
    assert [c["fraction"] for c in q.data["choices"]] == ["0.5", "0.5", "-1", "0"]
    assert one("Q {~%33.33333%a ~%33.33333%b ~%33.33334%c}").qtype == "multiple"


@pytest.mark.parametrize(
    ("block", "answer", "true_feedback", "false_feedback"),
    [
        ("{T}", True, "", ""),
        ("{TRUE}", True, "", ""),
        ("{F}", False, "", ""),
        ("{FALSE}", False, "", ""),
        # The first feedback is for a wrong answer, the second for a right one (Moodle).
        ("{T#Non, c'est vrai.#Bravo}", True, "Bravo", "Non, c'est vrai."),
        ("{F#Non, c'est faux.#Bravo}", False, "Non, c'est faux.", "Bravo"),
        ("{TRUE##Seulement si juste}", True, "Seulement si juste", ""),
    ],
)
def test_true_false(block, answer, true_feedback, false_feedback):
    q = one("Le Cantal est en Auvergne." + block)
    assert q.qtype == "truefalse"
    assert q.data == {"answer": answer, "feedback_true": true_feedback, "feedback_false": false_feedback}


def test_true_false_with_general_feedback():
    q = one("Vrai ?{T#faux#juste####général}")
    assert q.data["feedback_true"] == "juste"
    assert q.general_feedback == "général"


def test_short_answer_is_case_insensitive_with_partial_credit():
    q = one("Capitale ?{=Paris =Lutèce#Nom antique =%50%paris intra-muros}")
    assert q.qtype == "short"
    assert q.data == {
        "answers": [
            {"id": "a1", "text": "Paris", "fraction": "1", "feedback": ""},
            {"id": "a2", "text": "Lutèce", "fraction": "1", "feedback": "Nom antique"},
            {"id": "a3", "text": "paris intra-muros", "fraction": "0.5", "feedback": ""},
        ],
        "case_sensitive": False,
        "accent_sensitive": True,
    }
    assert grading.grade("short", q.data, {"text": "PARIS"}).is_right


def test_short_answer_without_equal_sign_as_moodle_reads_it():
    assert one("Capitale ?{Paris}").data["answers"][0]["text"] == "Paris"


def test_lower_case_true_is_a_short_answer_with_a_warning():
    q = one("Vrai ?{true}")
    assert q.qtype == "short"
    assert "{T}" in q.warnings[0]


def test_numerical_with_tolerance_range_and_partial_credit():
    assert one("π ?{#3.14:0.01}").data == {
        "answers": [{"id": "a1", "value": "3.14", "tolerance": "0.01", "fraction": "1", "feedback": ""}]
    }
    assert one("Entre 1 et 5 {#1..5}").data["answers"][0] == {
        "id": "a1",
        "min": "1",
        "max": "5",
        "fraction": "1",
        "feedback": "",
    }
    q = one("π ?{#=%100%3.14:0.005#Précis =%50%3.14:0.1#Presque}")
    assert [(a["tolerance"], a["fraction"], a["feedback"]) for a in q.data["answers"]] == [
        ("0.005", "1", "Précis"),
        ("0.1", "0.5", "Presque"),
    ]
    assert grading.grade("numerical", q.data, {"value": "3,2"}).fraction == grading.to_decimal("0.5")
    assert one("Négatif {#-3}").data["answers"][0]["value"] == "-3"
    assert one("Virgule {#3,5:0,1}").data["answers"][0] == {
        "id": "a1",
        "value": "3.5",
        "tolerance": "0.1",
        "fraction": "1",
        "feedback": "",
    }


def test_numerical_other_answers_feedback_is_a_warning():
    q = one("π ?{#3.14:0.01 ~#Relisez le cours}")
    assert q.qtype == "numerical"
    assert len(q.data["answers"]) == 1
    assert q.warnings


def test_matching_with_distractor():
    q = one("Associez {=Cantal -> Aurillac =Puy-de-Dôme -> Clermont-Ferrand = -> Moulins}")
    assert q.qtype == "matching"
    assert q.data == {
        "pairs": [
            {"id": "p1", "left": "Cantal", "right": "Aurillac"},
            {"id": "p2", "left": "Puy-de-Dôme", "right": "Clermont-Ferrand"},
        ],
        "extra_rights": ["Moulins"],
        "shuffle": True,
    }


def test_essay_and_description():
    q = one("Racontez vos vacances.{}")
    assert q.qtype == "essay"
    assert q.data == {"min_words": None, "max_words": None, "grader_info": ""}
    q = one("Racontez.{####On attend trois paragraphes.}")
    assert q.qtype == "essay"
    assert q.general_feedback == "On attend trois paragraphes."
    q = one("::Consigne::Lisez le texte ci-dessous.")
    assert q.qtype == "description"
    assert q.data == {}
    assert q.name == "Consigne"


def test_missing_word_choice_is_a_one_blank_cloze():
    q = one("Moodle costs {~lots of money =nothing ~a small amount} to download.")
    assert q.qtype == "cloze"
    assert q.text == "Moodle costs _____ to download."
    assert q.data["segments"] == ["Moodle costs ", " to download."]
    blank = q.data["blanks"][0]
    assert blank["mode"] == "choice"
    assert blank["id"] == "b1"
    assert [(a["text"], a["fraction"]) for a in blank["answers"]] == [
        ("lots of money", "0"),
        ("nothing", "1"),
        ("a small amount", "0"),
    ]
    assert grading.grade("cloze", q.data, {"blanks": {"b1": "a2"}}).is_right


def test_missing_word_short_answer_is_a_text_blank():
    q = one("La préfecture du Cantal est {=Aurillac =aurillac} depuis 1790.")
    blank = q.data["blanks"][0]
    assert q.qtype == "cloze"
    assert blank["mode"] == "text"
    assert blank["case_sensitive"] is False
    assert blank["accent_sensitive"] is True
    assert grading.grade("cloze", q.data, {"blanks": {"b1": "AURILLAC"}}).is_right


def test_other_types_in_the_middle_keep_their_type_with_a_blank_in_the_text():
    q = one("Il y a {#7} jours dans une semaine.")
    assert q.qtype == "numerical"
    assert q.text == "Il y a _____ jours dans une semaine."


# --- titles, comments, categories, formats, escapes -------------------------------------------------


def test_comments_tags_and_id():
    q = one("// un commentaire\n// [id:Q-12] [tag:fractions]\n// [tag:5e] [tag:fractions]\n::T::Texte{T}")
    assert q.tags == ["fractions", "5e"]
    assert q.idnumber == "Q-12"
    assert q.name == "T"
    assert q.line == 4


def test_comment_lines_inside_a_question_are_ignored():
    q = one("::T::Question\n// pas une réponse\n{=a ~b}")
    assert q.text == "Question"


def test_nested_categories_apply_to_what_follows():
    result = gift.parse(
        "Avant{T}\n\n$CATEGORY: $course$/top/Maths/5e//4e/Fractions\n\nA{T}\n\n$CATEGORY: Géographie\n\nB{F}\n"
    )
    assert [q.category for q in result.questions] == [(), ("Maths", "5e/4e", "Fractions"), ("Géographie",)]
    assert result.categories == [("Maths", "5e/4e", "Fractions"), ("Géographie",)]


def test_category_line_followed_by_a_question_without_blank_line():
    result = gift.parse("$CATEGORY: Maths\nA{T}")
    assert result.questions[0].category == ("Maths",)


@pytest.mark.parametrize("fmt", ["html", "moodle", "plain", "markdown"])
def test_text_formats(fmt):
    q = one(f"::T::[{fmt}]Le <b>texte</b>{{=[{fmt}]a#[{fmt}]bien ~b ####[{fmt}]fin}}")
    assert q.text_format == fmt
    assert q.text == "Le <b>texte</b>"
    assert q.data["choices"][0]["text"] == "a"
    assert q.data["choices"][0]["feedback"] == "bien"
    assert q.general_feedback == "fin"


def test_unknown_format_is_text():
    assert one("[latex]x{T}").text == "[latex]x"


def test_escapes():
    q = one(r"::a\:b::1 \= 1\, \{x\} \~ \# \\ fin\nligne 2{=a\#b\=c ~d\~e\{f\}g\:h\\}")
    assert q.name == "a:b"
    assert q.text == "1 = 1\\, {x} ~ # \\ fin\nligne 2"
    assert [c["text"] for c in q.data["choices"]] == ["a#b=c", "d~e{f}g:h\\"]


def test_escaped_backslash_before_a_brace_leaves_the_brace_active():
    q = one(r"chemin C:\\{T}")
    assert q.text == "chemin C:\\"
    assert q.qtype == "truefalse"


def test_multiline_question_and_answers():
    q = one("::Titre::Première ligne\nseconde ligne {\n  =a # bien\n  ~b\n}")
    assert q.text == "Première ligne\nseconde ligne"
    assert q.data["choices"][0] == {"id": "c1", "text": "a", "fraction": "1", "feedback": "bien"}


def test_blank_line_separates_questions_and_lines_are_counted():
    result = gift.parse("\n\nA{T}\n\n\n// c\nB{F}\n\nC{}\n")
    assert [(q.line, q.text) for q in result.questions] == [(3, "A"), (7, "B"), (9, "C")]


def test_windows_line_endings_bom_and_latin1():
    text = "\ufeff::Été::Il fait chaud en été.{T}\r\n\r\n::Hiver::Froid ?{F}\r\n"
    assert [q.name for q in gift.parse(text).questions] == ["Été", "Hiver"]
    assert [q.name for q in gift.parse(text.encode("utf-8")).questions] == ["Été", "Hiver"]
    result = gift.parse(text.lstrip("\ufeff").encode("latin-1"))
    assert [q.name for q in result.questions] == ["Été", "Hiver"]
    assert result.encoding == "latin-1"
    assert "Latin-1" in result.notes[0]
    assert [q.text for q in gift.parse(b"A{T}\r\rB{F}").questions] == ["A", "B"]


# --- errors, each with its line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Ok{T}\n\n::T::Question {=a ~b", "Ligne 3 : accolade ouvrante sans accolade fermante."),
        ("::T::\nQuestion\n=a ~b}", "Ligne 3 : accolade fermante sans accolade ouvrante (écrivez \\} dans un texte)."),
        ("Q {=a {~b}", "Ligne 1 : accolade ouvrante dans un bloc de réponses déjà ouvert"),
        ("Q {=a ~b} puis\n{=c ~d}", "Ligne 2 : une question n'a qu'un bloc de réponses { }"),
        ("::Titre sans fin\nQ{T}", "Ligne 1 : titre sans « :: » de fermeture"),
        ("\n\n\n\n\n\n\nQ {\n~a\n~b}", "Ligne 8 : aucune bonne réponse (=) dans ce choix multiple"),
        ("Q {~%50%a ~%30%b ~c}", "Ligne 1 : choix multiple : les poids positifs font 80 % au lieu de 100 %."),
        ("Q {=a}", None),  # a short answer: no error
        ("Q {=a ~%abc%b}", "Ligne 1 : poids « %abc% » illisible"),
        ("Q {=a ~%150%b}", "Ligne 1 : poids « %150% » hors de -100 % à 100 %."),
        ("Q {=seule ~}", "Ligne 1 : réponse vide après « ~ »."),
        ("Q {~a}", "Ligne 1 : choix : il faut au moins deux réponses."),
        ("Q {b ~a =c}", "Ligne 1 : « b » avant la première réponse"),
        ("\n" * 29 + "π {#3,14:abc}", "Ligne 30 : question numérique : « 3,14:abc » n'est pas une marge d'erreur."),
        ("π {#abc}", "Ligne 1 : question numérique : « abc » n'est pas un nombre."),
        ("π {#5..1}", "Ligne 1 : question numérique : l'intervalle « 5..1 » va du plus grand au plus petit."),
        ("π {#1..x}", "Ligne 1 : question numérique : « 1..x » n'est pas un intervalle"),
        ("π {#3:-1}", "Ligne 1 : question numérique : « 3:-1 » n'est pas une marge d'erreur."),
        ("π {# ####rien}", "Ligne 1 : question numérique sans réponse"),
        ("A {=a -> b =c}", "Ligne 1 : appariement : « c » n'a pas de « -> »"),
        ("A {=a -> b}", "Ligne 1 : appariement : il faut au moins deux paires"),
        ("A {=a -> b =c -> }", "Ligne 1 : appariement : « c -> » sans associé."),
        ("A {x =a -> b =c -> d}", "Ligne 1 : « x » avant la première paire"),
        ("::T::{}", "Ligne 1 : question sans texte"),
        ("$CATEGORY:\n\nA{T}", "Ligne 1 : « $CATEGORY: » sans nom de catégorie."),
        ("// [tag:" + "x" * 60 + "]\nA{T}", "Ligne 2 : étiquette « " + "x" * 60 + " » trop longue"),
        ("Q {=%50%a ~b}", "Ligne 1 : Choix unique : Indiquez la bonne réponse (100 %)."),
        ("Q {=%50%a}", "Ligne 1 : Réponse courte : Une réponse acceptée doit valoir 100 %."),
    ],
)
def test_error_messages_give_the_line(text, message):
    found = errors(text)
    if message is None:
        assert found == []
    else:
        assert any(m.startswith(message) for m in found), found


def test_a_bad_question_never_stops_the_others():
    result = gift.parse("A{T}\n\nB {=a ~b\n\nC {~a ~b}\n\nD{F}\n\n{{{{\n\nE{#1}")
    assert [q.text for q in result.questions] == ["A", "D", "E"]
    assert [e.line for e in result.errors] == [3, 5, 9]
    assert [(e.line, e.ok) for e in result.entries] == [
        (1, True),
        (3, False),
        (5, False),
        (7, True),
        (9, False),
        (11, True),
    ]


def test_binary_bytes_are_refused_with_a_french_message():
    result = gift.parse(b"\x89PNG\r\n\x1a\n\x00\x00\x00" + bytes(range(256)))
    assert result.questions == []
    assert "pas un fichier texte" in str(result.errors[0])
    with pytest.raises(gift.GiftFileError):
        gift.decode(b"   ")


# --- the file exported from Moodle -------------------------------------------------------------------


def test_the_moodle_file_imports_with_zero_errors():
    result = gift.parse(MOODLE_FILE.read_bytes())
    assert result.errors == []
    assert len(result.questions) == 20
    types = {q.qtype for q in result.questions}
    assert types == {
        "single",
        "multiple",
        "short",
        "numerical",
        "truefalse",
        "matching",
        "cloze",
        "essay",
        "description",
    }
    assert result.categories[2] == ("Défaut pour Mathématiques 5e B", "Géométrie", "Triangles")
    by_name = {q.name: q for q in result.questions}
    first = by_name["Fraction égale à un demi"]
    assert first.text_format == "html"
    assert first.tags == ["fractions", "5e"]
    assert first.idnumber == "MATH5-FR-01"
    assert first.data["choices"][0]["feedback"] == "<p>Oui : 4 ÷ 4 = 1 et 8 ÷ 4 = 2.</p>"
    assert by_name["Somme des angles"].data == {
        "answer": True,
        "feedback_true": "Oui, c'est une propriété du cours.",
        "feedback_false": "Si, elle vaut toujours 180°.",
    }
    assert by_name["Accolades et symboles"].text.startswith("Dans l'ensemble {1 ; 2 ; 3}, le symbole ~")
    assert "\n" in by_name["Accolades et symboles"].text
    assert by_name["Préfecture du Cantal"].qtype == "cloze"
    # The same file saved by Windows, with a BOM, or in Latin-1, reads the same.
    text = MOODLE_FILE.read_text(encoding="utf-8")
    for variant in (("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"), text.encode("cp1252", errors="replace")):
        again = gift.parse(variant)
        assert again.errors == []
        assert [q.name for q in again.questions][:5] == [q.name for q in result.questions][:5]
    # and it comes back from its export
    assert gift.parse(gift.export(result.questions)).questions == result.questions


# --- garbage --------------------------------------------------------------------------------------------


GARBAGE = st.lists(
    st.sampled_from([*"{}~=#:\\/%->[]$ \n\r\tTFaé_.09", "::", "//", "####", "\\n", "$CATEGORY:", "[html]", "%50%"]),
    max_size=80,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GARBAGE)
def test_garbage_never_raises_and_every_question_is_valid(text):
    result = gift.parse(text)
    for question in result.questions:
        grading.validate_data(question.qtype, question.data)
    for error in result.errors:
        assert error.line >= 1
        assert str(error).startswith(f"Ligne {error.line} : ")
    # what was read is written and read back the same, or is reported as not exportable
    report = gift.export_report(result.questions)
    assert gift.parse(report.text).errors == []


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(raw):
    gift.parse(raw)


@pytest.mark.parametrize(
    "text",
    [
        "{" * 100_000,
        "}" * 100_000,
        "{=a ~b " * 20_000,
        "::" * 50_000 + "{",
        "\\" * 100_000 + "{T",
        "Q " + "{=a ~b}" * 20_000,
        "\n".join("{=a ~b" for _ in range(20_000)),
    ],
)
def test_unclosed_and_nested_braces_everywhere(text):
    result = gift.parse(text)
    assert result.errors
    assert len(str(result.errors[0])) < 300


def test_two_megabytes_parse_whole():
    """A 2 MB file parses completely (its speed is measured by bench/bench_gift_parse.py)."""
    block = MOODLE_FILE.read_text(encoding="utf-8")
    copies = 2 * 1024 * 1024 // len(block.encode()) + 1
    text = (block + "\n\n") * copies
    result = gift.parse(text)
    assert result.errors == []
    assert len(result.questions) == copies * len(gift.parse(block).questions)
    # one huge question (no blank line at all) parses too, every escaped brace kept
    huge = gift.parse("Q {" + "~a#b \\{ " * 10_000 + "=c}")
    assert huge.errors == []
    assert len(huge.questions) == 1
