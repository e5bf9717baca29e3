"""The national "schéma des lieux de médiation numérique" (LMN) v1.0.2: import and export.

The schema is kept here as data (columns, required columns, enumerations from ``schema.py``,
the patterns of the schema and of its reference implementation, the npm package
``@gouvfr-anct/lieux-de-mediation-numerique`` 2.3.0) and read by pure functions:

- ``validate_row(row)`` lists what is wrong with one row (column, French message, value);
- ``row_to_place_fields(row)`` and ``place_to_row(place)`` translate between a row and a ``Place``;
- ``parse_file(content)`` reads an uploaded CSV (UTF-8 with or without BOM, ``,`` or ``;``) or JSON
  file into rows, within size and row limits;
- ``lmn_plan(rows)`` says what an import would do, line by line, without writing anything;
- ``lmn_import(actor=..., rows=..., mode=...)`` does it, in one transaction, through
  ``places.services``, and journals it;
- ``export_rows()``, ``iter_csv()`` and ``iter_json()`` stream the published places.

A row is a ``dict[str, str]`` keyed by the schema's column names, multi-valued cells joined by
``|``, an empty string for an absent value (the CSV shape). The JSON shape of the reference
package's transfer functions (``toSchemaLieuMediationNumerique``) is the same flat object, with
numbers for ``latitude``/``longitude`` and absent keys for absent values; the nested shape of the
package's *model* (``adresse``, ``localisation``, ``contact``, ``presentation`` objects and arrays)
is accepted on import too.

Encoding decision (ADR-worthy, kept short here): the schema mandates UTF-8. A file that is not
valid UTF-8 but is valid Windows-1252 (what Excel writes on a French Windows; Latin-1 text is
read the same way for every letter used in French) is decoded as Windows-1252 and the preview
says so in plain words, so the person checks the accents before importing. Anything else is
refused with a French message.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

from . import schema
from .hours import parse_error as opening_hours_error
from .validators import PIVOT_RE

logger = logging.getLogger(__name__)

# --- The schema as data -----------------------------------------------------------------------

SCHEMA_VERSION = schema.SCHEMA_VERSION

# Columns of v1.0.2 in the schema's order (schema.data.gouv.fr, LaMednum/standard-mediation-num).
COLUMNS: tuple[str, ...] = (
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
)
REQUIRED: frozenset[str] = frozenset({"id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj"})

# Closed vocabularies, multi-valued, joined by "|".
ENUMERATIONS: dict[str, type] = {
    "typologie": schema.Typologie,
    "itinerance": schema.Itinerance,
    "services": schema.Service,
    "publics_specifiquement_adresses": schema.PublicSpecifiquementAdresse,
    "prise_en_charge_specifique": schema.PriseEnChargeSpecifique,
    "frais_a_charge": schema.Frais,
    "dispositif_programmes_nationaux": schema.DispositifProgrammeNational,
    "formations_labels": schema.FormationLabel,
    "modalites_acces": schema.ModaliteAcces,
    "modalites_accompagnement": schema.ModaliteAccompagnement,
}
# The admitted values, computed once (``TextChoices.values`` rebuilds its list at each access).
ALLOWED: dict[str, frozenset[str]] = {column: frozenset(enum.values) for column, enum in ENUMERATIONS.items()}  # type: ignore[attr-defined]
MULTI_VALUED: frozenset[str] = frozenset({*ENUMERATIONS, "courriels", "site_web", "autres_formations_labels"})
SEPARATOR = "|"

# Longest text the schema or our model accepts, per column.
MAX_LENGTHS: dict[str, int] = {
    "id": 255,
    "nom": 200,
    "adresse": 255,
    "complement_adresse": 255,
    "presentation_resume": 280,
    "source": 255,
    "structure_parente": 255,
    "autres_formations_labels": 2000,
    "fiche_acces_libre": 500,
    "prise_rdv": 500,
    "site_web": 500,
    "courriels": 254,
    "horaires": 1000,
    "presentation_detail": 10000,
}

# Patterns: the schema's where it has one, else the reference package's (lib/esm/models/**),
# translated to Python (``\d`` and ``\w`` are ASCII there, hence [0-9] and re.ASCII here).
CODE_POSTAL_RE = re.compile(r"[0-9]{5}")
CODE_INSEE_RE = re.compile(r"(?:[013-9][0-9]|2[AB1-9])[0-9]{3}")
COMMUNE_RE = re.compile(r"[A-Za-z0-9À-ÖØ-öø-ÿœ-ŸŒ\-'’\s]+")
VOIE_RE = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿœ-ŸŒ\-,()°.&:+–|;'’/\s]+")
TELEPHONE_RE = re.compile(r"(?:\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)[0-9]{6,9}")
COURRIEL_RE = re.compile(
    r"(?:[a-zA-Z0-9_][a-zA-Z0-9.!#$%&'*+\\=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9][a-zA-Z0-9-]{0,61}[a-zA-Z0-9])+(?:;|\Z))+"
)
URL_RE = re.compile(
    r"[A-Za-z]{3,9}:(?://)?(?:[;:&=+$,\w-]+@)?[A-Za-z0-9.-]+"
    r"(?:(?:/[+~,%@/.\w_-]*)?\??[-+=&;%@.\w_]*#?[.!/\\\w]*)?",
    re.ASCII,
)
ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_url_validator = URLValidator(schemes=["http", "https"])
_email_validator = EmailValidator()

# Limits of an upload: beyond them the file is refused as a whole, with a French message.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_ROWS = 50_000


@dataclass(frozen=True)
class RowError:
    """One problem of one row: the column, what is wrong (French), the value read."""

    column: str
    message: str
    value: str = ""


# --- Normalisation -------------------------------------------------------------------------------

_PHONE_NOISE = re.compile(r"[\s.\-()]")
_DOM_PREFIXES = ("33", "590", "594", "262", "596", "269", "687", "689", "508", "681")


def normalise_phone(value: str) -> str:
    """A French number in the schema's international form (``+33471000000``), when recognisable.

    Accepts what people and the reference package write: ``04 71 00 00 00``, ``04.71.00.00.00``,
    ``+33 4 71 00 00 00``, ``0033471000000``, ``+33 (0)4 71…``. Returns the input unchanged when it
    does not look like one of them (validation then says what is wrong).
    """
    raw = (value or "").strip()
    if not raw:
        return ""
    compact = _PHONE_NOISE.sub("", raw.replace("(0)", ""))
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if re.fullmatch(r"0[1-9][0-9]{8}", compact):
        return "+33" + compact[1:]
    if compact.startswith("+") and compact[1:].isdigit():
        for prefix in _DOM_PREFIXES:
            if compact[1:].startswith(prefix):
                rest = compact[1 + len(prefix) :]
                if rest.startswith("0") and len(rest) == 10:  # +33 0471…: a national 0 kept by mistake
                    rest = rest[1:]
                return f"+{prefix}{rest}"
    return raw


def display_phone(value: str) -> str:
    """How we store a phone: ``04 71 00 00 00`` for a French number, else the international form."""
    canonical = normalise_phone(value)
    match = re.fullmatch(r"\+33([1-9][0-9]{8})", canonical)
    if match:
        digits = "0" + match.group(1)
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return canonical


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(SEPARATOR)] if value else []


def normalise_row(raw: Mapping[str, Any]) -> dict[str, str]:
    """The row as the schema writes it: every column present, text trimmed, known variants fixed.

    Fixed on the way: spaces in a SIRET (the reference package strips them too), phone numbers
    written the French way, a decimal comma in coordinates (French spreadsheets), spaces around
    ``|`` in multi-valued cells. NUL characters are removed (``validate_row`` refuses the row).
    Nothing else is guessed.
    """
    row = {
        column: str(raw.get(column) if raw.get(column) is not None else "").replace("\x00", "").strip()
        for column in COLUMNS
    }
    row["pivot"] = re.sub(r"\s", "", row["pivot"])
    row["telephone"] = normalise_phone(row["telephone"])
    row["code_insee"] = row["code_insee"].upper()
    for column in ("latitude", "longitude"):
        if re.fullmatch(r"-?[0-9]+,[0-9]+", row[column]):
            row[column] = row[column].replace(",", ".")
    for column in MULTI_VALUED:
        if row[column]:
            row[column] = SEPARATOR.join(_split(row[column]))
    return row


# --- Validation ------------------------------------------------------------------------------------


def _parse_coordinate(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def validate_row(row: Mapping[str, Any]) -> list[RowError]:
    """Every rule of the schema v1.0.2 (and of its reference package) that ``row`` breaks.

    ``row`` is in the schema's flat shape; it is normalised first (see ``normalise_row``), so a
    row that only differs by spaces or a French phone layout is valid.
    """
    # A NUL character is invisible, never meant, and refused by PostgreSQL: normalise_row
    # removes it (so that nothing downstream meets it) and the row is refused here.
    with_nul = {column for column in COLUMNS if "\x00" in str(row.get(column) or "")}
    row = normalise_row(row)
    errors: list[RowError] = []

    def add(column: str, message: str) -> None:
        errors.append(RowError(column=column, message=message, value=row.get(column, "")))

    for column in COLUMNS:
        if column in with_nul:
            add(column, _("Cette valeur contient un caractère nul (invisible) : retirez-le du fichier."))
        if column in REQUIRED and not row[column]:
            add(column, _("Valeur obligatoire manquante."))
        limit = MAX_LENGTHS.get(column)
        if limit and row[column] and column not in MULTI_VALUED and len(row[column]) > limit:
            add(column, _("Texte trop long : %(limit)s caractères au plus.") % {"limit": limit})

    if row["pivot"] and not PIVOT_RE.fullmatch(row["pivot"]):
        add(
            "pivot",
            _(
                "Le pivot doit être un SIRET (14 chiffres), un numéro RNA (W suivi de 9 caractères) "
                "ou 00000000000000 si la structure n'en a pas."
            ),
        )
    if row["code_postal"] and not CODE_POSTAL_RE.fullmatch(row["code_postal"]):
        add("code_postal", _("Le code postal compte exactement 5 chiffres."))
    if row["code_insee"] and not CODE_INSEE_RE.fullmatch(row["code_insee"]):
        add("code_insee", _("Le code INSEE compte 5 caractères (par exemple 15014 ; 2A004 en Corse)."))
    if row["commune"] and not COMMUNE_RE.fullmatch(row["commune"]):
        add("commune", _("Le nom de la commune contient des caractères non admis (lettres, tirets, apostrophes)."))
    if row["adresse"] and not VOIE_RE.fullmatch(row["adresse"]):
        add("adresse", _("L'adresse contient des caractères non admis par le schéma (guillemets, symboles…)."))

    latitude = _parse_coordinate(row["latitude"]) if row["latitude"] else None
    longitude = _parse_coordinate(row["longitude"]) if row["longitude"] else None
    if row["latitude"] and (latitude is None or not -90 <= latitude <= 90):
        add("latitude", _("La latitude doit être un nombre entre -90 et 90 (point décimal)."))
    if row["longitude"] and (longitude is None or not -180 <= longitude <= 180):
        add("longitude", _("La longitude doit être un nombre entre -180 et 180 (point décimal)."))
    if bool(row["latitude"]) != bool(row["longitude"]):
        add("latitude" if not row["latitude"] else "longitude", _("Latitude et longitude vont ensemble."))

    if row["telephone"] and not TELEPHONE_RE.fullmatch(row["telephone"]):
        add("telephone", _("Numéro de téléphone non reconnu : écrivez-le +33471000000 ou 04 71 00 00 00."))
    errors.extend(
        RowError("courriels", _("Adresse électronique non valide : « %s ».") % email, email)
        for email in _split(row["courriels"])
        if not _valid_email(email)
    )
    for column in ("site_web", "fiche_acces_libre", "prise_rdv"):
        values = _split(row[column]) if column == "site_web" else ([row[column]] if row[column] else [])
        errors.extend(
            RowError(column, _("Adresse web non valide : « %s » (http:// ou https://…).") % url, url)
            for url in values
            if not _valid_url(url) or (column == "site_web" and len(url) > MAX_LENGTHS[column])
        )

    if row["horaires"]:
        message = opening_hours_error(row["horaires"])
        if message:
            add("horaires", message)

    if row["date_maj"]:
        try:
            if not ISO_DATE_RE.fullmatch(row["date_maj"]):
                raise ValueError
            date.fromisoformat(row["date_maj"])
        except ValueError:
            add("date_maj", _("La date de mise à jour s'écrit AAAA-MM-JJ (par exemple 2025-03-31)."))

    for column, allowed in ALLOWED.items():
        for item in _split(row[column]):
            if not item:
                errors.append(RowError(column, _("Valeur vide entre deux « | »."), row[column]))
            elif item not in allowed:
                errors.append(RowError(column, _("« %s » n'est pas une valeur admise par le schéma.") % item, item))
    return errors


def _valid_email(email: str) -> bool:
    """The reference package's pattern, and Django's check (the address must be storable too)."""
    if not email or len(email) > MAX_LENGTHS["courriels"] or not COURRIEL_RE.fullmatch(email):
        return False
    try:
        _email_validator(email)
    except ValidationError:
        return False
    return True


def _valid_url(url: str) -> bool:
    if not URL_RE.fullmatch(url):
        return False
    try:
        _url_validator(url)
    except ValidationError:
        return False
    return True


# --- Row <-> Place --------------------------------------------------------------------------------

# Column -> Place field, for the columns that map one to one.
TEXT_FIELDS: dict[str, str] = {
    "nom": "name",
    "adresse": "address",
    "complement_adresse": "address_complement",
    "code_postal": "postal_code",
    "horaires": "opening_hours",
    "presentation_resume": "presentation_summary",
    "presentation_detail": "presentation_detail",
    "source": "source",
    "structure_parente": "structure_parente",
    "autres_formations_labels": "autres_formations_labels",
    "fiche_acces_libre": "fiche_acces_libre",
    "prise_rdv": "prise_rdv",
}
LIST_FIELDS: dict[str, str] = {column: column for column in ENUMERATIONS}


def row_to_place_fields(row: Mapping[str, Any], columns: Iterable[str] | None = None) -> dict[str, Any]:
    """``Place`` field values for a *valid* row, limited to ``columns`` (default: all of them).

    Not included: the commune (resolved against the territory by the import) and what the
    schema does not carry. ``courriels`` and ``site_web`` may hold several values: a place keeps
    one e-mail and one web site, the first ones.
    """
    row = normalise_row(row)
    wanted = set(COLUMNS if columns is None else columns)
    fields: dict[str, Any] = {}
    if "id" in wanted:
        fields["lmn_id"] = row["id"]
    if "pivot" in wanted:
        fields["pivot"] = "" if row["pivot"] == schema.PIVOT_UNKNOWN else row["pivot"]
    for column, name in TEXT_FIELDS.items():
        if column in wanted:
            fields[name] = row[column]
    for column, name in LIST_FIELDS.items():
        if column in wanted:
            fields[name] = _split(row[column])
    if "latitude" in wanted or "longitude" in wanted:
        fields["latitude"] = float(row["latitude"]) if row["latitude"] else None
        fields["longitude"] = float(row["longitude"]) if row["longitude"] else None
    if "telephone" in wanted:
        fields["phone"] = display_phone(row["telephone"])
    if "courriels" in wanted:
        fields["email"] = next(iter(_split(row["courriels"])), "")
    if "site_web" in wanted:
        fields["website"] = next(iter(_split(row["site_web"])), "")
    if "date_maj" in wanted and row["date_maj"]:
        fields["date_maj"] = date.fromisoformat(row["date_maj"])
    return fields


def export_id(place: Any) -> str:
    """The ``id`` column of a place: its LMN identifier, or one we make from its primary key."""
    return place.lmn_id or f"{OWN_ID_PREFIX}{place.pk}"


OWN_ID_PREFIX = "cybercantal-lieu-"
_OWN_ID_RE = re.compile(re.escape(OWN_ID_PREFIX) + r"([0-9]+)")


def own_place_pk(lmn_id: str) -> int | None:
    """The primary key hidden in an ``id`` we made ourselves (see ``export_id``), else None."""
    match = _OWN_ID_RE.fullmatch(lmn_id or "")
    return int(match.group(1)) if match else None


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def place_to_row(place: Any) -> dict[str, str]:
    """The schema's row for ``place`` (its commune must be loaded: ``select_related("commune")``)."""
    commune = place.commune
    return {
        "id": export_id(place),
        "pivot": place.pivot or schema.PIVOT_UNKNOWN,
        "nom": place.name,
        "commune": commune.name,
        "code_postal": place.postal_code,
        "code_insee": commune.insee_code,
        "adresse": place.address,
        "complement_adresse": place.address_complement,
        "latitude": _number(place.latitude),
        "longitude": _number(place.longitude),
        "typologie": SEPARATOR.join(place.typologie),
        "telephone": normalise_phone(place.phone),
        "courriels": place.email,
        "site_web": place.website,
        "horaires": place.opening_hours.strip(),
        "presentation_resume": place.presentation_summary,
        "presentation_detail": place.presentation_detail,
        "source": place.source,
        "itinerance": SEPARATOR.join(place.itinerance),
        "structure_parente": place.structure_parente,
        "date_maj": place.date_maj.isoformat() if place.date_maj else "",
        "services": SEPARATOR.join(place.services),
        "publics_specifiquement_adresses": SEPARATOR.join(place.publics_specifiquement_adresses),
        "prise_en_charge_specifique": SEPARATOR.join(place.prise_en_charge_specifique),
        "frais_a_charge": SEPARATOR.join(place.frais_a_charge),
        "dispositif_programmes_nationaux": SEPARATOR.join(place.dispositif_programmes_nationaux),
        "formations_labels": SEPARATOR.join(place.formations_labels),
        "autres_formations_labels": place.autres_formations_labels,
        "modalites_acces": SEPARATOR.join(place.modalites_acces),
        "modalites_accompagnement": SEPARATOR.join(place.modalites_accompagnement),
        "fiche_acces_libre": place.fiche_acces_libre,
        "prise_rdv": place.prise_rdv,
    }


