"""Coverage data and the eligibility check (issue 7 §2). CONTRACT used by other parts:

``eligibility_check(*, programme, commune, address="") -> EligibilityResult``
    The answer for premises at ``address`` (free text: "12 route du Bourg", may be empty) in
    ``commune`` (a current ``Commune`` of the département), under ``programme``'s coverage rule,
    from the current ``CoverageEdition``. Never raises for unknown addresses: the answer is then
    ``to_check`` with an explanation. ``result.snapshot()`` is the JSON dict stored on the
    application (``Application.eligibility_snapshot``) with the answer, explanation, basis,
    the data behind it and the edition.

``coverage_import(*, actor, quarter, communes=None, buildings=None, eligibility=None)``
    Imports the ARCEP « Ma connexion internet » files of one quarterly edition (see
    ``grants/data/arcep/LISEZMOI.md`` for the columns): the per-commune statistics
    (``commune_debit_filaire.csv``), the buildings (``base_imb_<dep>.csv``) and their
    eligibility per operator and technology (``actuel_<dep>.csv``). Everything or nothing: a
    bad file raises ``CoverageImportError`` with a French report line by line, and the
    database is left as it was. The imported edition becomes the current one.

How the rule reads the data: the *best wired class* of a building is the fastest download
class among its wired lines (fibre ``FO``, copper ``CU``, cable ``COAX``); a building with no
wired line at all is ``INEL``. Satellite, fixed 4G and radio lines are read and checked but do
not count: the aid exists precisely for premises that only have those.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import itertools
import math
import re
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.text import normalise
from cybercantal.territory.models import Commune

from ..models import (
    SPEED_RANK,
    Building,
    CommuneCoverage,
    CoverageEdition,
    EligibilityAnswer,
    GrantProgramme,
    SpeedClass,
)

# --- The eligibility result (contract) -----------------------------------------------------------


@dataclass(frozen=True)
class EligibilityResult:
    answer: str  # EligibilityAnswer value
    explanation: str  # French, one or two sentences, shown at once to the applicant
    basis: str  # "building" (per-building data), "commune" (commune statistics), "none", "rule_off"
    edition: str  # "2026T2", "" when no data
    data: dict[str, Any] = field(default_factory=dict)  # what the answer rests on (classes, counts, imb_id...)
    checked_at: str = ""

    @property
    def label(self) -> str:
        return str(EligibilityAnswer(self.answer).label)

    def snapshot(self) -> dict[str, Any]:
        return asdict(self)


# --- Vocabulary of the ARCEP files -------------------------------------------------------------------

# Wired technologies: the only ones the rule looks at.
WIRED_TECHNOLOGIES: dict[str, str] = {
    "FO": "la fibre optique",
    "COAX": "le câble",
    "CU": "le cuivre (ADSL, VDSL)",
}
# Known, checked, not counted (the aid pays for satellite precisely where there is no wire).
OTHER_TECHNOLOGIES: dict[str, str] = {
    "SAT": "le satellite",
    "4GF": "la 4G fixe",
    "THDR": "le très haut débit radio",
    "HDR": "le haut débit radio",
}
CLASS_CODES: tuple[str, ...] = tuple(SpeedClass.values)  # slowest first

# The speed a class starts at, for sentences ("n'ont pas 3 Mbit/s en filaire").
CLASS_LOWER_BOUND: dict[str, str] = {
    "HD3": "3 Mbit/s",
    "BHD8": "8 Mbit/s",
    "THD30": "30 Mbit/s",
    "THD100": "100 Mbit/s",
    "THD1G": "1 Gbit/s",
}

# Cumulative columns of ``commune_debit_filaire.csv``: premises with at least that class.
CUMULATIVE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("elig_hd3", "HD3"),
    ("elig_bhd8", "BHD8"),
    ("elig_thd30", "THD30"),
    ("elig_thd100", "THD100"),
    ("elig_thd1g", "THD1G"),
)
# The other shape accepted: one column per class (premises whose best class is that one).
PER_CLASS_COLUMNS: tuple[tuple[str, str], ...] = tuple((code.lower(), code) for code in CLASS_CODES)

COMMUNE_REQUIRED = ("code_insee", "nbr")
BUILDING_REQUIRED = ("imb_id", "imb_code_insee", "imb_nbr_logloc", "addr_numero", "addr_nom_voie")
ELIGIBILITY_REQUIRED = ("imb_id", "code_techno", "classe_debit_descendant")

BATCH_SIZE = 5000
MAX_ISSUES = 200  # listed in the report; the count goes on beyond
QUARTER_RE = re.compile(r"^[0-9]{4}T[1-4]$")
EARTH_RADIUS_M = 6378137.0  # EPSG:3857


class CoverageImportError(ValidationError):
    """The files were refused: nothing was imported. ``issues`` says where and why."""

    def __init__(self, issues: list[ImportIssue], *, total: int | None = None) -> None:
        self.issues = issues
        self.total = total if total is not None else len(issues)
        messages = [issue.text() for issue in issues] or [_("Les fichiers ont été refusés.")]
        super().__init__(messages, code="coverage_import")

    @property
    def summary(self) -> str:
        return _("%(count)s problème(s) : rien n'a été importé, l'édition en vigueur n'a pas changé.") % {
            "count": self.total
        }


@dataclass(frozen=True)
class ImportIssue:
    file: str
    line: int | None  # 1 = the header line
    message: str
    column: str = ""
    value: str = ""

    def text(self) -> str:
        if self.line is None:
            return f"{self.file} : {self.message}"
        return _("%(file)s, ligne %(line)s : %(message)s") % {
            "file": self.file,
            "line": self.line,
            "message": self.message,
        }


@dataclass
class ImportReport:
    quarter: str
    replaced: bool = False
    communes: int = 0
    buildings: int = 0
    eligibility_lines: int = 0
    derived_communes: bool = False
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [
            _("Édition %(quarter)s %(what)s, désormais en vigueur.")
            % {"quarter": self.quarter, "what": _("remplacée") if self.replaced else _("importée")}
        ]
        if self.communes:
            out.append(
                _("%(n)s communes (statistiques%(derived)s).")
                % {
                    "n": self.communes,
                    "derived": _(" calculées d'après les immeubles") if self.derived_communes else "",
                }
            )
        if self.buildings:
            out.append(
                _("%(n)s immeubles, %(lines)s lignes d'éligibilité.")
                % {"n": self.buildings, "lines": self.eligibility_lines}
            )
        out.extend(self.warnings)
        out.append(_("Durée : %(s).1f s.") % {"s": self.seconds})
        return out


@dataclass
class CoverageFile:
    """One file to import: its name (for the report) and its bytes (binary, seekable)."""

    name: str
    handle: IO[bytes]
    owned: bool = False  # opened here (from a path): closed after the import

    @classmethod
    def from_path(cls, path: Path | str) -> CoverageFile:
        path = Path(path)
        return cls(name=path.name, handle=path.open("rb"), owned=True)

    @classmethod
    def from_bytes(cls, name: str, content: bytes) -> CoverageFile:
        return cls(name=name, handle=io.BytesIO(content))


def _as_file(source: CoverageFile | Path | str | Any | None) -> CoverageFile | None:
    if source is None or isinstance(source, CoverageFile):
        return source
    if isinstance(source, Path | str):
        return CoverageFile.from_path(source)
    # An uploaded file (Django's UploadedFile) or any binary file object with a name.
    return CoverageFile(name=Path(getattr(source, "name", "") or "fichier.csv").name, handle=source)


# --- Reading CSV files: gzip, encoding, separator, header ---------------------------------------


class _Issues:
    """Collects the problems of an import (the first ``MAX_ISSUES`` are kept, all are counted)."""

    def __init__(self) -> None:
        self.kept: list[ImportIssue] = []
        self.total = 0

    def add(self, file: str, line: int | None, message: str, *, column: str = "", value: str = "") -> None:
        self.total += 1
        if len(self.kept) < MAX_ISSUES:
            self.kept.append(ImportIssue(file, line, message, column, str(value)[:80]))

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self) -> None:
        if self.total:
            raise CoverageImportError(self.kept, total=self.total)


class _FileRefusedError(Exception):
    """The whole file is unreadable (encoding, compression, header): one issue, no rows."""


@dataclass
class _Table:
    name: str
    columns: dict[str, int]  # lower-case header -> index
    rows: Iterator[tuple[int, list[str]]]  # (line number, cells)
    encoding: str
    separator: str


def _binary_stream(file: CoverageFile) -> IO[bytes]:
    handle = file.handle
    handle.seek(0)
    magic = handle.read(2)
    handle.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[return-value]
    return handle


def _detect_encoding(stream: IO[bytes]) -> str:
    """UTF-8 when every byte decodes as UTF-8, else Latin-1. NUL bytes mean UTF-16 or binary."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    encoding = "utf-8"
    try:
        while chunk := stream.read(1 << 20):
            if b"\x00" in chunk:
                raise _FileRefusedError(
                    _(
                        "ce n'est pas un fichier CSV en texte (UTF-8 ou Latin-1) : il contient des octets nuls "
                        "(UTF-16 ou fichier binaire ?). Enregistrez-le en CSV UTF-8."
                    )
                )
            if encoding == "utf-8":
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    encoding = "latin-1"
        if encoding == "utf-8":
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        encoding = "latin-1"
    except (OSError, EOFError, zlib.error) as exc:
        raise _FileRefusedError(_("le fichier compressé (gzip) est abîmé ou incomplet.")) from exc
    stream.seek(0)
    return encoding


