"""Reading the CSV files that collèges export from their administration software (SIECLE /
STS-web, ONDE-like exports, or a spreadsheet saved as CSV): students, teachers with their
subjects and classes, and parents ("responsables légaux").

This module only reads and checks: it never writes. ``parse(kind, data)`` turns the bytes
of a file into typed rows or raises ``ImportFileError`` (every problem with its line, column
and what is wrong, in French); ``services.provisioning`` then checks the rows against the
school (classes, subjects, pupils) and writes them in one transaction.

What is accepted (docs/ent-imports.md shows examples):

- UTF-8 with or without BOM, or Latin-1 / Windows-1252 (what Excel saves in France);
- ``;`` (French Excel), ``,`` or tab between columns, detected from the header line;
- header names compared without accents, case or punctuation ("Numéro élève",
  "NUMERO ELEVE", "numero_eleve" are the same column), with a few synonyms used by the
  schools' software ("Division" for "Classe", "Mail" for "Adresse électronique"...);
- columns not needed are ignored (and named in the preview): a full SIECLE export with
  birth dates or addresses can be sent as is, nothing of it is kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cybercantal.core.text import normalise

MAX_BYTES = 2 * 1024 * 1024  # a school of 1,500 pupils with every SIECLE column is ~600 kB
MAX_ROWS = 5000
MAX_CELL = 200
MAX_PROBLEMS_SHOWN = 200

STUDENTS = "students"
TEACHERS = "teachers"
PARENTS = "parents"
KINDS = (STUDENTS, TEACHERS, PARENTS)
# The slugs of the template URLs (``/ent/imports/modele-<slug>.csv``).
KIND_SLUGS = {"eleves": STUDENTS, "enseignants": TEACHERS, "responsables": PARENTS}
SLUG_OF_KIND = {kind: slug for slug, kind in KIND_SLUGS.items()}

_SPLIT = re.compile(r"[|,;\n]")


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the header of the template, as shown to people
    required: bool
    aliases: tuple[str, ...] = ()
    help: Any = ""  # for the documentation page and the form's help


COLUMNS: dict[str, tuple[Column, ...]] = {
    STUDENTS: (
        Column(
            "external_id",
            "Numéro élève",
            True,
            (
                "numero eleve",
                "n eleve",
                "no eleve",
                "num eleve",
                "id eleve",
                "identifiant eleve",
                "elenoet",
                "identifiant",
                "numero",
            ),
            gettext_lazy("L'identifiant de l'élève dans le logiciel de l'établissement (ELENOET de SIECLE)."),
        ),
        Column("last_name", "Nom", True, ("nom", "nom de famille", "nom d usage", "nom eleve")),
        Column("first_name", "Prénom", True, ("prenom", "prenom 1", "prenom eleve", "premier prenom")),
        Column("class_name", "Classe", True, ("classe", "division", "div", "classe actuelle")),
        Column("groups", "Groupes", False, ("groupes", "groupe", "groupes eleve")),
        Column("left_on", "Date de sortie", False, ("date de sortie", "sortie", "date sortie")),
    ),
    TEACHERS: (
        Column(
            "external_id",
            "Identifiant",
            True,
            ("identifiant", "id", "numero", "numen", "identifiant enseignant", "id enseignant", "numero enseignant"),
        ),
        Column("last_name", "Nom", True, ("nom", "nom de famille", "nom d usage")),
        Column("first_name", "Prénom", True, ("prenom",)),
        Column(
            "email",
            "Adresse électronique",
            True,
            ("adresse electronique", "adresse mail", "mail", "email", "e mail", "courriel", "adresse email", "mel"),
        ),
        Column("subjects", "Matières", False, ("matieres", "matiere", "disciplines", "discipline")),
        Column("classes", "Classes", True, ("classes", "classe", "divisions", "services", "classes et groupes")),
        Column(
            "main_classes",
            "Professeur principal",
            False,
            ("professeur principal", "prof principal", "pp", "professeur principal de"),
        ),
    ),
    PARENTS: (
        Column(
            "student_external_id",
            "Numéro élève",
            True,
            ("numero eleve", "n eleve", "no eleve", "num eleve", "id eleve", "identifiant eleve", "elenoet"),
        ),
        Column("last_name", "Nom", True, ("nom", "nom responsable", "nom de famille", "nom d usage")),
        Column("first_name", "Prénom", True, ("prenom", "prenom responsable")),
        Column("relation", "Lien", True, ("lien", "lien de parente", "lien avec l eleve", "qualite", "parente")),
        Column(
            "email",
            "Adresse électronique",
            False,
            ("adresse electronique", "adresse mail", "mail", "email", "e mail", "courriel", "adresse email", "mel"),
        ),
    ),
}

EXAMPLES: dict[str, list[list[str]]] = {
    STUDENTS: [
        ["Numéro élève", "Nom", "Prénom", "Classe", "Groupes", "Date de sortie"],
        ["4512", "Teyssedou", "Hugo", "5e B", "Latin 5e|Anglais G1", ""],
        ["4513", "Vermenouze", "Léa", "5e B", "Anglais G2", ""],
        ["4390", "Delort", "Mathis", "4e A", "", "15/03/2027"],
    ],
    TEACHERS: [
        ["Identifiant", "Nom", "Prénom", "Adresse électronique", "Matières", "Classes", "Professeur principal"],
        ["E102", "Bonnefoy", "Claire", "claire.bonnefoy@ac-clermont.fr", "MATHS", "5e B|4e A", "5e B"],
        ["E117", "Rouchy", "Paul", "paul.rouchy@ac-clermont.fr", "", "5e B:HIST-GEO|5e B:EMC|Latin 5e:LATIN", ""],
    ],
    PARENTS: [
        ["Numéro élève", "Nom", "Prénom", "Lien", "Adresse électronique"],
        ["4512", "Teyssedou", "Nadia", "mère", "nadia.teyssedou@example.fr"],
        ["4512", "Teyssedou", "Marc", "père", ""],
        ["4513", "Vermenouze", "Josette", "autre", ""],
    ],
}

RELATIONS = {
    "mere": "mother",
    "maman": "mother",
    "mother": "mother",
    "pere": "father",
    "papa": "father",
    "father": "father",
    "autre": "guardian",
    "tuteur": "guardian",
    "tutrice": "guardian",
    "tuteur legal": "guardian",
    "responsable legal": "guardian",
    "autre responsable": "guardian",
    "autre responsable legal": "guardian",
    "guardian": "guardian",
    "grand mere": "guardian",
    "grand pere": "guardian",
}


# --- rows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudentRow:
    line: int
    external_id: str
    last_name: str
    first_name: str
    class_name: str
    groups: tuple[str, ...] = ()
    left_on: dt.date | None = None


@dataclass(frozen=True)
class TeachingCell:
    class_name: str
    subject: str  # a code or a name; "" when the "Matières" column must tell


@dataclass(frozen=True)
class TeacherRow:
    line: int
    external_id: str
    last_name: str
    first_name: str
    email: str
    subjects: tuple[str, ...] = ()
    teachings: tuple[TeachingCell, ...] = ()
    main_classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParentRow:
    line: int
    student_external_id: str
    last_name: str
    first_name: str
    relation: str  # ParentLink.Relation value
    email: str = ""


Row = StudentRow | TeacherRow | ParentRow


@dataclass(frozen=True)
class Problem:
    """One thing wrong: ``line`` 0 is the whole file, ``column`` "" no column in particular."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.line and self.column:
            return _("Ligne %(line)s, colonne « %(column)s » : %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        if self.line:
            return _("Ligne %(line)s : %(message)s") % {"line": self.line, "message": self.message}
        return self.message


class ImportFileError(ValidationError):
    """The file cannot be imported; ``problems`` lists every reason, by line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.column))
        super().__init__([str(p) for p in self.problems[:MAX_PROBLEMS_SHOWN]], code="import")


@dataclass
class Parsed:
    kind: str
    rows: list[Any]
    delimiter: str
    encoding: str
    ignored_columns: list[str] = field(default_factory=list)


# --- reading the bytes ------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text of the file and the encoding found: UTF-8 (BOM removed) or Windows-1252 /
    Latin-1. Refuses binary files (a spreadsheet not saved as CSV)."""
    if not data.strip():
        raise ImportFileError([Problem(0, "", _("Le fichier est vide."))])
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ImportFileError(
            [
                Problem(
                    0,
                    "",
                    _(
                        "Ce fichier est un classeur Excel ou LibreOffice, pas un fichier CSV : ouvrez-le et "
                        "choisissez « Enregistrer sous… » puis le format « CSV (séparateur : point-virgule) »."
                    ),
                )
            ]
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise ImportFileError([Problem(0, "", _("Ce fichier n'est pas un fichier texte CSV."))])
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        encoding = "UTF-8 (BOM)"
    else:
        encoding = "UTF-8"
    try:
        return data.decode("utf-8"), encoding
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "ISO-8859-1"


def sniff_delimiter(header_line: str) -> str:
    """The separator used in the header line: the most frequent of ``;``, tab and ``,``."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", "\t", ",")}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ";"


def header_key(text: str) -> str:
    return normalise(text).strip()


def _match_headers(kind: str, headers: list[str]) -> tuple[dict[str, int], list[Problem], list[str]]:
    """Which column of the file is which field; problems for missing or doubled columns."""
    problems: list[Problem] = []
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, raw in enumerate(headers):
        key = header_key(raw)
        if not key:
            continue
        found = None
        for column in COLUMNS[kind]:
            if key == header_key(column.label) or key in column.aliases:
                found = column
                break
        if found is None:
            ignored.append(raw.strip())
            continue
        if found.key in positions:
            problems.append(
                Problem(
                    1,
                    raw.strip(),
                    _("la colonne « %(label)s » apparaît deux fois : gardez-en une seule.") % {"label": found.label},
                )
            )
            continue
        positions[found.key] = index
    missing = [column.label for column in COLUMNS[kind] if column.required and column.key not in positions]
    if missing:
        expected = " ; ".join(column.label for column in COLUMNS[kind])
        problems.append(
            Problem(
                1,
                "",
                _(
                    "colonnes manquantes : %(missing)s. "
                    "La première ligne doit donner les noms des colonnes : %(expected)s."
                )
                % {"missing": ", ".join(f"« {m} »" for m in missing), "expected": expected},
            )
        )
    return positions, problems, ignored


# --- cells ------------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """Spaces trimmed and collapsed; control characters removed."""
    return " ".join("".join(ch for ch in value if ch.isprintable() or ch in " \t").split())


def split_list(value: str) -> list[str]:
    """``"Latin 5e|Anglais G1"`` or ``"Latin 5e, Anglais G1"`` -> two names."""
    return [item for item in (clean_text(part) for part in _SPLIT.split(value)) if item]


DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")


def parse_date(value: str) -> dt.date:
    for date_format in DATE_FORMATS:
        try:
            day = dt.datetime.strptime(value, date_format).date()  # noqa: DTZ007 - a calendar day
        except ValueError:
            continue
        if 1990 <= day.year <= 2100:
            return day
    raise ValueError(value)


def parse_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254:
        raise ValueError(email)
    validate_email(email)
    if email.endswith(".invalid"):
        raise ValueError(email)
    return email


def relation_of(value: str) -> str | None:
    return RELATIONS.get(header_key(value))


def _teaching_cells(value: str) -> list[TeachingCell]:
    """``"5e B:MATHS|4e A:MATHS"`` -> cells; ``"5e B|4e A"`` -> cells whose subject comes from
    the "Matières" column. The separator between class and subject is ``:`` (or ``/``)."""
    cells = []
    for item in split_list(value):
        class_name, _sep, subject = _cut(item)
        cells.append(TeachingCell(clean_text(class_name), clean_text(subject)))
    return cells


def _cut(item: str) -> tuple[str, str, str]:
    for separator in (":", "/"):
        if separator in item:
            left, right = item.split(separator, 1)
            return left, separator, right
    return item, "", ""


# --- parsing ----------------------------------------------------------------------------------


def parse(kind: str, data: bytes) -> Parsed:
    """The rows of a file of ``kind`` (``students``, ``teachers``, ``parents``), or
    ``ImportFileError`` listing every problem of the file (nothing is imported then)."""
    if kind not in KINDS:
        raise ImportFileError([Problem(0, "", _("Type d'import inconnu."))])
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            [
                Problem(
                    0,
                    "",
                    _("Le fichier pèse %(size)s ko : le maximum est %(max)s ko. Envoyez-le en plusieurs parties.")
                    % {"size": len(data) // 1024, "max": MAX_BYTES // 1024},
                )
            ]
        )
    text, encoding = decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        raise ImportFileError([Problem(0, "", _("Le fichier est vide."))])
    delimiter = sniff_delimiter(lines[header_index])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        records = [(reader.line_num, record) for record in reader]
    except csv.Error as exc:
        raise ImportFileError(
            [Problem(reader.line_num, "", _("ligne illisible (guillemet non fermé ?) : %(error)s") % {"error": exc})]
        ) from exc
    records = [(line, record) for line, record in records if any(cell.strip() for cell in record)]
    if not records:
        raise ImportFileError([Problem(0, "", _("Le fichier est vide."))])
    header_line, headers = records[0]
    positions, problems, ignored = _match_headers(kind, headers)
    if problems:
        raise ImportFileError([Problem(header_line, p.column, p.message) for p in problems])
    body = records[1:]
    if not body:
        raise ImportFileError([Problem(0, "", _("Le fichier ne contient que la ligne des noms de colonnes."))])
    if len(body) > MAX_ROWS:
        raise ImportFileError(
            [
                Problem(
                    0,
                    "",
                    _("Le fichier a %(count)s lignes : le maximum est %(max)s. Envoyez-le en plusieurs parties.")
                    % {"count": len(body), "max": MAX_ROWS},
                )
            ]
        )
    labels = {column.key: column.label for column in COLUMNS[kind]}
    rows: list[Any] = []
    for line, record in body:
        cells: dict[str, str] = {}
        row_problems: list[Problem] = []
        for key, position in positions.items():
            raw = record[position] if position < len(record) else ""
            value = clean_text(raw)
            if len(value) > MAX_CELL:
                row_problems.append(Problem(line, labels[key], _("%(max)s caractères au plus.") % {"max": MAX_CELL}))
                value = value[:MAX_CELL]
            cells[key] = value
        row = _ROW_BUILDERS[kind](line, cells, labels, row_problems)
        problems += row_problems
        if row is not None and not row_problems:
            rows.append(row)
    problems += _duplicates(kind, rows, labels)
    if problems:
        raise ImportFileError(problems)
    return Parsed(kind=kind, rows=rows, delimiter=delimiter, encoding=encoding, ignored_columns=ignored)


def _required(cells: dict[str, str], key: str, line: int, labels: dict[str, str], problems: list[Problem]) -> str:
    value = cells.get(key, "")
    if not value:
        problems.append(Problem(line, labels[key], _("cette case est vide.")))
    return value


def _name(cells: dict[str, str], key: str, line: int, labels: dict[str, str], problems: list[Problem]) -> str:
    value = _required(cells, key, line, labels, problems)
    if value and len(value) > 100:
        problems.append(Problem(line, labels[key], _("100 caractères au plus.")))
    if value and not any(ch.isalpha() for ch in value):
        problems.append(Problem(line, labels[key], _("« %(value)s » n'est pas un nom.") % {"value": value}))
    return value


def _identifier(cells: dict[str, str], key: str, line: int, labels: dict[str, str], problems: list[Problem]) -> str:
    value = _required(cells, key, line, labels, problems)
    if len(value) > 40:
        problems.append(Problem(line, labels[key], _("40 caractères au plus.")))
    return value


def _student_row(line: int, cells: dict[str, str], labels: dict[str, str], problems: list[Problem]) -> StudentRow:
    external_id = _identifier(cells, "external_id", line, labels, problems)
    last_name = _name(cells, "last_name", line, labels, problems)
    first_name = _name(cells, "first_name", line, labels, problems)
    class_name = _required(cells, "class_name", line, labels, problems)
    left_on = None
    if cells.get("left_on"):
        try:
            left_on = parse_date(cells["left_on"])
        except ValueError:
            problems.append(
                Problem(
                    line,
                    labels["left_on"],
                    _("« %(value)s » n'est pas une date : écrivez-la jj/mm/aaaa, par exemple 05/07/2027.")
                    % {"value": cells["left_on"]},
                )
            )
    groups = tuple(dict.fromkeys(split_list(cells.get("groups", ""))))
    return StudentRow(line, external_id, last_name, first_name, class_name, groups, left_on)


def _teacher_row(line: int, cells: dict[str, str], labels: dict[str, str], problems: list[Problem]) -> TeacherRow:
    external_id = _identifier(cells, "external_id", line, labels, problems)
    last_name = _name(cells, "last_name", line, labels, problems)
    first_name = _name(cells, "first_name", line, labels, problems)
    email = _required(cells, "email", line, labels, problems)
    if email:
        try:
            email = parse_email(email)
        except (ValueError, ValidationError):
            problems.append(
                Problem(
                    line,
                    labels["email"],
                    _("« %(value)s » n'est pas une adresse électronique valide (exemple : prenom.nom@ac-clermont.fr).")
                    % {"value": email},
                )
            )
    subjects = tuple(dict.fromkeys(split_list(cells.get("subjects", ""))))
    teachings = tuple(dict.fromkeys(_teaching_cells(_required(cells, "classes", line, labels, problems))))
    for cell in teachings:
        if not cell.class_name:
            problems.append(Problem(line, labels["classes"], _("un nom de classe manque avant « : ».")))
        elif not cell.subject and len(subjects) != 1:
            problems.append(
                Problem(
                    line,
                    labels["classes"],
                    _(
                        "pour « %(class)s », précisez la matière : « %(class)s:MATHS » (ou une seule matière dans "
                        "la colonne « Matières »)."
                    )
                    % {"class": cell.class_name},
                )
            )
    teachings = tuple(
        TeachingCell(cell.class_name, cell.subject or (subjects[0] if len(subjects) == 1 else "")) for cell in teachings
    )
    main_classes = tuple(dict.fromkeys(split_list(cells.get("main_classes", ""))))
    if any(header_key(name) in {"oui", "o", "x", "1", "yes"} for name in main_classes):
        problems.append(
            Problem(
                line,
                labels["main_classes"],
                _("écrivez le nom de la classe dont l'enseignant est professeur principal (par exemple « 5e B »)."),
            )
        )
    return TeacherRow(line, external_id, last_name, first_name, email, subjects, teachings, main_classes)


def _parent_row(line: int, cells: dict[str, str], labels: dict[str, str], problems: list[Problem]) -> ParentRow:
    student_external_id = _identifier(cells, "student_external_id", line, labels, problems)
    last_name = _name(cells, "last_name", line, labels, problems)
    first_name = _name(cells, "first_name", line, labels, problems)
    relation_text = _required(cells, "relation", line, labels, problems)
    relation = relation_of(relation_text) if relation_text else None
    if relation_text and relation is None:
        problems.append(
            Problem(
                line, labels["relation"], _("« %(value)s » : écrivez mère, père ou autre.") % {"value": relation_text}
            )
        )
    email = cells.get("email", "")
    if email:
        try:
            email = parse_email(email)
        except (ValueError, ValidationError):
            problems.append(
                Problem(
                    line,
                    labels["email"],
                    _(
                        "« %(value)s » n'est pas une adresse électronique valide "
                        "(laissez la case vide si vous ne l'avez pas)."
                    )
                    % {"value": email},
                )
            )
    return ParentRow(line, student_external_id, last_name, first_name, relation or "guardian", email)


_ROW_BUILDERS = {STUDENTS: _student_row, TEACHERS: _teacher_row, PARENTS: _parent_row}


def _duplicates(kind: str, rows: list[Any], labels: dict[str, str]) -> list[Problem]:
    """The same person twice in the file (the second line is reported)."""
    problems = []
    seen: dict[Any, int] = {}
    emails: dict[str, int] = {}
    for row in rows:
        if kind == PARENTS:
            key: Any = (header_key(row.student_external_id), header_key(row.last_name), header_key(row.first_name))
            column = labels["last_name"]
            message = _("ce responsable de l'élève %(id)s figure déjà ligne %(line)s.")
        else:
            key = header_key(row.external_id)
            column = labels["external_id"]
            message = _("l'identifiant « %(id)s » figure déjà ligne %(line)s.")
        if key in seen:
            problems.append(
                Problem(
                    row.line,
                    column,
                    message
                    % {
                        "id": getattr(row, "external_id", getattr(row, "student_external_id", "")),
                        "line": seen[key],
                    },
                )
            )
        else:
            seen[key] = row.line
        if kind == TEACHERS and row.email:
            if row.email in emails:
                problems.append(
                    Problem(
                        row.line,
                        labels["email"],
                        _("l'adresse %(email)s figure déjà ligne %(line)s.")
                        % {"email": row.email, "line": emails[row.email]},
                    )
                )
            else:
                emails[row.email] = row.line
    return problems


def template_rows(kind: str) -> list[list[str]]:
    """The header and example lines of the template file of ``kind``."""
    return EXAMPLES[kind]