def row_to_json(row: Mapping[str, str]) -> dict[str, Any]:
    """The JSON object of a row, as the reference package's transfer writes it.

    Absent values are left out, coordinates are numbers.
    """
    item: dict[str, Any] = {}
    for column in COLUMNS:
        value = row.get(column, "")
        if value == "":
            continue
        item[column] = float(value) if column in ("latitude", "longitude") else value
    return item


# --- Reading files -----------------------------------------------------------------------------------


class FileError(Exception):
    """The file as a whole cannot be read; ``message`` is French and says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ParsedRow:
    line: int  # line of the CSV file (header = 1), or position in the JSON list (from 1)
    data: dict[str, str]
    columns: frozenset[str]  # the columns the file provides (others are left as they are)
    errors: list[RowError] = field(default_factory=list)  # problems found while reading


@dataclass
class ParsedFile:
    format: str  # "csv" or "json"
    rows: list[ParsedRow]
    columns: frozenset[str]
    notices: list[str] = field(default_factory=list)  # French, shown on the preview
    encoding: str = "utf-8"
    delimiter: str = ""


def decode(content: bytes) -> tuple[str, str]:
    """The text of an upload and the encoding used (see the module docstring)."""
    if content.startswith(b"PK\x03\x04"):
        raise FileError(
            _(
                "Ce fichier est un classeur (Excel, LibreOffice) : enregistrez-le au format CSV UTF-8 "
                "(« Enregistrer sous… », type « CSV UTF-8 ») puis envoyez le fichier CSV."
            )
        )
    if b"\x00" in content[:4096]:
        raise FileError(_("Ce fichier n'est pas un fichier texte : envoyez un fichier CSV ou JSON."))
    try:
        return content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise FileError(
            _(
                "Le fichier n'est pas encodé en UTF-8 et son encodage n'a pas pu être reconnu. "
                "Enregistrez-le en « CSV UTF-8 » et envoyez-le à nouveau."
            )
        ) from exc


def parse_file(content: bytes, *, filename: str = "") -> ParsedFile:
    """Read an upload (CSV or JSON, told apart by its content) into rows. Raises ``FileError``."""
    if not content or not content.strip():
        raise FileError(_("Le fichier est vide."))
    if len(content) > MAX_UPLOAD_BYTES:
        raise FileError(
            _("Le fichier est trop volumineux (%(max)s Mo au plus) : découpez-le en plusieurs fichiers.")
            % {"max": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    text, encoding = decode(content)
    stripped = text.lstrip()
    is_json = stripped.startswith(("[", "{")) or filename.lower().endswith(".json")
    parsed = _parse_json(text) if is_json else _parse_csv(text)
    parsed.encoding = encoding
    if encoding != "utf-8":
        parsed.notices.insert(
            0,
            _(
                "Le fichier n'était pas en UTF-8 : il a été lu comme un fichier Windows-1252 (Excel). "
                "Vérifiez les accents dans l'aperçu avant d'importer."
            ),
        )
    if not parsed.rows:
        raise FileError(_("Le fichier ne contient aucun lieu."))
    return parsed


def _sniff_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _check_columns(names: Sequence[str]) -> tuple[frozenset[str], list[str]]:
    """The known columns among ``names`` and notices about the others; FileError if unusable."""
    known = [name for name in names if name in COLUMNS]
    duplicates = sorted({name for name in known if known.count(name) > 1})
    if duplicates:
        raise FileError(_("Colonnes en double : %s.") % ", ".join(duplicates))
    missing = [column for column in COLUMNS if column in REQUIRED and column not in known]
    if missing:
        raise FileError(
            _(
                "Ce fichier ne suit pas le schéma des lieux de médiation numérique : colonnes obligatoires "
                "absentes : %(missing)s. La première ligne doit nommer les colonnes du schéma "
                "(id, pivot, nom, commune, code_postal, adresse, date_maj…)."
            )
            % {"missing": ", ".join(missing)}
        )
    notices = []
    unknown = [name for name in names if name and name not in COLUMNS]
    if unknown:
        notices.append(_("Colonnes ignorées, inconnues du schéma v1.0.2 : %s.") % ", ".join(unknown[:20]))
    return frozenset(known), notices


def _parse_csv(text: str) -> ParsedFile:
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as exc:  # pragma: no cover - empty text is refused earlier
        raise FileError(_("Le fichier est vide.")) from exc
    except csv.Error as exc:
        raise FileError(_("Le fichier CSV est mal formé : %s.") % exc) from exc
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    columns, notices = _check_columns(names)
    rows: list[ParsedRow] = []
    try:
        previous_end = reader.line_num
        for cells in reader:
            line = previous_end + 1  # where the record starts (a quoted cell may span lines)
            previous_end = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise FileError(
                    _("Le fichier compte plus de %(max)s lieux : découpez-le en plusieurs fichiers.")
                    % {"max": f"{MAX_ROWS:,}".replace(",", "\u202f")}
                )
            data = {name: cells[index] if index < len(cells) else "" for index, name in enumerate(names)}
            row = ParsedRow(line=line, data={c: data.get(c, "") for c in COLUMNS}, columns=columns)
            if len(cells) != len(names):
                row.errors.append(
                    RowError(
                        "",
                        _("La ligne compte %(found)s cellules au lieu de %(expected)s.")
                        % {"found": len(cells), "expected": len(names)},
                    )
                )
            rows.append(row)
    except csv.Error as exc:
        raise FileError(
            _("Le fichier CSV est mal formé (ligne %(line)s) : %(error)s.")
            % {
                "line": reader.line_num,
                "error": exc,
            }
        ) from exc
    notices.append(_("Fichier CSV, séparateur « %s ».") % ("tabulation" if delimiter == "\t" else delimiter))
    return ParsedFile(format="csv", rows=rows, columns=columns, notices=notices, delimiter=delimiter)


# The nested shape of the reference package's model (LieuMediationNumerique), flattened.
_NESTED = {
    "adresse": {
        "voie": "adresse",
        "code_postal": "code_postal",
        "code_insee": "code_insee",
        "commune": "commune",
        "complement_adresse": "complement_adresse",
    },
    "localisation": {"latitude": "latitude", "longitude": "longitude"},
    "contact": {"telephone": "telephone", "courriels": "courriels", "site_web": "site_web"},
    "presentation": {"resume": "presentation_resume", "detail": "presentation_detail"},
}
_RENAMED = {"typologies": "typologie"}


def _flatten(item: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in item.items():
        if key in _NESTED and isinstance(value, Mapping):
            for inner, column in _NESTED[key].items():
                if inner in value:
                    flat[column] = value[inner]
        else:
            flat[_RENAMED.get(key, key)] = value
    if isinstance(flat.get("date_maj"), str) and "T" in flat["date_maj"]:
        flat["date_maj"] = flat["date_maj"].split("T", 1)[0]  # the model's Date, serialised
    return flat


def _json_cell(column: str, value: Any) -> tuple[str, RowError | None]:
    """The text of one JSON value, or an error when its type does not fit the column."""
    if value is None:
        return "", None
    if column in ("latitude", "longitude"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return str(value), RowError(column, _("Nombre attendu (sans guillemets)."), str(value))
        return repr(float(value)), None
    if isinstance(value, list) and column in MULTI_VALUED:
        if all(isinstance(item, str) for item in value):
            return SEPARATOR.join(value), None
        return json.dumps(value, ensure_ascii=False), RowError(column, _("Liste de textes attendue."))
    if isinstance(value, str):
        return value, None
    return json.dumps(value, ensure_ascii=False), RowError(
        column, _("Texte attendu."), json.dumps(value, ensure_ascii=False)
    )


def _parse_json(text: str) -> ParsedFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileError(
            _("Le fichier JSON est mal formé (ligne %(line)s, colonne %(col)s).")
            % {"line": exc.lineno, "col": exc.colno}
        ) from exc
    if not isinstance(data, list):
        raise FileError(_("Le fichier JSON doit contenir une liste de lieux : [ {…}, {…} ]."))
    if len(data) > MAX_ROWS:
        raise FileError(
            _("Le fichier compte plus de %(max)s lieux : découpez-le en plusieurs fichiers.")
            % {"max": f"{MAX_ROWS:,}".replace(",", "\u202f")}
        )
    rows: list[ParsedRow] = []
    seen: set[str] = set()
    for position, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            rows.append(
                ParsedRow(
                    line=position,
                    data=dict.fromkeys(COLUMNS, ""),
                    columns=frozenset(COLUMNS),
                    errors=[RowError("", _("Chaque lieu doit être un objet JSON { … }."))],
                )
            )
            continue
        flat = _flatten(item)
        seen.update(flat)
        values: dict[str, str] = {}
        errors: list[RowError] = []
        for column in COLUMNS:
            text_value, error = _json_cell(column, flat.get(column))
            values[column] = text_value
            if error:
                errors.append(error)
        # In the JSON shape an absent key is an absent value: every column is provided.
        rows.append(ParsedRow(line=position, data=values, columns=frozenset(COLUMNS), errors=errors))
    notices = [_("Fichier JSON.")]
    unknown = sorted(seen - set(COLUMNS))
    if unknown:
        notices.append(_("Champs ignorés, inconnus du schéma v1.0.2 : %s.") % ", ".join(unknown[:20]))
    if rows and not (seen & REQUIRED):
        raise FileError(
            _("Ces objets JSON ne suivent pas le schéma des lieux de médiation numérique (id, nom, adresse…).")
        )
    return ParsedFile(format="json", rows=rows, columns=frozenset(COLUMNS), notices=notices)


# --- Import ------------------------------------------------------------------------------------------

IMPORT_ACTION = "places.lmn_import"


class ImportMode:
    """Mode "all": the file is imported only if every row is valid; "valid_only": the valid rows are."""

    ALL = "all"
    VALID_ONLY = "valid_only"
    choices = (ALL, VALID_ONLY)


class Action:
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    INVALID = "invalid"


@dataclass
class LinePlan:
    """What the import does with one row."""

    line: int
    lmn_id: str
    name: str
    action: str
    errors: list[RowError] = field(default_factory=list)
    place: Any = None  # the existing place (update / unchanged)
    fields: dict[str, Any] = field(default_factory=dict)  # values to write (create) or changes (update)
    notes: list[str] = field(default_factory=list)  # French, not blocking


@dataclass
class ImportPlan:
    lines: list[LinePlan]

    def count(self, action: str) -> int:
        return sum(1 for line in self.lines if line.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": self.count(Action.CREATE),
            "updated": self.count(Action.UPDATE),
            "unchanged": self.count(Action.UNCHANGED),
            "invalid": self.count(Action.INVALID),
        }

    @property
    def has_errors(self) -> bool:
        return any(line.action == Action.INVALID for line in self.lines)

    @property
    def invalid_lines(self) -> list[LinePlan]:
        return [line for line in self.lines if line.action == Action.INVALID]


class ImportRefusedError(Exception):
    """The file has errors and the person did not choose to import the valid rows only."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__(_("Le fichier contient des erreurs : rien n'a été importé."))
        self.plan = plan