def _release(text: io.TextIOWrapper) -> None:
    """Detach the text layer without closing the caller's file (an upload is read again)."""
    with contextlib.suppress(ValueError):  # already detached
        text.detach()


def _open_table(file: CoverageFile, required: Iterable[str]) -> _Table:
    stream = _binary_stream(file)
    encoding = _detect_encoding(stream)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig" if encoding == "utf-8" else "latin-1", newline="")  # type: ignore[type-var]
    try:
        return _read_header(file, text, required, encoding)
    except BaseException:
        _release(text)
        raise


def _read_header(file: CoverageFile, text: io.TextIOWrapper, required: Iterable[str], encoding: str) -> _Table:
    try:
        header_line = text.readline()
    except (OSError, EOFError, zlib.error) as exc:
        raise _FileRefusedError(_("le fichier compressé (gzip) est abîmé ou incomplet.")) from exc
    if not header_line.strip():
        raise _FileRefusedError(_("le fichier est vide."))
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    separator = max(counts, key=lambda sep: counts[sep])
    if counts[separator] == 0:
        raise _FileRefusedError(
            _("la première ligne n'a pas de séparateur « ; » ou « , » : ce n'est pas l'en-tête d'un fichier CSV.")
        )
    header = next(csv.reader([header_line], delimiter=separator))
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = name.strip().strip('"').strip().lower()
        if key and key not in columns:
            columns[key] = index
    missing = [name for name in required if name not in columns]
    if missing:
        raise _FileRefusedError(
            _("colonne(s) manquante(s) : %(missing)s (séparateur lu : « %(sep)s »).")
            % {"missing": ", ".join(missing), "sep": "tab" if separator == "\t" else separator}
        )
    reader = csv.reader(text, delimiter=separator)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, cells in enumerate(reader, start=2):
                if not cells or not any(cell.strip() for cell in cells):
                    continue
                yield number, cells
        except csv.Error as exc:
            raise _FileRefusedError(_("CSV illisible : %(error)s.") % {"error": exc}) from exc
        except (OSError, EOFError, zlib.error) as exc:
            raise _FileRefusedError(_("le fichier compressé (gzip) est abîmé ou incomplet.")) from exc
        finally:
            _release(text)

    return _Table(file.name, columns, rows(), encoding, separator)


def _cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _count(value: str) -> int | None:
    """A non-negative whole number ("12", "12.0", " 1 200 ") or None."""
    cleaned = value.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if re.fullmatch(r"[0-9]{1,9}(\.0+)?", cleaned):
        return int(cleaned.split(".")[0])
    return None


# --- Communes of the département ---------------------------------------------------------------------


def _commune_index() -> dict[str, int]:
    """INSEE code -> pk of the current commune (a former commune's code leads to its current one)."""
    index: dict[str, int] = {}
    rows = Commune.objects.filter(departement__code=settings.DEPARTEMENT_CODE).values_list(
        "insee_code", "kind", "pk", "parent_id"
    )
    index.update({code: pk for code, kind, pk, _parent in rows if kind == Commune.Kind.ACTUELLE})
    for code, kind, _pk, parent_id in rows:
        if kind != Commune.Kind.ACTUELLE and parent_id and code not in index:
            index[code] = parent_id
    return index


