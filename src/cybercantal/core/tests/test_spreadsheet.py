"""The CSV writer shared by the exports: formula cells quoted, numbers left alone, French format."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy

from cybercantal.core.spreadsheet import csv_lines, csv_response, csv_text, decimal_fr, safe_cell


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x")', "+33 4 71 00 00 00", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "=", "-"],
)
def test_text_that_may_be_a_formula_is_quoted(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["EPN du Pays Vert", "Commune d'Ydes", " =1+1", "'=1", "", "3 - 2", "a=b"])
def test_ordinary_text_is_left_as_is(text):
    assert safe_cell(text) == text


def test_none_is_an_empty_cell():
    assert safe_cell(None) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-12, "-12"),
        (0, "0"),
        (Decimal("-12.50"), "-12,50"),
        (Decimal("3.3"), "3,3"),
        (Decimal("1E+2"), "100"),
        (-1.5, "-1,5"),
        (decimal_fr(Decimal("-12.5")), "-12,50"),
    ],
)
def test_numbers_are_not_text_and_keep_their_sign(value, expected):
    assert safe_cell(value) == expected


def test_other_values_are_their_text():
    assert safe_cell(dt.date(2025, 3, 3)) == "2025-03-03"
    assert safe_cell(gettext_lazy("Total")) == "Total"
    assert safe_cell(True) == "True"


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Decimal("1234.5"), 2, "1234,50"),
        (Decimal("-12.5"), 2, "-12,50"),
        (Decimal("0"), 2, "0,00"),
        (15000, 2, "15000,00"),
        (Decimal("33.333"), 1, "33,3"),
        (Decimal("2.5"), 0, "2"),  # the decimal module's default rounding (half-even), as before
    ],
)
def test_decimal_fr(value, places, expected):
    assert decimal_fr(value, places=places) == expected


def test_a_typed_minus_number_is_still_text():
    """Only a number the code formatted itself escapes the quote: a typed ``-12,50`` is text."""
    assert safe_cell("-12,50") == "'-12,50"


ROWS = [
    ["Lieu", "Montant"],
    ["=cmd|' /C calc'!A0", Decimal("-12.50")],
    ['Salle; bureau "B"', None],
]


def test_text_has_bom_separator_crlf_and_safe_cells():
    text = csv_text(ROWS)
    assert text.startswith("\ufeff")
    assert text == '\ufeffLieu;Montant\r\n\'=cmd|\' /C calc\'!A0;-12,50\r\n"Salle; bureau ""B""";\r\n'
    parsed = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert parsed == [["Lieu", "Montant"], ["'=cmd|' /C calc'!A0", "-12,50"], ['Salle; bureau "B"', ""]]


def test_response_is_an_attachment_in_utf8_with_bom():
    response = csv_response("essai-2025.csv", ROWS)
    assert isinstance(response, HttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="essai-2025.csv"'
    assert response.content.startswith("\ufeff".encode())
    assert response.content.decode("utf-8-sig") == csv_text(ROWS)[1:]


def test_streaming_response_reads_the_rows_while_sending():
    read = []

    def rows():
        for index in range(3):
            read.append(index)
            yield [f"=ligne {index}", index]

    response = csv_response("long.csv", rows(), stream=True)
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == 'attachment; filename="long.csv"'
    assert read == []  # nothing read before the response is sent
    chunks = list(response.streaming_content)
    assert read == [0, 1, 2]
    assert b"".join(chunks).decode("utf-8") == "\ufeff'=ligne 0;0\r\n'=ligne 1;1\r\n'=ligne 2;2\r\n"
    assert len(chunks) == 4  # the BOM, then one chunk per line


def test_lines_of_no_rows_is_just_the_bom():
    assert list(csv_lines([])) == ["\ufeff"]