class AlreadyImportedError(Exception):
    """This upload was imported already (double click, second tab)."""

    def __init__(self) -> None:
        super().__init__(_("Ce fichier a déjà été importé : rien n'a été refait."))


@dataclass
class ImportResult:
    plan: ImportPlan
    counts: dict[str, int]


# typologie -> our kind, for the places an import creates (the first that matches wins).
KIND_FROM_TYPOLOGIE = (
    ("EPN", "epn"),
    ("EPI", "epn"),
    ("RFS", "france_services"),
    ("MSAP", "msap"),
    ("MUNI", "mairie"),
    ("CC", "cc_siege"),
    ("EPCI", "cc_siege"),
    ("BIB", "mediatheque"),
    ("ASSO", "association"),
)


def kind_for(fields: Mapping[str, Any]) -> str:
    from .models import PlaceKind

    typologies = fields.get("typologie") or []
    for code, kind in KIND_FROM_TYPOLOGIE:
        if code in typologies:
            return kind
    if schema.DispositifProgrammeNational.FRANCE_SERVICES in (fields.get("dispositif_programmes_nationaux") or []):
        return PlaceKind.FRANCE_SERVICES
    return PlaceKind.OTHER


class _Communes:
    """The département's communes, read once, to resolve a row's commune without a query per row."""

    def __init__(self) -> None:
        from cybercantal.core.text import normalise
        from cybercantal.territory.models import Commune

        self._normalise = normalise
        self.by_code: dict[str, list[Any]] = {}
        self.by_name: dict[str, list[Any]] = {}
        for commune in Commune.objects.select_related(None).order_by("kind", "name"):
            self.by_code.setdefault(commune.insee_code, []).append(commune)
            self.by_name.setdefault(normalise(commune.name), []).append(commune)

    def resolve(self, row: Mapping[str, str]) -> tuple[Any, RowError | None]:
        """The commune of a row: by INSEE code, else by name (and postal code when ambiguous)."""
        code, name, postal_code = row["code_insee"], row["commune"], row["code_postal"]
        if code:
            candidates = self.by_code.get(code, [])
            if not candidates:
                return None, RowError(
                    "code_insee", _("Aucune commune du territoire n'a le code INSEE %s.") % code, code
                )
            same_name = [c for c in candidates if self._normalise(c.name) == self._normalise(name)]
            return (same_name or candidates)[0], None
        candidates = self.by_name.get(self._normalise(name), [])
        if len(candidates) > 1:
            candidates = [c for c in candidates if postal_code in (c.postal_codes or [])] or candidates
            current = [c for c in candidates if c.kind == "actuelle"]
            candidates = current or candidates
        if not candidates:
            return None, RowError(
                "commune",
                _("Commune inconnue sur le territoire : « %s » (indiquez aussi son code INSEE).") % name,
                name,
            )
        if len(candidates) > 1:
            return None, RowError(
                "commune", _("Plusieurs communes s'appellent « %s » : indiquez le code INSEE.") % name, name
            )
        return candidates[0], None