def _unknown_insee(code: str) -> str:
    if not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", code):
        return _("code INSEE illisible : « %(code)s » (cinq caractères attendus).") % {"code": code[:20]}
    if not code.startswith(settings.DEPARTEMENT_CODE):
        return _("la commune %(code)s n'est pas dans le département %(dep)s.") % {
            "code": code,
            "dep": settings.DEPARTEMENT_CODE,
        }
    return _("code INSEE inconnu dans le département : %(code)s.") % {"code": code}


# --- Parsing the three files ---------------------------------------------------------------------------


@dataclass
class _CommuneStats:
    premises: int
    by_class: dict[str, int]
    by_technology: dict[str, int]


def _parse_communes(file: CoverageFile, communes: dict[str, int], issues: _Issues) -> dict[int, _CommuneStats]:
    """``commune_debit_filaire.csv``: cumulative ``elig_*`` counts (ARCEP's shape) or one column
    per class (``inel;hd05;hd3;...``). Stored as premises per best class (exclusive)."""
    try:
        table = _open_table(file, COMMUNE_REQUIRED)
    except _FileRefusedError as exc:
        issues.add(file.name, None, str(exc))
        return {}
    cumulative = all(column in table.columns for column, _code in CUMULATIVE_COLUMNS)
    per_class = all(column in table.columns for column, _code in PER_CLASS_COLUMNS)
    if not cumulative and not per_class:
        missing = [column for column, _code in CUMULATIVE_COLUMNS if column not in table.columns]
        issues.add(
            file.name,
            1,
            _("colonne(s) manquante(s) : %(missing)s (ou bien une colonne par classe : %(classes)s).")
            % {"missing": ", ".join(missing), "classes": ", ".join(c for c, _x in PER_CLASS_COLUMNS)},
        )
        return {}
    speed_columns = {c for c, _x in CUMULATIVE_COLUMNS} | {c for c, _x in PER_CLASS_COLUMNS} | {"inel_hd", "elig_hd05"}
    technology_columns = [c for c in table.columns if c.startswith("elig_") and c not in speed_columns]
    count_columns = [c for c, _x in (CUMULATIVE_COLUMNS if cumulative else PER_CLASS_COLUMNS)]
    optional_columns = [c for c in ("inel_hd", "elig_hd05") if c in table.columns and cumulative] + technology_columns
    found: dict[int, _CommuneStats] = {}
    seen: dict[str, int] = {}
    try:
        for line, cells in table.rows:
            kind = _cell(cells, table.columns, "type")
            if kind and kind.lower() != "all":
                continue  # ARCEP publishes "all" rows only; anything else would double-count
            code = _cell(cells, table.columns, "code_insee").upper()
            if code in seen:
                issues.add(file.name, line, _("commune en double (déjà ligne %(first)s).") % {"first": seen[code]})
                continue
            seen[code] = line
            commune_id = communes.get(code)
            if commune_id is None:
                issues.add(file.name, line, _unknown_insee(code), column="code_insee", value=code)
                continue
            values: dict[str, int] = {}
            bad = False
            for column in ["nbr", *count_columns, *optional_columns]:
                raw = _cell(cells, table.columns, column)
                if raw == "" and column in optional_columns:
                    continue
                number = _count(raw)
                if number is None:
                    issues.add(
                        file.name,
                        line,
                        _("« %(value)s » n'est pas un nombre de locaux (colonne %(column)s).")
                        % {"value": raw[:20], "column": column},
                        column=column,
                        value=raw,
                    )
                    bad = True
                    break
                values[column] = number
            if bad:
                continue
            by_class = _classes_from_counts(values, cumulative=cumulative)
            if by_class is None:
                issues.add(
                    file.name,
                    line,
                    _(
                        "les effectifs ne s'additionnent pas : chaque classe doit compter au plus les locaux "
                        "de la classe inférieure, et le total (nbr) au moins tous les locaux."
                    ),
                )
                continue
            found[commune_id] = _CommuneStats(
                premises=values["nbr"],
                by_class=by_class,
                by_technology={c.removeprefix("elig_"): values[c] for c in technology_columns if c in values},
            )
    except _FileRefusedError as exc:
        issues.add(file.name, None, str(exc))
    return found


def _classes_from_counts(values: dict[str, int], *, cumulative: bool) -> dict[str, int] | None:
    """Premises per best class (exclusive), or None when the counts contradict each other.

    Cumulative counts say "at least this class". Without ``inel_hd`` (premises with no wired
    access at 0.5 Mbit/s) the premises below 3 Mbit/s cannot be split between INEL and HD05:
    they are kept as one group, ``"INEL-HD05"``, which the rule reads as a range.
    """
    total = values["nbr"]
    if not cumulative:
        exclusive = {code: values.get(column, 0) for column, code in PER_CLASS_COLUMNS}
        return exclusive if sum(exclusive.values()) <= total else None
    cumulated = [values[column] for column, _code in CUMULATIVE_COLUMNS]
    if any(later > earlier for earlier, later in itertools.pairwise(cumulated)):
        return None
    if cumulated[0] > total:
        return None
    by_class: dict[str, int] = {}
    for index, (_column, code) in enumerate(CUMULATIVE_COLUMNS):
        upper = cumulated[index + 1] if index + 1 < len(cumulated) else 0
        by_class[code] = cumulated[index] - upper
    below = total - cumulated[0]
    if "elig_hd05" in values:
        if values["elig_hd05"] < cumulated[0] or values["elig_hd05"] > total:
            return None
        by_class["HD05"] = values["elig_hd05"] - cumulated[0]
        by_class["INEL"] = total - values["elig_hd05"]
    elif "inel_hd" in values:
        if values["inel_hd"] > below:
            return None
        by_class["INEL"] = values["inel_hd"]
        by_class["HD05"] = below - values["inel_hd"]
    else:
        by_class["INEL-HD05"] = below
    return by_class


