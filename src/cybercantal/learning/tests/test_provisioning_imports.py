"""Reading the CSV files: encodings, separators, BOM, headers, cells, duplicates, limits and
the line numbers of the report. No database."""

from __future__ import annotations

import datetime as dt

import pytest

from .. import imports
from ..imports import ImportFileError, parse
from .factories_provisioning import csv_bytes, parents_csv, students_csv, teachers_csv

ROW = ["4512", "Teyssèdou", "Hugo", "5e B", "Latin 5e|Anglais G1", ""]


def problems_of(kind: str, data: bytes) -> list[imports.Problem]:
    with pytest.raises(ImportFileError) as info:
        parse(kind, data)
    return info.value.problems


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter"),
    [
        ("utf-8", False, ";"),
        ("utf-8", True, ";"),
        ("utf-8", True, ","),
        ("cp1252", False, ";"),
        ("latin-1", False, "\t"),
        ("utf-8", False, "\t"),
    ],
)
def test_encodings_and_separators(encoding: str, bom: bool, delimiter: str) -> None:
    row = ["4512", "Teyssèdou", "Hugo", "5e B", "Latin 5e|Anglais G1", ""]
    parsed = parse("students", students_csv([row], encoding=encoding, bom=bom, delimiter=delimiter))
    assert parsed.delimiter == delimiter
    [student] = parsed.rows
    assert student.last_name == "Teyssèdou"
    assert student.groups == ("Latin 5e", "Anglais G1")
    assert student.line == 2


def test_utf16_from_excel_unicode_text() -> None:
    data = students_csv([ROW], delimiter="\t").decode("utf-8").encode("utf-16")
    assert parse("students", data).rows[0].last_name == "Teyssèdou"


def test_headers_matched_without_accents_case_or_punctuation_and_synonyms() -> None:
    data = csv_bytes([["NUMERO_ELEVE", "nom", "PRENOM", "Division", "groupe", "date sortie", "Date de naissance"],
                      ["12", "Delort", "Mathis", "4e A", "", "15/03/2027", "01/02/2013"]])  # fmt: skip
    parsed = parse("students", data)
    assert parsed.rows[0].class_name == "4e A"
    assert parsed.rows[0].left_on == dt.date(2027, 3, 15)
    assert parsed.ignored_columns == ["Date de naissance"]  # nothing of it is kept


def test_groups_separated_by_commas_inside_a_quoted_cell() -> None:
    data = csv_bytes(
        [imports.EXAMPLES["students"][0], ["1", "A", "B", "5e B", '"Latin 5e, Anglais G1"', ""]], delimiter=","
    )
    assert parse("students", data).rows[0].groups == ("Latin 5e", "Anglais G1")


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf"])
def test_empty_file(data: bytes) -> None:
    [problem] = problems_of("students", data)
    assert "vide" in problem.message


def test_header_only() -> None:
    [problem] = problems_of("students", students_csv([]))
    assert "que la ligne des noms de colonnes" in problem.message


def test_huge_file_refused_with_a_french_message() -> None:
    data = students_csv([["1", "A" * 50, "B", "5e B", "", ""]] * 40_000)
    [problem] = problems_of("students", data)
    assert "le maximum est 2048 ko" in problem.message


def test_too_many_rows() -> None:
    data = students_csv([[str(i), "A", "B", "5e B", "", ""] for i in range(imports.MAX_ROWS + 1)])
    [problem] = problems_of("students", data)
    assert "5001 lignes" in problem.message


def test_missing_columns_named_on_line_1() -> None:
    [problem] = problems_of("students", csv_bytes([["Nom", "Prénom"], ["A", "B"]]))
    assert problem.line == 1
    assert "« Numéro élève »" in problem.message
    assert "« Classe »" in problem.message


def test_a_column_twice() -> None:
    problems = problems_of(
        "students", csv_bytes([["Numéro élève", "Nom", "Nom", "Prénom", "Classe"], ["1", "A", "A", "B", "5e B"]])
    )
    assert "deux fois" in problems[0].message


def test_excel_file_instead_of_csv() -> None:
    [problem] = problems_of("students", b"PK\x03\x04" + b"\x00" * 100)
    assert "Enregistrer sous" in problem.message


def test_binary_file() -> None:
    [problem] = problems_of("students", b"abc\x00def;ghi\n")
    assert "pas un fichier texte" in problem.message


def test_report_gives_line_column_and_what_is_wrong_for_every_row() -> None:
    data = students_csv(
        [
            ["1", "Delort", "Mathis", "4e A", "", ""],
            ["2", "", "Léa", "5e B", "", ""],  # line 3: no name
            ["3", "Vermenouze", "Paul", "", "", "32/13/2026"],  # line 4: no class, bad date
            ["1", "Doublon", "Jean", "4e A", "", ""],  # line 5: same id as line 2
        ]
    )
    problems = problems_of("students", data)
    described = [(p.line, p.column) for p in problems]
    assert described == [(3, "Nom"), (4, "Classe"), (4, "Date de sortie"), (5, "Numéro élève")]
    assert "figure déjà ligne 2" in problems[-1].message
    assert str(problems[0]) == "Ligne 3, colonne « Nom » : cette case est vide."
    assert "32/13/2026" in problems[2].message


