"""CSV files that open as-is in a French spreadsheet, and never run a formula.

Every CSV export goes through :func:`csv_response` (or :func:`csv_text`): ``;``-separated,
``\\r\\n`` line ends, UTF-8 with a BOM (so the spreadsheet reads the accents right), decimal
comma. Each cell goes through :func:`safe_cell`: a text that starts like a formula gets a
leading ``'`` (OWASP "CSV injection"), while a number, even a negative one, stays a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, Literal, overload

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

BOM = "\ufeff"
DELIMITER = ";"
LINE_END = "\r\n"
CONTENT_TYPE = "text/csv; charset=utf-8"
# A spreadsheet may read a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class NumberText(str):
    """A number already written the French way (``-12,50``): a number, not text, never quoted."""

    __slots__ = ()


def decimal_fr(value: Decimal | int, places: int = 2) -> NumberText:
    """``Decimal("-1234.5")`` -> ``-1234,50``: fixed places, decimal comma, no thousands separator."""
    return NumberText(f"{Decimal(value):.{places}f}".replace(".", ","))


def safe_cell(value: Any) -> str:
    """The text of a cell: ``None`` is empty, a number keeps its sign (decimal comma), a text
    starting with ``= + - @``, a tab or a carriage return gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, NumberText):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value:f}".replace(".", ",")  # "f": never an exponent ("1E+2")
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    """A file that hands back what is written to it: ``csv.writer`` then returns each line."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The BOM, then one line per row, each cell through :func:`safe_cell`."""
    writer = csv.writer(_Echo(), delimiter=DELIMITER, lineterminator=LINE_END)
    yield BOM
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """The whole file as one string (BOM included)."""
    return "".join(csv_lines(rows))


@overload
def csv_response(filename: str, rows: Iterable[Iterable[Any]], *, stream: Literal[False] = False) -> HttpResponse: ...


@overload
def csv_response(filename: str, rows: Iterable[Iterable[Any]], *, stream: Literal[True]) -> StreamingHttpResponse: ...


def csv_response(
    filename: str, rows: Iterable[Iterable[Any]], *, stream: bool = False
) -> HttpResponse | StreamingHttpResponse:
    """The file to download as ``filename``. With ``stream``, lines are sent while ``rows`` is
    read (long exports: a queryset's ``iterator()`` is then never held in memory)."""
    response: HttpResponse | StreamingHttpResponse
    if stream:
        response = StreamingHttpResponse(csv_lines(rows), content_type=CONTENT_TYPE)
    else:
        response = HttpResponse(csv_text(rows), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