def _parse_eligibility(file: CoverageFile, issues: _Issues) -> tuple[dict[str, dict[str, int]], int]:
    """``actuel_<dep>.csv``: per building, the best download class of each wired technology."""
    try:
        table = _open_table(file, ELIGIBILITY_REQUIRED)
    except _FileRefusedError as exc:
        issues.add(file.name, None, str(exc))
        return {}, 0
    lines: dict[str, dict[str, int]] = {}
    count = 0
    known = set(WIRED_TECHNOLOGIES) | set(OTHER_TECHNOLOGIES)
    try:
        for line, cells in table.rows:
            count += 1
            imb_id = _cell(cells, table.columns, "imb_id")
            techno = _cell(cells, table.columns, "code_techno").upper()
            speed = _cell(cells, table.columns, "classe_debit_descendant").upper()
            if not imb_id:
                issues.add(file.name, line, _("identifiant d'immeuble (imb_id) vide."), column="imb_id")
                continue
            if techno not in known:
                issues.add(
                    file.name,
                    line,
                    _("technologie inconnue : « %(value)s » (attendu : %(known)s).")
                    % {"value": techno[:20], "known": ", ".join(sorted(known))},
                    column="code_techno",
                    value=techno,
                )
                continue
            rank = SPEED_RANK.get(speed)
            if rank is None:
                issues.add(
                    file.name,
                    line,
                    _("classe de débit inconnue : « %(value)s » (attendu : %(known)s).")
                    % {"value": speed[:20], "known": ", ".join(CLASS_CODES)},
                    column="classe_debit_descendant",
                    value=speed,
                )
                continue
            if techno not in WIRED_TECHNOLOGIES:
                continue
            per_techno = lines.setdefault(imb_id, {})
            if rank > per_techno.get(techno, -1):
                per_techno[techno] = rank
    except _FileRefusedError as exc:
        issues.add(file.name, None, str(exc))
    return lines, count


def _web_mercator_to_degrees(x: float, y: float) -> tuple[float, float]:
    """EPSG:3857 metres -> (latitude, longitude) in degrees."""
    longitude = math.degrees(x / EARTH_RADIUS_M)
    latitude = math.degrees(2 * math.atan(math.exp(y / EARTH_RADIUS_M)) - math.pi / 2)
    return latitude, longitude


def _coordinates(raw_x: str, raw_y: str) -> tuple[float | None, float | None] | None:
    """(lat, lon) from ``imb_x``/``imb_y`` (EPSG:3857, or degrees); (None, None) if absent; None if junk."""
    if not raw_x and not raw_y:
        return None, None
    try:
        x, y = float(raw_x.replace(",", ".")), float(raw_y.replace(",", "."))
    except ValueError:
        return None
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    if abs(x) <= 180 and abs(y) <= 90:
        return y, x  # already degrees (lon, lat)
    if abs(x) > 2.1e7 or abs(y) > 2.1e7:
        return None
    latitude, longitude = _web_mercator_to_degrees(x, y)
    return round(latitude, 6), round(longitude, 6)


def _insert_buildings(
    file: CoverageFile,
    *,
    edition: CoverageEdition,
    communes: dict[str, int],
    eligibility: dict[str, dict[str, int]],
    issues: _Issues,
) -> tuple[int, dict[int, dict[str, int]], set[str]]:
    """Stream ``base_imb_<dep>.csv`` into ``Building`` rows, in batches of ``BATCH_SIZE``.

    Returns the number of buildings, premises per best class per commune (for derived
    statistics) and the ids seen. Rows are inserted as they come: the caller's transaction is
    rolled back if any issue is found, so nothing stays half-imported.
    """
    try:
        table = _open_table(file, BUILDING_REQUIRED)
    except _FileRefusedError as exc:
        issues.add(file.name, None, str(exc))
        return 0, {}, set()
    seen: set[str] = set()
    per_commune: dict[int, dict[str, int]] = {}
    batch: list[Building] = []
    created = 0
    columns = table.columns
    try:
        for line, cells in table.rows:
            imb_id = _cell(cells, columns, "imb_id")
            if not imb_id or len(imb_id) > 40:
                issues.add(file.name, line, _("identifiant d'immeuble (imb_id) vide ou trop long."), column="imb_id")
                continue
            if imb_id in seen:
                issues.add(file.name, line, _("immeuble en double : %(id)s.") % {"id": imb_id}, column="imb_id")
                continue
            seen.add(imb_id)
            code = (_cell(cells, columns, "imb_code_insee") or _cell(cells, columns, "addr_code_insee")).upper()
            commune_id = communes.get(code)
            if commune_id is None:
                issues.add(file.name, line, _unknown_insee(code), column="imb_code_insee", value=code)
                continue
            raw_premises = _cell(cells, columns, "imb_nbr_logloc")
            premises = _count(raw_premises) if raw_premises else 1
            if premises is None:
                issues.add(
                    file.name,
                    line,
                    _("« %(value)s » n'est pas un nombre de locaux (imb_nbr_logloc).") % {"value": raw_premises[:20]},
                    column="imb_nbr_logloc",
                    value=raw_premises,
                )
                continue
            point = _coordinates(_cell(cells, columns, "imb_x"), _cell(cells, columns, "imb_y"))
            if point is None:
                issues.add(file.name, line, _("coordonnées illisibles (imb_x, imb_y)."), column="imb_x")
                continue
            number = _cell(cells, columns, "addr_numero")
            if number and not re.fullmatch(r"[0-9]{1,6}", number):
                issues.add(
                    file.name,
                    line,
                    _("numéro illisible : « %(value)s ».") % {"value": number[:20]},
                    column="addr_numero",
                    value=number,
                )
                continue
            number = str(int(number)) if number else ""
            street = (_cell(cells, columns, "addr_nom_voie") or _cell(cells, columns, "addr_nom_ld"))[:200]
            per_techno = eligibility.get(imb_id, {})
            best_rank, best_technology = -1, ""
            for techno, rank in per_techno.items():
                if rank > best_rank:
                    best_rank, best_technology = rank, techno
            best_class = CLASS_CODES[best_rank] if best_rank >= 0 else SpeedClass.INEL.value
            if best_rank < 0:
                best_technology = ""
            batch.append(
                Building(
                    edition=edition,
                    imb_id=imb_id,
                    commune_id=commune_id,
                    number=number,
                    suffix=suffix_canonical(_cell(cells, columns, "addr_rep"))[:10],
                    street=street,
                    street_key=street_key(street)[:200],
                    postal_code=_cell(cells, columns, "addr_code_postal")[:5],
                    latitude=point[0],
                    longitude=point[1],
                    premises=premises,
                    best_class=best_class,
                    best_technology=best_technology,
                    lines=[
                        {"techno": techno, "classe": CLASS_CODES[rank]}
                        for techno, rank in sorted(per_techno.items(), key=lambda item: -item[1])
                    ],
                )
            )
            counts = per_commune.setdefault(commune_id, {})
            counts[best_class] = counts.get(best_class, 0) + premises
            if len(batch) >= BATCH_SIZE:
                if not issues:  # once refused, inserting more is wasted work
                    Building.objects.bulk_create(batch, batch_size=BATCH_SIZE)
                created += len(batch)
                batch = []
    except _FileRefusedError as exc:
        issues.add(file.name, None, str(exc))
    if batch and not issues:
        Building.objects.bulk_create(batch, batch_size=BATCH_SIZE)
    created += len(batch)
    return created, per_commune, seen


