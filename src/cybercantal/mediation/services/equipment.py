"""Every write on the equipment inventory of the EPN network (issue 4 §3).

- ``equipment_create`` / ``equipment_update``: the record itself (serial number normalised and
  unique, price >= 0, warranty after purchase, kept in an EPN or a collège's CyberCantal room);
- ``equipment_move``, ``equipment_repair_start``, ``equipment_repair_end``, ``equipment_retire``:
  the life of a piece of equipment, each an ``EquipmentEvent`` of its history;
- ``equipment_import``: a CSV file of the inventory, all or nothing (see its docstring).

Every function is keyword-only, runs in one transaction, writes the journal and raises
``ValidationError`` with French messages keyed by field (or ``PermissionDenied``): nothing is
half-saved, and a race on the unique serial number ends in the same French message, never a 500.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cybercantal.accounts.models import Organisation
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.money import round_cents
from cybercantal.core.text import normalise
from cybercantal.mediation.models import Equipment, EquipmentEvent, EquipmentKind, EquipmentStatus
from cybercantal.places.models import Place, PlaceKind, PlaceOffer

MANAGE_PERM = "mediation.manage_equipment"
IMPORT_PERM = "mediation.import_equipment"
MAX_PRICE = Decimal("99999999.99")  # the column holds 10 digits, 2 after the point

# --- Rules shared by the forms, the services and the import ----------------------------------


def normalise_serial(value: str | None) -> str:
    """``" ab 12-cd "`` -> ``"AB12-CD"``: trimmed, upper-case, every space removed (the
    stickers are read aloud and typed with spaces; the manufacturer's number has none)."""
    return re.sub(r"\s+", "", str(value or "")).upper()


def place_accepts_equipment(place: Place) -> bool:
    """Equipment is kept in an EPN or in the CyberCantal room of a collège."""
    offers = set(place.offers or [])
    return place.kind in (PlaceKind.EPN, PlaceKind.COLLEGE) or bool(offers & {PlaceOffer.EPN, PlaceOffer.CYBER_ROOM})


def eligible_places_q() -> Q:
    """The same rule as ``place_accepts_equipment``, as a filter."""
    return (
        Q(kind__in=[PlaceKind.EPN, PlaceKind.COLLEGE])
        | Q(offers__has=PlaceOffer.EPN)
        | Q(offers__has=PlaceOffer.CYBER_ROOM)
    )


def parse_price(value: Any) -> Decimal | None:
    """A price typed the French way (``"1 249,90 €"``) or the English way (``"1249.90"``).

    Raises ``ValueError`` with a French message; an empty value is ``None``.
    """
    if value is None:
        return None
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):  # never money: refuse rather than round silently
        raise TypeError("Money is never a float.")
    else:
        text = re.sub(r"[\s\u00a0\u202f€]", "", str(value)).replace("EUR", "").replace("eur", "")
        if not text:
            return None
        if "," in text and "." in text:  # "1.249,90" (thousands with dots) or "1,249.90"
            text = (
                text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
            )
        else:
            text = text.replace(",", ".")
        if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text):
            raise ValueError(_("« %(value)s » n'est pas un prix : écrivez par exemple 749,90.") % {"value": value})
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the pattern above already checked
            raise ValueError(_("« %(value)s » n'est pas un prix.") % {"value": value}) from exc
    if amount < 0:
        raise ValueError(_("Le prix ne peut pas être négatif."))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("Le prix compte au plus deux chiffres après la virgule."))
    if amount > MAX_PRICE:
        raise ValueError(_("Ce prix est trop élevé pour un équipement."))
    return round_cents(amount)


def parse_date(value: str) -> dt.date | None:
    """``JJ/MM/AAAA`` or ``AAAA-MM-JJ``; empty -> ``None``; raises ``ValueError`` (French)."""
    text = (value or "").strip()
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a date, no time zone
        except ValueError:
            continue
    raise ValueError(_("« %(value)s » n'est pas une date : écrivez JJ/MM/AAAA ou AAAA-MM-JJ.") % {"value": text})


def describe(equipment: Equipment) -> str:
    """How a person recognises an item: kind, model, place and inventory number."""
    parts = [equipment.get_kind_display()]
    if equipment.model_name:
        parts.append(equipment.model_name)
    text = " ".join(parts) + f" — {equipment.place.name}"
    if equipment.inventory_number:
        text += _(", inventaire n° %(number)s") % {"number": equipment.inventory_number}
    return text


def _duplicate_error(existing: Equipment) -> ValidationError:
    return ValidationError(
        {
            "serial_number": [
                _("Le numéro de série « %(serial)s » est déjà enregistré : %(equipment)s.")
                % {"serial": existing.serial_number, "equipment": describe(existing)}
            ]
        }
    )


def _check_may_manage(actor: Any, place: Place, *, field_name: str = "place") -> None:
    if actor is not None and not actor.has_perm(MANAGE_PERM, place):
        raise PermissionDenied(
            _("Vous ne gérez pas le matériel de « %(place)s ».") % {"place": place.name},
        )