def _same(name: str, before: Any, after: Any) -> bool:
    if name == "phone":
        return normalise_phone(before or "") == normalise_phone(after or "")
    if name == "commune":
        return getattr(before, "pk", None) == getattr(after, "pk", None)
    return before == after


def lmn_plan(rows: Sequence[ParsedRow]) -> ImportPlan:
    """What importing ``rows`` would do, line by line, without writing anything.

    A row updates the place with the same LMN ``id``; else the place whose ``id`` we made
    ourselves in an export (``cybercantal-lieu-<pk>``); else a place of the same name in the
    same commune that has no LMN id yet (so an import does not duplicate a place entered by
    hand); else it creates a place. Queries: a handful for the whole file, not one per row.
    """
    from cybercantal.core.text import normalise

    from .models import Place

    communes = _Communes()
    prepared: list[tuple[ParsedRow, dict[str, str], list[RowError]]] = []
    seen_ids: dict[str, int] = {}
    for parsed in rows:
        row = normalise_row(parsed.data)
        errors = list(parsed.errors) + validate_row(parsed.data)
        if row["id"]:
            if row["id"] in seen_ids:
                errors.append(
                    RowError(
                        "id",
                        _("Identifiant déjà utilisé ligne %(line)s du fichier.") % {"line": seen_ids[row["id"]]},
                        row["id"],
                    )
                )
            else:
                seen_ids[row["id"]] = parsed.line
        prepared.append((parsed, row, errors))

    ids = [row["id"] for _parsed, row, _errors in prepared if row["id"]]
    by_lmn_id: dict[str, Any] = {}
    for start in range(0, len(ids), 500):
        for found in Place.objects.select_related("commune").filter(lmn_id__in=ids[start : start + 500]):
            by_lmn_id[found.lmn_id] = found
    own_pks = [pk for pk in (own_place_pk(i) for i in ids) if pk is not None]
    by_pk = {found.pk: found for found in Place.objects.select_related("commune").filter(pk__in=own_pks, lmn_id="")}

    resolved: list[tuple[ParsedRow, dict[str, str], list[RowError], Any]] = []
    for parsed, row, errors in prepared:
        commune = None
        if row["commune"] or row["code_insee"]:
            commune, error = communes.resolve(row)
            if error is not None:
                errors.append(error)
        resolved.append((parsed, row, errors, commune))
    commune_pks = {c.pk for *_rest, c in resolved if c is not None}
    by_name: dict[tuple[int, str], Any] = {}
    for found in Place.objects.select_related("commune").filter(lmn_id="", commune__in=commune_pks):
        by_name.setdefault((found.commune_id, normalise(found.name)), found)

    lines: list[LinePlan] = []
    for parsed, row, errors, commune in resolved:
        plan = LinePlan(line=parsed.line, lmn_id=row["id"], name=row["nom"], action=Action.INVALID, errors=errors)
        lines.append(plan)
        if errors:
            continue
        fields = row_to_place_fields(row, parsed.columns)
        fields["commune"] = commune
        if len(_split(row["courriels"])) > 1:
            plan.notes.append(_("Seule la première adresse électronique est conservée."))
        if len(_split(row["site_web"])) > 1:
            plan.notes.append(_("Seul le premier site web est conservé."))
        place = by_lmn_id.get(row["id"])
        own_pk = own_place_pk(row["id"])
        if place is None and own_pk is not None:
            place = by_pk.get(own_pk)
            if place is not None:
                fields.pop("lmn_id", None)  # keep our own id implicit: nothing to write
        if place is None:
            place = by_name.pop((commune.pk, normalise(row["nom"])), None)
            if place is not None:
                plan.notes.append(_("Rattaché au lieu existant du même nom dans cette commune."))
        if place is None:
            plan.action = Action.CREATE
            plan.fields = fields
            continue
        plan.place = place
        plan.fields = {name: value for name, value in fields.items() if not _same(name, getattr(place, name), value)}
        plan.action = Action.UPDATE if plan.fields else Action.UNCHANGED
    return ImportPlan(lines=lines)