# --- The import ---------------------------------------------------------------------------------------


def _validate_quarter(quarter: str) -> str:
    quarter = (quarter or "").strip().upper()
    if not QUARTER_RE.fullmatch(quarter):
        raise ValidationError(
            {"quarter": _("L'édition s'écrit année, T, trimestre : par exemple 2026T2.")}, code="invalid_quarter"
        )
    return quarter


def coverage_import(
    *,
    actor: Any,
    quarter: str,
    communes: CoverageFile | Path | str | Any | None = None,
    buildings: CoverageFile | Path | str | Any | None = None,
    eligibility: CoverageFile | Path | str | Any | None = None,
) -> ImportReport:
    """Import one edition (``2026T2``) and make it the current one.

    ``communes`` replaces the edition's per-commune statistics; ``buildings`` and
    ``eligibility`` (always together) replace its buildings. A file not given leaves that part
    of an existing edition of the same quarter as it was. Without a communes file and without
    statistics from an earlier one, the statistics are computed from the buildings.
    """
    require_permission(
        actor,
        "grants.import_coverage",
        message=_("L'import des données de couverture est réservé aux chargés de programme."),
    )
    quarter = _validate_quarter(quarter)
    communes_file, buildings_file, eligibility_file = _as_file(communes), _as_file(buildings), _as_file(eligibility)
    if communes_file is None and buildings_file is None and eligibility_file is None:
        raise ValidationError(_("Donnez au moins un fichier à importer."), code="no_file")
    if (buildings_file is None) != (eligibility_file is None):
        raise ValidationError(
            _(
                "Le fichier des immeubles (base_imb) et celui de l'éligibilité (actuel) vont ensemble : "
                "donnez les deux."
            ),
            code="buildings_need_eligibility",
        )
    started = time.monotonic()
    try:
        with transaction.atomic():
            report = _import(
                actor=actor,
                quarter=quarter,
                communes_file=communes_file,
                buildings_file=buildings_file,
                eligibility_file=eligibility_file,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("Un autre import de données de couverture a eu lieu en même temps : recommencez dans un instant."),
            code="concurrent_import",
        ) from exc
    finally:
        for file in (communes_file, buildings_file, eligibility_file):
            if file is not None and file.owned:
                file.handle.close()
    report.seconds = time.monotonic() - started
    return report


def _import(
    *,
    actor: Any,
    quarter: str,
    communes_file: CoverageFile | None,
    buildings_file: CoverageFile | None,
    eligibility_file: CoverageFile | None,
) -> ImportReport:
    issues = _Issues()
    _serialise_imports()
    commune_index = _commune_index()
    edition = CoverageEdition.objects.select_for_update().filter(quarter=quarter).first()
    report = ImportReport(quarter=quarter, replaced=edition is not None)
    if edition is None:
        edition = CoverageEdition.objects.create(
            quarter=quarter, departement_code=settings.DEPARTEMENT_CODE, imported_by=_user(actor)
        )
    sources: list[dict[str, Any]] = list(edition.source_files or [])

    stats: dict[int, _CommuneStats] | None = None
    if communes_file is not None:
        stats = _parse_communes(communes_file, commune_index, issues)

    if buildings_file is not None and eligibility_file is not None:
        eligibility, line_count = _parse_eligibility(eligibility_file, issues)
        if not issues:
            edition.buildings.all().delete()
        created, per_commune, seen = _insert_buildings(
            buildings_file, edition=edition, communes=commune_index, eligibility=eligibility, issues=issues
        )
        orphans = sum(1 for imb_id in eligibility if imb_id not in seen)
        if orphans:
            report.warnings.append(
                _("%(n)s immeuble(s) de %(file)s absents de %(base)s : leurs lignes sont ignorées.")
                % {"n": orphans, "file": eligibility_file.name, "base": buildings_file.name}
            )
        report.buildings = created
        report.eligibility_lines = line_count
        sources = [s for s in sources if s.get("kind") not in ("immeubles", "actuel")]
        sources.append({"kind": "immeubles", "name": buildings_file.name, "rows": created})
        sources.append({"kind": "actuel", "name": eligibility_file.name, "rows": line_count})
        has_file_stats = any(s.get("kind") == "communes" for s in sources)
        if stats is None and not has_file_stats:
            stats = {
                commune_id: _CommuneStats(premises=sum(counts.values()), by_class=counts, by_technology={})
                for commune_id, counts in per_commune.items()
            }
            report.derived_communes = True
            sources = [s for s in sources if s.get("kind") != "communes_calculees"]
            sources.append({"kind": "communes_calculees", "name": buildings_file.name, "rows": len(stats)})

    issues.raise_if_any()  # rolls back everything, the edition row included

    if stats is not None:
        edition.communes.all().delete()
        CommuneCoverage.objects.bulk_create(
            [
                CommuneCoverage(
                    edition=edition,
                    commune_id=commune_id,
                    premises=item.premises,
                    by_class=item.by_class,
                    by_technology=item.by_technology,
                )
                for commune_id, item in stats.items()
            ],
            batch_size=BATCH_SIZE,
        )
        report.communes = len(stats)
        if communes_file is not None:
            sources = [s for s in sources if s.get("kind") not in ("communes", "communes_calculees")]
            sources.append({"kind": "communes", "name": communes_file.name, "rows": len(stats)})

    CoverageEdition.objects.filter(is_current=True).exclude(pk=edition.pk).update(is_current=False)
    edition.is_current = True
    edition.source_files = sources
    edition.building_count = edition.buildings.count()
    edition.commune_count = edition.communes.count()
    edition.imported_at = timezone.now()
    edition.imported_by = _user(actor)
    edition.save()
    journal.record(
        actor=_user(actor),
        action="grants.coverage.imported",
        target=edition,
        data={
            "quarter": quarter,
            "replaced": report.replaced,
            "files": [s.get("name") for s in sources],
            "buildings": edition.building_count,
            "communes": edition.commune_count,
        },
    )
    return report