def _price_or_error(value: Any, field_name: str) -> Decimal | None:
    try:
        return parse_price(value)
    except ValueError as exc:
        raise ValidationError({field_name: [str(exc)]}) from exc


def _today() -> dt.date:
    return timezone.localdate()


def _check_fields(
    values: Mapping[str, Any], *, exclude_pk: int | None = None, check_unique: bool = True
) -> dict[str, list[str]]:
    """French messages per field for the record's own rules (before touching the database)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name in ("model_name", "inventory_number", "notes"):
        if "\x00" in str(values.get(name) or ""):
            add(name, _("Ce texte contient un caractère nul (invisible) : retirez-le."))
    if values.get("kind") not in EquipmentKind.values:
        add("kind", _("Choisissez un type d'équipement de la liste."))
    serial = values.get("serial_number") or ""
    if not serial:
        add("serial_number", _("Le numéro de série est obligatoire."))
    elif len(serial) > 80:  # Equipment.serial_number.max_length
        add("serial_number", _("Le numéro de série compte 80 caractères au plus."))
    elif not re.fullmatch(r"[A-Z0-9._/\-#]+", serial):
        add("serial_number", _("Le numéro de série ne contient que des lettres, chiffres, points, tirets et barres."))
    if len(values.get("model_name") or "") > 120:
        add("model_name", _("La marque et le modèle tiennent en 120 caractères au plus."))
    if len(values.get("inventory_number") or "") > 40:
        add("inventory_number", _("Le numéro d'inventaire compte 40 caractères au plus."))
    bought_on = values.get("bought_on")
    if not isinstance(bought_on, dt.date):
        add("bought_on", _("La date d'achat est obligatoire."))
    elif bought_on > _today():
        add("bought_on", _("La date d'achat ne peut pas être dans le futur."))
    elif bought_on.year < 1980:
        add("bought_on", _("Cette date d'achat est trop ancienne pour être vraie."))
    price = values.get("price")
    if price is not None:
        if price < 0:
            add("price", _("Le prix ne peut pas être négatif."))
        elif price > MAX_PRICE:
            add("price", _("Ce prix est trop élevé pour un équipement."))
    warranty = values.get("warranty_ends_on")
    if warranty is not None and isinstance(bought_on, dt.date) and warranty < bought_on:
        add("warranty_ends_on", _("La garantie ne peut pas finir avant la date d'achat."))
    place = values.get("place")
    if place is None:
        add("place", _("Indiquez le lieu où se trouve l'équipement."))
    elif not place_accepts_equipment(place):
        add(
            "place",
            _("« %(place)s » n'est ni un EPN ni un collège : le matériel est suivi dans ces lieux seulement.")
            % {"place": place.name},
        )
    if values.get("status", EquipmentStatus.IN_SERVICE) not in EquipmentStatus.values:
        add("status", _("État inconnu."))
    if check_unique and serial and "serial_number" not in errors:
        existing = Equipment.objects.select_related("place").filter(serial_number=serial)
        if exclude_pk is not None:
            existing = existing.exclude(pk=exclude_pk)
        found = existing.first()
        if found is not None:
            errors.update(_duplicate_error(found).message_dict)
    return errors


def _save(equipment: Equipment) -> None:
    """Save, turning a race on the unique serial number into the French message."""
    try:
        with transaction.atomic():
            equipment.save()
    except IntegrityError as exc:
        existing = (
            Equipment.objects.select_related("place")
            .filter(serial_number=equipment.serial_number)
            .exclude(pk=equipment.pk)
            .first()
        )
        if existing is not None:
            raise _duplicate_error(existing) from exc
        raise ValidationError(
            _("Cet équipement vient d'être modifié par ailleurs : rechargez la page et réessayez.")
        ) from exc


def _event(
    equipment: Equipment,
    *,
    kind: str,
    on: dt.date,
    actor: Any,
    description: str = "",
    from_place: Place | None = None,
    to_place: Place | None = None,
    cost: Decimal | None = None,
) -> EquipmentEvent:
    return EquipmentEvent.objects.create(
        equipment=equipment,
        kind=kind,
        on=on,
        actor=actor if getattr(actor, "pk", None) else None,
        description=description,
        from_place=from_place,
        to_place=to_place,
        cost=cost,
    )


def _check_event_date(equipment: Equipment, on: dt.date | None) -> dt.date:
    if not isinstance(on, dt.date):
        raise ValidationError({"on": [_("La date est obligatoire.")]})
    if on > _today():
        raise ValidationError({"on": [_("La date ne peut pas être dans le futur.")]})
    if on < equipment.bought_on:
        raise ValidationError(
            {
                "on": [
                    _("La date ne peut pas précéder l'achat (%(date)s).") % {"date": f"{equipment.bought_on:%d/%m/%Y}"}
                ]
            }
        )
    return on


def _locked(equipment: Equipment) -> Equipment:
    """The row again, locked (PostgreSQL) for the rest of the transaction: status is re-read."""
    return lock_for_update(Equipment.objects.select_related("place")).get(pk=equipment.pk)


# --- Services ---------------------------------------------------------------------------------

EDITABLE_FIELDS = (
    "kind",
    "model_name",
    "serial_number",
    "inventory_number",
    "bought_by",
    "bought_on",
    "price",
    "warranty_ends_on",
    "notes",
)


@transaction.atomic
def equipment_create(
    *,
    actor: Any,
    kind: str,
    serial_number: str,
    bought_on: dt.date,
    place: Place,
    model_name: str = "",
    inventory_number: str = "",
    bought_by: Organisation | None = None,
    price: Decimal | None = None,
    warranty_ends_on: dt.date | None = None,
    notes: str = "",
    status: str = EquipmentStatus.IN_SERVICE,
) -> Equipment:
    """Record a piece of equipment at ``place``, with its ``acquired`` event (dated at purchase)."""
    if place is not None:
        _check_may_manage(actor, place)
    price_value = _price_or_error(price, "price")
    values: dict[str, Any] = {
        "kind": kind,
        "serial_number": normalise_serial(serial_number),
        "bought_on": bought_on,
        "place": place,
        "model_name": (model_name or "").strip(),
        "inventory_number": (inventory_number or "").strip(),
        "bought_by": bought_by,
        "price": price_value,
        "warranty_ends_on": warranty_ends_on,
        "notes": (notes or "").strip(),
        "status": status,
    }
    errors = _check_fields(values)
    if errors:
        raise ValidationError(errors)
    equipment = Equipment(**values)
    _save(equipment)
    _event(
        equipment,
        kind=EquipmentEvent.Kind.ACQUIRED,
        on=bought_on,
        actor=actor,
        to_place=place,
        cost=price_value,
        description=_("Acheté par %(buyer)s") % {"buyer": bought_by.name} if bought_by else "",
    )
    if status == EquipmentStatus.IN_REPAIR:
        _event(equipment, kind=EquipmentEvent.Kind.REPAIR_STARTED, on=_today(), actor=actor)
    elif status == EquipmentStatus.RETIRED:
        _event(equipment, kind=EquipmentEvent.Kind.RETIRED, on=_today(), actor=actor)
    journal.record(
        actor=actor,
        action="equipment.created",
        target=equipment,
        data={"serial_number": equipment.serial_number, "place": place.pk, "kind": kind},
    )
    return equipment


@transaction.atomic
def equipment_update(*, actor: Any, equipment: Equipment, **changes: Any) -> Equipment:
    """Change the record's own fields (``EDITABLE_FIELDS``). The place changes through
    ``equipment_move`` and the status through the repair and retire services, so that the
    history says when and why."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"equipment_update cannot change {sorted(unknown)}")
    equipment = _locked(equipment)
    _check_may_manage(actor, equipment.place)
    if "serial_number" in changes:
        changes["serial_number"] = normalise_serial(changes["serial_number"])
    if "price" in changes:
        changes["price"] = _price_or_error(changes["price"], "price")
    for name in ("model_name", "inventory_number", "notes"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()
    values = {name: getattr(equipment, name) for name in (*EDITABLE_FIELDS, "place", "status")}
    values.update(changes)
    errors = _check_fields(values, exclude_pk=equipment.pk)
    if errors:
        raise ValidationError(errors)
    changed = {name: value for name, value in changes.items() if getattr(equipment, name) != value}
    if not changed:
        return equipment
    for name, value in changed.items():
        setattr(equipment, name, value)
    _save(equipment)
    journal.record(
        actor=actor,
        action="equipment.updated",
        target=equipment,
        data={"fields": sorted(changed)},
    )
    return equipment


@transaction.atomic
def equipment_move(
    *, actor: Any, equipment: Equipment, to_place: Place, on: dt.date, description: str = ""
) -> Equipment:
    """Move the equipment to ``to_place`` (a MOVED event with both places)."""
    equipment = _locked(equipment)
    from_place = equipment.place
    _check_may_manage(actor, from_place)
    if to_place is None:
        raise ValidationError({"to_place": [_("Choisissez le lieu de destination.")]})
    _check_may_manage(actor, to_place, field_name="to_place")
    if to_place.pk == from_place.pk:
        raise ValidationError({"to_place": [_("L'équipement est déjà à « %(place)s ».") % {"place": to_place.name}]})
    if not place_accepts_equipment(to_place):
        raise ValidationError(
            {"to_place": [_("« %(place)s » n'est ni un EPN ni un collège.") % {"place": to_place.name}]}
        )
    if equipment.status == EquipmentStatus.RETIRED:
        raise ValidationError(_("Un équipement réformé ne se déplace plus."))
    _check_event_date(equipment, on)
    equipment.place = to_place
    _save(equipment)
    _event(
        equipment,
        kind=EquipmentEvent.Kind.MOVED,
        on=on,
        actor=actor,
        from_place=from_place,
        to_place=to_place,
        description=(description or "").strip(),
    )
    journal.record(
        actor=actor,
        action="equipment.moved",
        target=equipment,
        data={"from": from_place.pk, "to": to_place.pk, "on": on.isoformat()},
    )
    return equipment


@transaction.atomic
def equipment_repair_start(*, actor: Any, equipment: Equipment, on: dt.date, description: str = "") -> Equipment:
    """The equipment leaves for repair: status ``in_repair``."""
    equipment = _locked(equipment)
    _check_may_manage(actor, equipment.place)
    if equipment.status != EquipmentStatus.IN_SERVICE:
        raise ValidationError(
            _("Seul un équipement en service part en réparation (il est : %(status)s).")
            % {"status": equipment.get_status_display()}
        )
    _check_event_date(equipment, on)
    equipment.status = EquipmentStatus.IN_REPAIR
    _save(equipment)
    _event(equipment, kind=EquipmentEvent.Kind.REPAIR_STARTED, on=on, actor=actor, description=description.strip())
    journal.record(actor=actor, action="equipment.repair_started", target=equipment, data={"on": on.isoformat()})
    return equipment


@transaction.atomic
def equipment_repair_end(
    *,
    actor: Any,
    equipment: Equipment,
    on: dt.date,
    cost: Decimal | None = None,
    description: str = "",
) -> Equipment:
    """The equipment is back in service; the repair's ``cost`` is kept on the event."""
    equipment = _locked(equipment)
    _check_may_manage(actor, equipment.place)
    if equipment.status != EquipmentStatus.IN_REPAIR:
        raise ValidationError(_("Cet équipement n'est pas en réparation."))
    _check_event_date(equipment, on)
    started = (
        equipment.events.filter(kind=EquipmentEvent.Kind.REPAIR_STARTED)
        .order_by("-on", "-pk")
        .values_list("on", flat=True)
        .first()
    )
    if started is not None and on < started:
        raise ValidationError(
            {
                "on": [
                    _("Le retour ne peut pas précéder le départ en réparation (%(date)s).")
                    % {"date": f"{started:%d/%m/%Y}"}
                ]
            }
        )
    cost = _price_or_error(cost, "cost")
    equipment.status = EquipmentStatus.IN_SERVICE
    _save(equipment)
    _event(
        equipment,
        kind=EquipmentEvent.Kind.REPAIR_ENDED,
        on=on,
        actor=actor,
        cost=cost,
        description=description.strip(),
    )
    journal.record(
        actor=actor,
        action="equipment.repair_ended",
        target=equipment,
        data={"on": on.isoformat(), "cost": str(cost) if cost is not None else None},
    )
    return equipment


@transaction.atomic
def equipment_retire(*, actor: Any, equipment: Equipment, on: dt.date, description: str = "") -> Equipment:
    """The equipment leaves the inventory for good (it stays in the list, as ``retired``)."""
    equipment = _locked(equipment)
    _check_may_manage(actor, equipment.place)
    if equipment.status == EquipmentStatus.RETIRED:
        raise ValidationError(_("Cet équipement est déjà réformé."))
    _check_event_date(equipment, on)
    equipment.status = EquipmentStatus.RETIRED
    _save(equipment)
    _event(equipment, kind=EquipmentEvent.Kind.RETIRED, on=on, actor=actor, description=description.strip())
    journal.record(actor=actor, action="equipment.retired", target=equipment, data={"on": on.isoformat()})
    return equipment


# --- CSV import -------------------------------------------------------------------------------

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000

# The documented columns, in the template's order: (column, required, French help).
IMPORT_COLUMNS: tuple[tuple[str, bool, Any], ...] = (
    (
        "type",
        True,
        _lazy("ordinateur fixe, ordinateur portable, imprimante, scanner, vidéoprojecteur, tablette, écran…"),
    ),
    ("marque_modele", False, _lazy("Marque et modèle, par exemple « Dell OptiPlex 7010 ».")),
    ("numero_serie", True, _lazy("Numéro de série du fabricant (les espaces sont retirés, majuscules).")),
    ("numero_inventaire", False, _lazy("Numéro d'inventaire interne.")),
    ("achete_par", False, _lazy("SIRET (14 chiffres) ou nom exact de l'organisation qui a acheté.")),
    ("date_achat", True, _lazy("JJ/MM/AAAA ou AAAA-MM-JJ.")),
    ("prix", False, _lazy("Prix TTC en euros, par exemple 749,90.")),
    ("fin_garantie", False, _lazy("JJ/MM/AAAA ou AAAA-MM-JJ, après la date d'achat.")),
    ("lieu", True, _lazy("Identifiant du lieu (slug) ou son nom exact : un EPN ou un collège.")),
    ("etat", False, _lazy("en service, en réparation ou réformé (en service si vide).")),
    ("remarques", False, _lazy("Texte libre.")),
)
COLUMN_NAMES = tuple(name for name, _required, _help in IMPORT_COLUMNS)
REQUIRED_COLUMNS = tuple(name for name, required, _help in IMPORT_COLUMNS if required)
COLUMN_ALIASES = {
    "achete_par_siret": "achete_par",
    "numero_de_serie": "numero_serie",
    "marque": "marque_modele",
    "modele": "marque_modele",
    "statut": "etat",
}
# Column -> field of the service, for the error report (and back).
COLUMN_FIELDS = {
    "type": "kind",
    "marque_modele": "model_name",
    "numero_serie": "serial_number",
    "numero_inventaire": "inventory_number",
    "achete_par": "bought_by",
    "date_achat": "bought_on",
    "prix": "price",
    "fin_garantie": "warranty_ends_on",
    "lieu": "place",
    "etat": "status",
    "remarques": "notes",
}
FIELD_COLUMNS = {value: key for key, value in COLUMN_FIELDS.items()}

_KIND_WORDS = {
    "ordinateur": EquipmentKind.DESKTOP,
    "pc": EquipmentKind.DESKTOP,
    "fixe": EquipmentKind.DESKTOP,
    "unite centrale": EquipmentKind.DESKTOP,
    "portable": EquipmentKind.LAPTOP,
    "ordinateur portable": EquipmentKind.LAPTOP,
    "pc portable": EquipmentKind.LAPTOP,
    "imprimante": EquipmentKind.PRINTER,
    "scanner": EquipmentKind.SCANNER,
    "scanneur": EquipmentKind.SCANNER,
    "videoprojecteur": EquipmentKind.PROJECTOR,
    "video projecteur": EquipmentKind.PROJECTOR,
    "projecteur": EquipmentKind.PROJECTOR,
    "tablette": EquipmentKind.TABLET,
    "ecran": EquipmentKind.SCREEN,
    "moniteur": EquipmentKind.SCREEN,
    "reseau": EquipmentKind.NETWORK,
    "autre": EquipmentKind.OTHER,
}
_STATUS_WORDS = {
    "en service": EquipmentStatus.IN_SERVICE,
    "service": EquipmentStatus.IN_SERVICE,
    "en reparation": EquipmentStatus.IN_REPAIR,
    "reparation": EquipmentStatus.IN_REPAIR,
    "reforme": EquipmentStatus.RETIRED,
    "hors service": EquipmentStatus.RETIRED,
}


def _kind_lookup() -> dict[str, str]:
    from django.utils import translation

    table: dict[str, str] = {normalise(word).strip(): str(kind) for word, kind in _KIND_WORDS.items()}
    with translation.override("fr"):
        for kind in EquipmentKind:
            table[normalise(kind.value).strip()] = kind.value
            table[normalise(str(kind.label)).strip()] = kind.value
    return table


def _status_lookup() -> dict[str, str]:
    from django.utils import translation

    table: dict[str, str] = {normalise(word).strip(): str(status) for word, status in _STATUS_WORDS.items()}
    with translation.override("fr"):
        for status in EquipmentStatus:
            table[normalise(status.value).strip()] = status.value
            table[normalise(str(status.label)).strip()] = status.value
    return table


class ImportFileError(Exception):
    """The file as a whole is refused; ``message`` is French and says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class RowError:
    line: int
    column: str
    value: str
    message: str


@dataclass
class RowPlan:
    line: int
    serial_number: str
    action: str  # "create", "update", "unchanged"
    label: str = ""
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """What an import did (or would do): counts, line-by-line plan, every problem found.

    ``saved`` is True only when the rows were written (``dry_run`` False and no error).
    """

    filename: str = ""
    encoding: str = ""
    delimiter: str = ""
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    lines: list[RowPlan] = field(default_factory=list)
    saved: bool = False
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_lines(self) -> int:
        return len({error.line for error in self.errors})


def _read_bytes(file: Any) -> tuple[bytes, str]:
    """The bytes of ``file`` (bytes, a path-less uploaded file or any binary file object),
    reading at most one byte past the limit."""
    if isinstance(file, bytes | bytearray):
        return bytes(file), ""
    name = str(getattr(file, "name", "") or "")
    size = getattr(file, "size", None)
    if size is not None and size > MAX_IMPORT_BYTES:
        raise ImportFileError(_too_big_message())
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read(MAX_IMPORT_BYTES + 1)
    if isinstance(content, str):
        content = content.encode("utf-8")
    return content, name


def _too_big_message() -> str:
    return _("Le fichier est trop volumineux (5 Mo au plus) : découpez-le en plusieurs fichiers.")


def decode_upload(content: bytes) -> tuple[str, str]:
    """Text and encoding of an upload: UTF-8 (with or without BOM), else Windows-1252.
    Binary files (spreadsheets, images, anything with NUL or control bytes) are refused."""
    if content.startswith(b"PK\x03\x04") or content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _(
                "Ce fichier est un classeur (Excel, LibreOffice) : enregistrez-le au format CSV "
                "(« Enregistrer sous… », type « CSV ») puis envoyez le fichier CSV."
            )
        )
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(_("Ce fichier est en UTF-16 : enregistrez-le en « CSV UTF-8 » et envoyez-le à nouveau."))
    if b"\x00" in content:
        raise ImportFileError(_("Ce fichier n'est pas un fichier texte : envoyez un fichier CSV."))
    try:
        text, encoding = content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = content.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _(
                    "L'encodage du fichier n'a pas été reconnu : "
                    "enregistrez-le en « CSV UTF-8 » et envoyez-le à nouveau."
                )
            ) from exc
    controls = sum(1 for char in text[:20000] if ord(char) < 32 and char not in "\t\r\n")
    if controls:
        raise ImportFileError(_("Ce fichier contient des caractères de contrôle : ce n'est pas un fichier CSV."))
    return text, encoding


def _sniff(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


@dataclass
class _Row:
    line: int
    cells: dict[str, str]


def _parse(text: str) -> tuple[list[_Row], frozenset[str], str, list[str]]:
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = _sniff(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise ImportFileError(_("Le fichier est vide.")) from exc
    except csv.Error as exc:
        raise ImportFileError(_("Le fichier CSV est mal formé : %s.") % exc) from exc
    names = []
    for raw in header:
        name = normalise(raw).strip().replace(" ", "_")
        names.append(COLUMN_ALIASES.get(name, name))
    known = [name for name in names if name in COLUMN_NAMES]
    duplicates = sorted({name for name in known if known.count(name) > 1})
    if duplicates:
        raise ImportFileError(_("Colonnes en double : %s.") % ", ".join(duplicates))
    missing = [name for name in REQUIRED_COLUMNS if name not in known]
    if missing:
        raise ImportFileError(
            _(
                "Colonnes obligatoires absentes : %(missing)s. La première ligne doit nommer les colonnes "
                "(type ; marque_modele ; numero_serie ; numero_inventaire ; achete_par ; date_achat ; prix ; "
                "fin_garantie ; lieu ; etat) : téléchargez le modèle."
            )
            % {"missing": ", ".join(missing)}
        )
    notices = []
    unknown = [raw.strip() for raw, name in zip(header, names, strict=True) if name and name not in COLUMN_NAMES]
    if unknown:
        notices.append(_("Colonnes ignorées (inconnues) : %s.") % ", ".join(unknown[:10]))
    rows: list[_Row] = []
    try:
        previous_end = reader.line_num
        for cells in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise ImportFileError(
                    _("Le fichier compte plus de %(max)s lignes : découpez-le en plusieurs fichiers.")
                    % {"max": "20\u202f000"}
                )
            data = {name: cells[index].strip() for index, name in enumerate(names) if index < len(cells) and name}
            if len(cells) > len(names) and any(cell.strip() for cell in cells[len(names) :]):
                data["__extra__"] = str(len(cells))
            rows.append(_Row(line=line, cells=data))
    except csv.Error as exc:
        raise ImportFileError(
            _("Le fichier CSV est mal formé (ligne %(line)s) : %(error)s.") % {"line": reader.line_num, "error": exc}
        ) from exc
    if not rows:
        raise ImportFileError(_("Le fichier ne contient aucune ligne d'équipement."))
    return rows, frozenset(known), delimiter, notices


class _Lookups:
    """Places and organisations named in the file, fetched once for the whole file."""

    def __init__(self, rows: list[_Row]) -> None:
        place_keys = {row.cells.get("lieu", "") for row in rows} - {""}
        places = list(Place.objects.filter(Q(slug__in=place_keys) | Q(name__in=place_keys)))
        self.places_by_slug = {place.slug: place for place in places}
        self.places_by_name: dict[str, list[Place]] = {}
        for place in places:
            self.places_by_name.setdefault(place.name, []).append(place)
        buyer_keys = {row.cells.get("achete_par", "") for row in rows} - {""}
        sirets = {re.sub(r"\s", "", key) for key in buyer_keys}
        organisations = list(Organisation.objects.filter(Q(siret__in=sirets) | Q(name__in=buyer_keys)))
        self.orgs_by_siret = {org.siret: org for org in organisations if org.siret}
        self.orgs_by_name: dict[str, list[Organisation]] = {}
        for org in organisations:
            self.orgs_by_name.setdefault(org.name, []).append(org)
        serials = {normalise_serial(row.cells.get("numero_serie")) for row in rows} - {""}
        self.existing = {
            equipment.serial_number: equipment
            for equipment in Equipment.objects.select_related("place", "bought_by").filter(serial_number__in=serials)
        }
        self.kinds = _kind_lookup()
        self.statuses = _status_lookup()

    def place(self, key: str) -> tuple[Place | None, str]:
        if key in self.places_by_slug:
            return self.places_by_slug[key], ""
        found = self.places_by_name.get(key, [])
        if len(found) == 1:
            return found[0], ""
        if len(found) > 1:
            return None, _("Plusieurs lieux s'appellent « %(name)s » : indiquez leur identifiant (slug).") % {
                "name": key
            }
        return None, _("Lieu inconnu : « %(name)s » (indiquez l'identifiant du lieu ou son nom exact).") % {"name": key}

    def buyer(self, key: str) -> tuple[Organisation | None, str]:
        siret = re.sub(r"\s", "", key)
        if siret.isdigit():
            if len(siret) != 14:
                return None, _("Un SIRET compte 14 chiffres.")
            if siret in self.orgs_by_siret:
                return self.orgs_by_siret[siret], ""
            return None, _("Aucune organisation enregistrée n'a le SIRET %(siret)s.") % {"siret": siret}
        found = self.orgs_by_name.get(key, [])
        if len(found) == 1:
            return found[0], ""
        if len(found) > 1:
            return None, _("Plusieurs organisations s'appellent « %(name)s » : indiquez leur SIRET.") % {"name": key}
        return None, _("Organisation inconnue : « %(name)s » (indiquez son SIRET ou son nom exact).") % {"name": key}


def _row_values(row: _Row, columns: frozenset[str], lookups: _Lookups) -> tuple[dict[str, Any], list[RowError]]:
    """The service's keyword values for one row (only the columns the file has), and its errors."""
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    cells = row.cells

    def add(column: str, message: str) -> None:
        errors.append(RowError(line=row.line, column=column, value=cells.get(column, "")[:200], message=message))

    if "__extra__" in cells:
        add("", _("La ligne compte plus de cellules que l'en-tête (un séparateur en trop ?)."))
    if "type" in columns:
        raw = cells.get("type", "")
        kind = lookups.kinds.get(normalise(raw).strip())
        if not raw:
            add("type", _("Le type est obligatoire."))
        elif kind is None:
            add(
                "type",
                _("Type inconnu : « %(value)s » (ordinateur fixe, imprimante, vidéoprojecteur…).") % {"value": raw},
            )
        else:
            values["kind"] = kind
    for column in ("marque_modele", "numero_inventaire", "remarques"):
        if column in columns:
            values[COLUMN_FIELDS[column]] = cells.get(column, "")
    values["serial_number"] = normalise_serial(cells.get("numero_serie"))
    if not values["serial_number"]:
        add("numero_serie", _("Le numéro de série est obligatoire."))
    if "achete_par" in columns:
        raw = cells.get("achete_par", "")
        if raw:
            buyer, problem = lookups.buyer(raw)
            if problem:
                add("achete_par", problem)
            values["bought_by"] = buyer
        else:
            values["bought_by"] = None
    for column in ("date_achat", "fin_garantie"):
        if column in columns:
            try:
                values[COLUMN_FIELDS[column]] = parse_date(cells.get(column, ""))
            except ValueError as exc:
                add(column, str(exc))
    if (
        "date_achat" in columns
        and "date_achat" not in {error.column for error in errors}
        and values.get("bought_on") is None
    ):
        add("date_achat", _("La date d'achat est obligatoire."))
    if "prix" in columns:
        try:
            values["price"] = parse_price(cells.get("prix", ""))
        except ValueError as exc:
            add("prix", str(exc))
    if "lieu" in columns:
        raw = cells.get("lieu", "")
        if not raw:
            add("lieu", _("Le lieu est obligatoire."))
        else:
            place, problem = lookups.place(raw)
            if problem:
                add("lieu", problem)
            else:
                values["place"] = place
    if "etat" in columns and cells.get("etat", ""):
        status = lookups.statuses.get(normalise(cells["etat"]).strip())
        if status is None:
            add(
                "etat",
                _("État inconnu : « %(value)s » (en service, en réparation ou réformé).") % {"value": cells["etat"]},
            )
        else:
            values["status"] = status
    return values, errors


def _errors_from_validation(line: int, exc: ValidationError, cells: Mapping[str, str]) -> list[RowError]:
    found: list[RowError] = []
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            column = FIELD_COLUMNS.get(name, "")
            found.extend(
                RowError(line=line, column=column, value=cells.get(column, "")[:200], message=message)
                for message in messages
            )
    else:
        found.extend(RowError(line=line, column="", value="", message=message) for message in exc.messages)
    return found


class _RollbackError(Exception):
    """Raised to undo a dry run or a refused import."""


def equipment_import_template() -> str:
    """The CSV template offered for download (``;`` separator, French decimals, an example row)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMN_NAMES)
    writer.writerow(
        [
            "ordinateur fixe",
            "Dell OptiPlex 7010",
            "ABC123XYZ",
            "CD15-2024-001",
            "Conseil départemental du Cantal",
            "01/09/2024",
            "749,90",
            "01/09/2027",
            "epn-du-pays-vert-ydes",
            "en service",
            "",
        ]
    )
    return out.getvalue()


def equipment_import(*, actor: Any, file: Any, dry_run: bool = False, filename: str = "") -> ImportReport:
    """Import an inventory CSV file: all rows or none.

    Columns (``IMPORT_COLUMNS``): type, marque_modele, numero_serie, numero_inventaire,
    achete_par (SIRET or exact name), date_achat, prix, fin_garantie, lieu (slug or exact
    name), etat, remarques. UTF-8 (with or without BOM) or Windows-1252; ``;`` or ``,``.
    The serial number is the key: a known serial updates that equipment (a changed place is a
    move, a changed état a repair or a retirement, each in the history), an unknown one creates
    it. Any wrong row (or a row the services refuse) and nothing is saved: the report lists
    every problem with its line and column. ``dry_run`` runs everything and rolls back: the
    preview is exactly what the import will do.
    """
    if actor is not None and not actor.has_perm(IMPORT_PERM):
        raise PermissionDenied(_("L'import du matériel est réservé à l'équipe du programme."))
    content, name = _read_bytes(file)
    report = ImportReport(filename=(filename or name)[:200], dry_run=dry_run)
    if not content.strip():
        raise ImportFileError(_("Le fichier est vide."))
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportFileError(_too_big_message())
    text, report.encoding = decode_upload(content)
    rows, columns, report.delimiter, report.notices = _parse(text)
    if report.encoding != "utf-8":
        report.notices.insert(
            0,
            _(
                "Le fichier n'était pas en UTF-8 : il a été lu comme un fichier Windows-1252 (Excel). "
                "Vérifiez les accents."
            ),
        )
    report.rows_total = len(rows)
    lookups = _Lookups(rows)
    planned: list[tuple[_Row, dict[str, Any]]] = []
    first_line_of: dict[str, int] = {}
    for row in rows:
        values, errors = _row_values(row, columns, lookups)
        serial = values.get("serial_number", "")
        if serial:
            if serial in first_line_of:
                errors.append(
                    RowError(
                        line=row.line,
                        column="numero_serie",
                        value=row.cells.get("numero_serie", ""),
                        message=_("Numéro de série en double dans le fichier (déjà ligne %(line)s).")
                        % {"line": first_line_of[serial]},
                    )
                )
            else:
                first_line_of[serial] = row.line
        if not errors:
            existing = lookups.existing.get(serial)
            check = (
                {name: getattr(existing, name) for name in (*EDITABLE_FIELDS, "place", "status")}
                if existing
                else {
                    "model_name": "",
                    "inventory_number": "",
                    "bought_by": None,
                    "price": None,
                    "warranty_ends_on": None,
                    "notes": "",
                    "status": EquipmentStatus.IN_SERVICE,
                }
            )
            check.update(values)
            # The serial number is the key: known ones update (no duplicate check needed here).
            problems = _check_fields(check, check_unique=False)
            for field_name, messages in problems.items():
                column = FIELD_COLUMNS.get(field_name, "")
                errors.extend(
                    RowError(line=row.line, column=column, value=row.cells.get(column, "")[:200], message=message)
                    for message in messages
                )
            if existing is None and "bought_on" not in values:
                errors.append(RowError(row.line, "date_achat", "", _("La date d'achat est obligatoire.")))
        report.errors.extend(errors)
        planned.append((row, values))
    if report.errors:
        return report
    try:
        with transaction.atomic():
            for row, values in planned:
                try:
                    report.lines.append(
                        _apply_row(actor, row.line, values, lookups.existing.get(values["serial_number"]))
                    )
                except ValidationError as exc:
                    report.errors.extend(_errors_from_validation(row.line, exc, row.cells))
                except PermissionDenied as exc:
                    report.errors.append(RowError(row.line, "lieu", row.cells.get("lieu", ""), str(exc)))
            if report.errors or dry_run:
                raise _RollbackError
            journal.record(
                actor=actor,
                action="equipment.imported",
                data={
                    "filename": report.filename,
                    "rows": report.rows_total,
                    "created": sum(1 for line in report.lines if line.action == "create"),
                    "updated": sum(1 for line in report.lines if line.action == "update"),
                },
            )
    except _RollbackError:
        pass
    report.created = sum(1 for line in report.lines if line.action == "create")
    report.updated = sum(1 for line in report.lines if line.action == "update")
    report.unchanged = sum(1 for line in report.lines if line.action == "unchanged")
    report.saved = not report.errors and not dry_run
    return report


def _apply_row(actor: Any, line: int, values: dict[str, Any], existing: Equipment | None) -> RowPlan:
    serial = values["serial_number"]
    today = _today()
    if existing is None:
        equipment = equipment_create(actor=actor, **values)
        return RowPlan(line=line, serial_number=serial, action="create", label=describe(equipment))
    changes = {name: value for name, value in values.items() if name in EDITABLE_FIELDS}
    changed = [name for name, value in changes.items() if getattr(existing, name) != value]
    equipment = equipment_update(actor=actor, equipment=existing, **changes)
    place = values.get("place")
    if place is not None and place.pk != equipment.place_id:
        equipment = equipment_move(
            actor=actor, equipment=equipment, to_place=place, on=today, description=_("Import de l'inventaire")
        )
        changed.append("place")
    status = values.get("status")
    if status and status != equipment.status:
        note = _("Import de l'inventaire")
        if status == EquipmentStatus.RETIRED:
            equipment = equipment_retire(actor=actor, equipment=equipment, on=today, description=note)
        elif status == EquipmentStatus.IN_REPAIR:
            equipment = equipment_repair_start(actor=actor, equipment=equipment, on=today, description=note)
        elif equipment.status == EquipmentStatus.IN_REPAIR:
            equipment = equipment_repair_end(actor=actor, equipment=equipment, on=today, description=note)
        else:
            raise ValidationError({"status": [_("Un équipement réformé ne revient pas en service.")]})
        changed.append("status")
    labels = [str(getattr(Equipment._meta.get_field(name), "verbose_name", name)) for name in changed]
    return RowPlan(
        line=line,
        serial_number=serial,
        action="update" if changed else "unchanged",
        label=describe(equipment),
        changes=labels,
    )


def import_columns_help() -> Iterable[tuple[str, bool, str]]:
    """The columns with their French help, for the import page."""
    return [(name, required, str(text)) for name, required, text in IMPORT_COLUMNS]