def test_blank_lines_keep_the_real_line_numbers() -> None:
    data = b"Num\xc3\xa9ro \xc3\xa9l\xc3\xa8ve;Nom;Pr\xc3\xa9nom;Classe\r\n\r\n1;A;B;5e B\r\n\r\n2;;C;5e B\r\n"
    [problem] = problems_of("students", data)
    assert problem.line == 5


def test_quoted_cell_over_two_lines() -> None:
    data = csv_bytes(
        [["Numéro élève", "Nom", "Prénom", "Classe"], ["1", '"Delort\nMartin"', "B", "5e B"], ["2", "", "C", "5e B"]]
    )
    [problem] = problems_of("students", data)
    assert problem.line == 4


@pytest.mark.parametrize("text", ["05/07/2027", "2027-07-05", "05-07-2027", "05.07.2027"])
def test_dates(text: str) -> None:
    assert imports.parse_date(text) == dt.date(2027, 7, 5)


@pytest.mark.parametrize("text", ["2027/07/05", "5 juillet", "31/02/2027", "01/01/1800", "x"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(ValueError):
        imports.parse_date(text)


def test_formula_like_and_control_characters_are_plain_text() -> None:
    parsed = parse("students", students_csv([["=1+1", "Del\x07ort", "Ma  this", "5e B", "", ""]]))
    assert parsed.rows[0].external_id == "=1+1"
    assert parsed.rows[0].last_name == "Delort"
    assert parsed.rows[0].first_name == "Ma this"


def test_name_without_letters() -> None:
    [problem] = problems_of("students", students_csv([["1", "1234", "B", "5e B", "", ""]]))
    assert problem.column == "Nom"
    assert "n'est pas un nom" in problem.message


def test_cell_too_long() -> None:
    problems = problems_of("students", students_csv([["1", "A" * 300, "B", "5e B", "", ""]]))
    assert "200 caractères" in problems[0].message


def test_teachers_classes_with_and_without_subject() -> None:
    parsed = parse(
        "teachers",
        teachers_csv(
            [
                ["E1", "Bonnefoy", "Claire", "Claire.Bonnefoy@AC-clermont.fr", "MATHS", "5e B|4e A", "5e B"],
                ["E2", "Rouchy", "Paul", "paul@example.fr", "", "5e B:HIST-GEO|Latin 5e:LATIN", ""],
            ]
        ),
    )
    claire, paul = parsed.rows
    assert claire.email == "claire.bonnefoy@ac-clermont.fr"
    assert [(c.class_name, c.subject) for c in claire.teachings] == [("5e B", "MATHS"), ("4e A", "MATHS")]
    assert claire.main_classes == ("5e B",)
    assert [(c.class_name, c.subject) for c in paul.teachings] == [("5e B", "HIST-GEO"), ("Latin 5e", "LATIN")]


def test_teacher_rows_errors() -> None:
    problems = problems_of(
        "teachers",
        teachers_csv(
            [
                ["E1", "Bonnefoy", "Claire", "pas-une-adresse", "MATHS|SVT", "5e B", "oui"],
                ["E2", "Rouchy", "Paul", "claire@example.fr", "", "5e B:MATHS", ""],
                ["E3", "Vidal", "Anne", "claire@example.fr", "", "5e B:MATHS", ""],
            ]
        ),
    )
    messages = [(p.line, p.column, p.message) for p in problems]
    assert messages[0][:2] == (2, "Adresse électronique")
    assert any(line == 2 and column == "Classes" and "précisez la matière" in m for line, column, m in messages)
    assert any(line == 2 and column == "Professeur principal" for line, column, m in messages)
    assert any(line == 4 and "figure déjà ligne 3" in m for line, column, m in messages)


def test_parents_relation_and_duplicates() -> None:
    parsed = parse(
        "parents",
        parents_csv(
            [["4512", "Teyssedou", "Nadia", "Mère", "nadia@example.fr"], ["4512", "Teyssedou", "Marc", "PÈRE", ""]]
        ),
    )
    assert [r.relation for r in parsed.rows] == ["mother", "father"]
    problems = problems_of(
        "parents",
        parents_csv(
            [
                ["4512", "Teyssedou", "Nadia", "tante", ""],
                ["4513", "Teyssedou", "Nadia", "mère", ""],
                ["4513", "TEYSSEDOU", "nadia", "mère", ""],
            ]
        ),
    )
    assert problems[0].column == "Lien"
    assert "mère, père ou autre" in problems[0].message
    assert problems[1].line == 4
    assert "figure déjà ligne 3" in problems[1].message


def test_placeholder_address_refused() -> None:
    [problem] = problems_of("parents", parents_csv([["1", "A", "B", "mère", "hugo@ent.invalid"]]))
    assert problem.column == "Adresse électronique"


def test_template_rows_parse_back() -> None:
    for kind in imports.KINDS:
        parsed = parse(kind, csv_bytes(imports.template_rows(kind)))
        assert len(parsed.rows) == len(imports.template_rows(kind)) - 1