# Any 64-bit number the platform does not use elsewhere: the imports' advisory lock.
IMPORT_LOCK_ID = 7_151_420_262


def _serialise_imports() -> None:
    """One import at a time: two managers importing at once wait for each other instead of one
    failing on the "one current edition" constraint. PostgreSQL: a transaction-level advisory
    lock; SQLite serialises writers by itself."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_ID])


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None


@transaction.atomic
def coverage_edition_make_current(*, actor: Any, edition: CoverageEdition) -> CoverageEdition:
    """Go back to (or forward to) another imported edition."""
    require_permission(
        actor,
        "grants.import_coverage",
        message=_("Le choix de l'édition en vigueur est réservé aux chargés de programme."),
    )
    edition = CoverageEdition.objects.select_for_update().get(pk=edition.pk)
    if edition.is_current:
        return edition
    try:
        with transaction.atomic():
            CoverageEdition.objects.filter(is_current=True).update(is_current=False)
            edition.is_current = True
            edition.save(update_fields=["is_current"])
    except IntegrityError as exc:
        raise ValidationError(
            _("Une autre personne a changé l'édition en vigueur en même temps : rechargez la page."),
            code="concurrent_change",
        ) from exc
    journal.record(actor=_user(actor), action="grants.coverage.made_current", target=edition)
    return edition


# --- Addresses -----------------------------------------------------------------------------------------

# Abbreviations of the street types (AFNOR, BAN, what people type) -> the full word.
ABBREVIATIONS = {
    "rte": "route",
    "r": "rue",
    "ch": "chemin",
    "che": "chemin",
    "chem": "chemin",
    "chm": "chemin",
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "boul": "boulevard",
    "pl": "place",
    "imp": "impasse",
    "all": "allee",
    "sq": "square",
    "fg": "faubourg",
    "fbg": "faubourg",
    "st": "saint",
    "ste": "sainte",
    "rle": "ruelle",
    "res": "residence",
    "ham": "hameau",
    "lot": "lotissement",
    "mte": "montee",
    "pass": "passage",
    "crs": "cours",
    "qu": "quai",
    "vc": "voie communale",
}
# Little words left out of the key: "Route du Bourg" and "route bourg" are the same street.
STOP_WORDS = frozenset({"de", "du", "des", "la", "le", "les", "l", "d", "au", "aux", "et"})
LIEU_DIT_PREFIXES = (("lieu", "dit"), ("lieudit",), ("ld",), ("hameau", "de"), ("hameau", "du"))
SUFFIX_WORDS = {"bis": "bis", "ter": "ter", "quater": "quater", "quinquies": "quinquies", "b": "bis", "t": "ter"}
LETTER_SUFFIXES = frozenset("acdefg")


def street_key(text: str | None) -> str:
    """The lookup key of a street name: accents, case, punctuation, abbreviations and little
    words folded (``core.text.normalise`` then the street vocabulary)."""
    words: list[str] = []
    for word in normalise(text).split():
        expanded = ABBREVIATIONS.get(word, word)
        words.extend(part for part in expanded.split() if part not in STOP_WORDS)
    return normalise(" ".join(words))


def suffix_canonical(text: str | None) -> str:
    """``B``, ``bis`` -> ``bis``; ``T`` -> ``ter``; a letter stays a letter; junk -> ``""``."""
    word = normalise(text).strip()
    if word in SUFFIX_WORDS:
        return SUFFIX_WORDS[word]
    if len(word) == 1 and word in LETTER_SUFFIXES:
        return word
    return ""


@dataclass(frozen=True)
class ParsedAddress:
    number: str = ""  # "12", without leading zeros
    suffix: str = ""  # "bis", "ter", "a"...
    street: str = ""  # as typed, folded
    key: str = ""  # street_key(street)
    other_key: str = ""  # the key without the commune's name typed at the end, if it was

    def label(self) -> str:
        return " ".join(part for part in (self.number, self.suffix, self.street) if part)


MAX_ADDRESS_LENGTH = 250


def parse_address(text: str | None, *, commune: Any = None) -> ParsedAddress:
    """Number (+ bis/ter) and street from what a person types: "12 bis, Route du Bourg",
    "12B rte du bourg 15260 Neuvéglise", "Lieu-dit Le Bousquet". Never raises."""
    words = normalise((text or "")[:MAX_ADDRESS_LENGTH]).split()
    # A postal code ends the street part ("... 15260 Neuvéglise-sur-Truyère").
    for index, word in enumerate(words):
        if index > 0 and re.fullmatch(r"[0-9]{5}", word):
            words = words[:index]
            break
    # "3 Le Bousquet Neuvéglise-sur-Truyère": the commune typed after the street. Kept as a
    # second reading only: "Place de Saint-Flour" in Saint-Flour is a street.
    name = normalise(getattr(commune, "name", "")).split() if commune is not None else []
    if words[:1] in (["n"], ["no"], ["ndeg"], ["numero"]) and len(words) > 1 and words[1][:1].isdigit():
        words = words[1:]  # "n° 12" (unidecode spells ° "deg")
    number = suffix = ""
    if words:
        match = re.fullmatch(r"([0-9]{1,6})([a-z]*)", words[0])
        if match:
            number = str(int(match.group(1)))
            attached = match.group(2)
            words = words[1:]
            if attached:
                suffix = suffix_canonical(attached)
            elif len(words) > 1 and (words[0] in SUFFIX_WORDS or words[0] in LETTER_SUFFIXES):
                suffix = suffix_canonical(words[0])
                words = words[1:]
    words = _without_lieu_dit(words)
    street = " ".join(words)
    other = ""
    if name and len(words) > len(name) and words[-len(name) :] == name:
        other = street_key(" ".join(words[: -len(name)]))
    return ParsedAddress(number=number, suffix=suffix, street=street, key=street_key(street), other_key=other)


def _without_lieu_dit(words: list[str]) -> list[str]:
    for prefix in LIEU_DIT_PREFIXES:
        if tuple(words[: len(prefix)]) == prefix and len(words) > len(prefix):
            return words[len(prefix) :]
    return words


# --- The eligibility check ------------------------------------------------------------------------------


def class_label(code: str) -> str:
    if code in SPEED_RANK:
        return str(SpeedClass(code).label)
    if "-" in code:  # a group of classes ("INEL-HD05")
        low, high = code.split("-", 1)
        if low in SPEED_RANK and high in SPEED_RANK:
            return _("%(low)s ou %(high)s") % {
                "low": SpeedClass(low).label,
                "high": str(SpeedClass(high).label).lower(),
            }
    return code


def technology_label(code: str) -> str:
    """With its article, for "par la fibre optique"."""
    labels = {
        "FO": _("la fibre optique"),
        "COAX": _("le câble"),
        "CU": _("le cuivre (ADSL, VDSL)"),
        "SAT": _("le satellite"),
        "4GF": _("la 4G fixe"),
        "THDR": _("le très haut débit radio"),
        "HDR": _("le haut débit radio"),
    }
    return labels.get(code, code)


def format_count(value: int) -> str:
    """``2840`` -> ``2 840`` (French thousands separator, a narrow no-break space)."""
    return f"{value:,}".replace(",", "\u202f")


def lacking_phrase(threshold: str) -> str:
    """What the premises lack to be outside the aid: "n'ont pas 3 Mbit/s en filaire"."""
    if threshold in CLASS_LOWER_BOUND:
        return _("n'ont pas %(speed)s en filaire") % {"speed": CLASS_LOWER_BOUND[threshold]}
    if threshold == SpeedClass.HD05:
        return _("n'ont aucun accès internet filaire")
    return _("remplissent la condition de débit")


def threshold_text(threshold: str) -> str:
    """The condition in a few words: "moins de 3 Mbit/s en filaire"."""
    if threshold in CLASS_LOWER_BOUND:
        return _("moins de %(speed)s en filaire") % {"speed": CLASS_LOWER_BOUND[threshold]}
    if threshold == SpeedClass.HD05:
        return _("aucun accès internet filaire")
    return _("aucun local ne remplit la condition")


def rule_sentence(threshold: str) -> str:
    if threshold in CLASS_LOWER_BOUND:
        return _("Le dispositif est réservé aux locaux qui n'ont pas %(speed)s par une ligne filaire.") % {
            "speed": CLASS_LOWER_BOUND[threshold]
        }
    if threshold == SpeedClass.HD05:
        return _("Le dispositif est réservé aux locaux sans aucun accès internet filaire.")
    return _("La condition de débit de ce dispositif ne peut être remplie par aucun local.")


def _source(edition: str) -> str:
    return _("données de l'Arcep « Ma connexion internet », édition %(edition)s") % {"edition": edition}


def _rank_range(code: str) -> tuple[int, int] | None:
    if code in SPEED_RANK:
        return SPEED_RANK[code], SPEED_RANK[code]
    low, _sep, high = code.partition("-")
    if low in SPEED_RANK and high in SPEED_RANK:
        return SPEED_RANK[low], SPEED_RANK[high]
    return None


def split_by_threshold(by_class: dict[str, int], threshold: str) -> tuple[int, int, int]:
    """(premises below the threshold, at or above it, undecided) from premises per class."""
    limit = SPEED_RANK[threshold]
    below = above = unknown = 0
    for code, count in by_class.items():
        ranks = _rank_range(code)
        if ranks is None or not count:
            unknown += count or 0
        elif ranks[1] < limit:
            below += count
        elif ranks[0] >= limit:
            above += count
        else:
            unknown += count
    return below, above, unknown


def format_percent(part: int, total: int) -> str:
    """French percentage, never rounded to 0 or 100 when it is not: "62 %", "99,5 %"."""
    if total <= 0:
        return "0 %"
    value = part * 100 / total
    rounded = round(value)
    if rounded >= 100 and part < total:
        text = f"{math.floor(value * 10) / 10:.1f}".replace(".", ",")
    elif rounded <= 0 < part:
        text = f"{max(math.ceil(value * 10) / 10, 0.1):.1f}".replace(".", ",")
    else:
        text = str(rounded)
    return f"{text}\u00a0%"


def _building_data(building: Building, *, edition: str, threshold: str, matched: str) -> dict[str, Any]:
    return {
        "imb_id": building.imb_id,
        "address": str(building),
        "commune": building.commune.name,
        "insee_code": building.commune.insee_code,
        "premises": building.premises,
        "latitude": building.latitude,
        "longitude": building.longitude,
        "technologies": [
            {
                "techno": line.get("techno", ""),
                "techno_label": technology_label(line.get("techno", "")),
                "classe": line.get("classe", ""),
                "classe_label": class_label(line.get("classe", "")),
            }
            for line in (building.lines or [])
        ],
        "best_class": building.best_class,
        "best_class_label": class_label(building.best_class),
        "best_technology": building.best_technology,
        "threshold": threshold,
        "threshold_label": class_label(threshold),
        "threshold_text": threshold_text(threshold),
        "edition": edition,
        "match": matched,
    }


def eligibility_check(*, programme: GrantProgramme, commune: Any, address: str = "") -> EligibilityResult:
    """The answer for premises at ``address`` in ``commune`` under ``programme``'s rule."""
    from ..queries import coverage as queries  # reads live in queries; imported late (no cycle)

    checked_at = timezone.now().isoformat()
    edition = queries.current_edition()
    quarter = edition.quarter if edition else ""
    if not programme.coverage_rule_enabled:
        return EligibilityResult(
            answer=EligibilityAnswer.ELIGIBLE,
            explanation=_(
                "Ce dispositif n'impose pas de condition de débit : vos locaux sont éligibles quelle que soit "
                "leur connexion à internet."
            ),
            basis="rule_off",
            edition=quarter,
            data={"commune": getattr(commune, "name", ""), "insee_code": getattr(commune, "insee_code", "")},
            checked_at=checked_at,
        )
    threshold = programme.coverage_threshold
    if edition is None:
        return EligibilityResult(
            answer=EligibilityAnswer.TO_CHECK,
            explanation=_(
                "Les données de couverture de l'Arcep ne sont pas encore chargées : l'instructeur vérifiera "
                "l'éligibilité de vos locaux."
            ),
            basis="none",
            edition="",
            data={"commune": getattr(commune, "name", ""), "insee_code": getattr(commune, "insee_code", "")},
            checked_at=checked_at,
        )
    parsed = parse_address(address, commune=commune)
    note = ""
    if parsed.key:
        found = queries.find_buildings(edition=edition, commune=commune, parsed=parsed)
        if found.buildings:
            return _building_result(found, parsed=parsed, edition=quarter, threshold=threshold, checked_at=checked_at)
        note = found.note
    elif address.strip():
        note = _("Nous n'avons pas su lire une voie dans « %(address)s ».") % {"address": address.strip()[:80]}
    return _commune_result(
        edition=edition, commune=commune, threshold=threshold, note=note, address=address, checked_at=checked_at
    )


