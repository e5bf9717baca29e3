"""Helpers of the provisioning tests: CSV files as the schools' software writes them."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import SchoolClass
from .factories import SchoolClassFactory

STUDENT_HEADER = ["Numéro élève", "Nom", "Prénom", "Classe", "Groupes", "Date de sortie"]
TEACHER_HEADER = ["Identifiant", "Nom", "Prénom", "Adresse électronique", "Matières", "Classes", "Professeur principal"]
PARENT_HEADER = ["Numéro élève", "Nom", "Prénom", "Lien", "Adresse électronique"]


def csv_bytes(
    rows: Sequence[Sequence[str]], *, delimiter: str = ";", encoding: str = "utf-8", bom: bool = False
) -> bytes:
    text = "\r\n".join(delimiter.join(cell for cell in row) for row in rows) + "\r\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def students_csv(rows: Sequence[Sequence[str]], **kwargs: object) -> bytes:
    return csv_bytes([STUDENT_HEADER, *rows], **kwargs)  # type: ignore[arg-type]


def teachers_csv(rows: Sequence[Sequence[str]], **kwargs: object) -> bytes:
    return csv_bytes([TEACHER_HEADER, *rows], **kwargs)  # type: ignore[arg-type]


def parents_csv(rows: Sequence[Sequence[str]], **kwargs: object) -> bytes:
    return csv_bytes([PARENT_HEADER, *rows], **kwargs)  # type: ignore[arg-type]


def group(school, name: str = "Latin 5e") -> SchoolClass:  # type: ignore[no-untyped-def]
    return SchoolClassFactory(school=school, name=name, kind=SchoolClass.Kind.GROUP, level="")


def pupil_rows(count: int, class_name: str = "5e B", start: int = 1000) -> list[list[str]]:
    """``count`` pupils with made-up names (never real commune names)."""
    return [[str(start + i), f"Nomtest{i}", f"Prénomtest{i}", class_name, "", ""] for i in range(count)]