def _import_lock(token: str) -> None:
    """Serialise two imports of the same upload (double click, second tab), on both databases.

    SQLite: the transaction already holds the write lock (``transaction_mode`` IMMEDIATE).
    PostgreSQL: a transaction-level advisory lock keyed by the token.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"lmn-import:{token}"])


def already_imported(token: str) -> bool:
    from cybercantal.core.models import JournalEntry

    return bool(token) and JournalEntry.objects.filter(action=IMPORT_ACTION, data__token=token).exists()


def lmn_import(
    *,
    actor: Any,
    rows: Sequence[ParsedRow],
    mode: str,
    token: str = "",
    filename: str = "",
    file_format: str = "",
) -> ImportResult:
    """Import LMN rows: create or update places through ``places.services``, in one transaction.

    ``mode`` ``ImportMode.ALL`` writes nothing when any row is invalid (raises ``ImportRefusedError``
    with the plan); ``ImportMode.VALID_ONLY`` writes the valid rows and reports the others.
    ``token`` identifies one upload: importing it a second time raises ``AlreadyImportedError``.
    One journal entry ``places.lmn_import`` holds the counts (the services journal each place).
    """
    from django.db import transaction

    from . import services

    if mode not in ImportMode.choices:
        raise ValueError(f"unknown import mode {mode!r}")
    with transaction.atomic():
        if token:
            _import_lock(token)
            if already_imported(token):
                raise AlreadyImportedError
        plan = lmn_plan(rows)
        if plan.has_errors and mode == ImportMode.ALL:
            raise ImportRefusedError(plan)
        for line in plan.lines:
            if line.action not in (Action.CREATE, Action.UPDATE):
                continue
            try:
                with transaction.atomic():  # savepoint: a refused row leaves the others
                    if line.action == Action.CREATE:
                        _create(actor, line)
                    else:
                        services.place_update(actor=actor, place=line.place, **line.fields)
            except ValidationError as exc:
                line.action = Action.INVALID
                line.errors.extend(_validation_errors(exc))
        if plan.has_errors and mode == ImportMode.ALL:
            transaction.set_rollback(True)
            raise ImportRefusedError(plan)
        counts = plan.counts
        from cybercantal.core import journal

        journal.record(
            actor=actor,
            action=IMPORT_ACTION,
            data={
                "token": token,
                "filename": filename[:200],
                "format": file_format,
                "mode": mode,
                "schema_version": SCHEMA_VERSION,
                "rows": len(plan.lines),
                **counts,
            },
        )
    return ImportResult(plan=plan, counts=counts)


def _create(actor: Any, line: LinePlan) -> Any:
    from . import services
    from .models import PlaceStatus

    fields = dict(line.fields)
    return services.place_create(
        actor=actor,
        name=fields.pop("name"),
        kind=kind_for(fields),
        commune=fields.pop("commune"),
        address=fields.pop("address"),
        postal_code=fields.pop("postal_code"),
        allow_same_name=True,
        status=PlaceStatus.PUBLISHED,
        **fields,
    )


# Model field -> schema column, to report a model-level refusal on the column of the file.
_FIELD_COLUMNS = {name: column for column, name in TEXT_FIELDS.items()} | {
    "lmn_id": "id",
    "pivot": "pivot",
    "phone": "telephone",
    "email": "courriels",
    "website": "site_web",
    "latitude": "latitude",
    "longitude": "longitude",
    "date_maj": "date_maj",
    "commune": "commune",
    **{column: column for column in ENUMERATIONS},
}


def _validation_errors(exc: ValidationError) -> list[RowError]:
    if hasattr(exc, "error_dict"):
        return [
            RowError(_FIELD_COLUMNS.get(name, "" if name == "__all__" else name), str(message))
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return [RowError("", str(message)) for message in exc.messages]


# --- Export --------------------------------------------------------------------------------------------

EXPORT_CHUNK_SIZE = 2000


def export_queryset() -> Any:
    from .models import Place

    return Place.objects.published().select_related("commune").order_by("pk")


def export_row(place: Any) -> dict[str, str] | None:
    """The row of ``place`` for a public export, always conforming to the schema.

    An optional value the schema would refuse is left empty (and logged); a place whose required
    values do not conform is left out (and logged), so that the published file stays valid.
    """
    row = place_to_row(place)
    errors = validate_row(row)
    if not errors:
        return row
    required = sorted({error.column for error in errors if error.column in REQUIRED})
    if required:
        logger.warning("LMN export: place %s left out, invalid required columns %s", place.pk, required)
        return None
    for column in {error.column for error in errors}:
        row[column] = ""
    logger.warning("LMN export: place %s, invalid optional columns emptied: %s", place.pk, sorted(row))
    return row


def export_rows(queryset: Any = None) -> Iterator[dict[str, str]]:
    """The rows of every published place, read ``EXPORT_CHUNK_SIZE`` at a time (never all at once)."""
    queryset = export_queryset() if queryset is None else queryset
    for place in queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE):
        row = export_row(place)
        if row is not None:
            yield row


class _Echo:
    """A file-like object whose ``write`` returns the text, for ``csv.writer`` in a generator."""

    def write(self, value: str) -> str:
        return value


def iter_csv(rows: Iterable[Mapping[str, str]]) -> Iterator[str]:
    """The CSV text, line by line: header in the schema's order, ``,`` separator, UTF-8, no BOM."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(COLUMNS)
    for row in rows:
        yield writer.writerow([row.get(column, "") for column in COLUMNS])


def iter_json(rows: Iterable[Mapping[str, str]]) -> Iterator[str]:
    """A JSON list of flat objects, as the reference package's transfer writes them."""
    yield "["
    first = True
    for row in rows:
        yield ("\n" if first else ",\n") + json.dumps(row_to_json(row), ensure_ascii=False)
        first = False
    yield "\n]\n"


def export_filename(extension: str, on: date | None = None) -> str:
    """The schema's recommended name: ``AAAAMMJJ_idProducteur_lieux-de-mediation-numerique_territoire``."""
    from django.conf import settings
    from django.utils import timezone
    from django.utils.text import slugify

    day = on or timezone.localdate()
    producer = slugify(settings.PLATFORM_NAME) or "cybercantal"
    return f"{day:%Y%m%d}_{producer}_lieux-de-mediation-numerique_{settings.DEPARTEMENT_CODE}.{extension}"