def having_phrase(threshold: str) -> str:
    """What the premises have that puts them outside the aid: "ont au moins 3 Mbit/s en filaire"."""
    if threshold in CLASS_LOWER_BOUND:
        return _("ont au moins %(speed)s en filaire") % {"speed": CLASS_LOWER_BOUND[threshold]}
    if threshold == SpeedClass.HD05:
        return _("ont un accès internet filaire")
    return _("ne remplissent pas la condition de débit")


def _building_result(
    found: Any, *, parsed: ParsedAddress, edition: str, threshold: str, checked_at: str
) -> EligibilityResult:
    limit = SPEED_RANK[threshold]
    buildings: list[Building] = found.buildings
    answers = {SPEED_RANK[b.best_class] < limit for b in buildings}
    building = buildings[0]
    data = _building_data(building, edition=edition, threshold=threshold, matched=found.match)
    approximate = ""
    if found.match == "approchee":
        approximate = (
            _("Adresse la plus proche de « %(typed)s » dans les données : %(found)s.")
            % {
                "typed": parsed.label(),
                "found": str(building),
            }
            + " "
        )
    if len(answers) > 1:
        data["other_buildings"] = [
            {
                "imb_id": b.imb_id,
                "address": str(b),
                "best_class": b.best_class,
                "best_class_label": class_label(b.best_class),
            }
            for b in buildings[1:]
        ]
        explanation = _(
            "Plusieurs immeubles répondent à l'adresse %(where)s et leurs débits diffèrent (%(source)s) : "
            "l'instructeur vérifiera lequel est le vôtre."
        ) % {"where": str(building), "source": _source(edition)}
        return EligibilityResult(
            answer=EligibilityAnswer.TO_CHECK,
            explanation=approximate + explanation,
            basis="building",
            edition=edition,
            data=data,
            checked_at=checked_at,
        )
    eligible = answers.pop()
    if building.best_class == SpeedClass.INEL:
        situation = _("aucun accès internet filaire n'est recensé à l'adresse « %(where)s »") % {"where": str(building)}
    else:
        situation = _("le meilleur accès filaire à l'adresse « %(where)s » est « %(speed)s », par %(techno)s") % {
            "where": str(building),
            "speed": class_label(building.best_class),
            "techno": technology_label(building.best_technology),
        }
    if eligible:
        text = _("Vos locaux sont éligibles : d'après les %(source)s, %(situation)s. %(rule)s")
    else:
        text = _("Vos locaux ne sont pas éligibles : d'après les %(source)s, %(situation)s. %(rule)s")
    return EligibilityResult(
        answer=EligibilityAnswer.ELIGIBLE if eligible else EligibilityAnswer.NOT_ELIGIBLE,
        explanation=approximate
        + text % {"source": _source(edition), "situation": situation, "rule": rule_sentence(threshold)},
        basis="building",
        edition=edition,
        data=data,
        checked_at=checked_at,
    )


def _commune_result(
    *, edition: CoverageEdition, commune: Any, threshold: str, note: str, address: str, checked_at: str
) -> EligibilityResult:
    from ..queries import coverage as queries

    name = getattr(commune, "name", "")
    stats = queries.commune_coverage(edition=edition, commune=commune)
    base = {
        "commune": name,
        "insee_code": getattr(commune, "insee_code", ""),
        "address": address.strip()[:MAX_ADDRESS_LENGTH],
        "threshold": threshold,
        "threshold_label": class_label(threshold),
        "threshold_text": threshold_text(threshold),
        "edition": edition.quarter,
    }
    prefix = f"{note} " if note else ""
    source = _source(edition.quarter)
    if stats is None or stats.premises <= 0:
        return EligibilityResult(
            answer=EligibilityAnswer.TO_CHECK,
            explanation=prefix
            + _("Les %(source)s ne disent rien de %(commune)s : l'instructeur vérifiera l'éligibilité de vos locaux.")
            % {"source": source, "commune": name},
            basis="none",
            edition=edition.quarter,
            data=base,
            checked_at=checked_at,
        )
    below, above, unknown = split_by_threshold(stats.by_class, threshold)
    total = below + above + unknown
    data = {
        **base,
        "premises": stats.premises,
        "below": below,
        "above": above,
        "undecided": unknown,
        "share_below": format_percent(below, total),
        "by_class": [
            {"classe": code, "classe_label": class_label(code), "premises": count}
            for code, count in sorted(stats.by_class.items(), key=lambda item: _rank_range(item[0]) or (99, 99))
        ],
        "by_technology": dict(stats.by_technology or {}),
    }
    values = {
        "source": source,
        "total": format_count(total),
        "commune": name,
        "rule": rule_sentence(threshold),
        "share": format_percent(below, total),
        "lacking": lacking_phrase(threshold),
        "having": having_phrase(threshold),
    }
    if total and below == total:
        answer = EligibilityAnswer.ELIGIBLE
        text = _(
            "Vos locaux sont éligibles : d'après les %(source)s, les %(total)s locaux de la commune de %(commune)s "
            "%(lacking)s. %(rule)s"
        )
    elif total and above == total:
        answer = EligibilityAnswer.NOT_ELIGIBLE
        text = _(
            "Vos locaux ne sont pas éligibles : d'après les %(source)s, les %(total)s locaux de la commune de "
            "%(commune)s %(having)s. %(rule)s"
        )
    else:
        answer = EligibilityAnswer.TO_CHECK
        text = _("%(share)s des locaux de la commune %(lacking)s : l'instructeur vérifiera votre adresse (%(source)s).")
    return EligibilityResult(
        answer=answer,
        explanation=prefix + text % values,
        basis="commune",
        edition=edition.quarter,
        data=data,
        checked_at=checked_at,
    )
