"""Every write on places: create, update, set the opening hours.

Each function is keyword-only, runs in one transaction, keeps the derived data in step
(canton from the point, ``search_text``, ``PlaceOpeningSlot`` rows) and writes one journal
entry. Invalid data raises ``django.core.exceptions.ValidationError`` with French messages
keyed by field, so a view can show them next to the fields; nothing is half-saved.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cybercantal.core import journal
from cybercantal.core.text import normalise
from cybercantal.territory.models import Canton, Commune

from . import hours
from .models import Place, PlaceKind, PlaceOpeningSlot

# The fields a person edits in the place form, in the order the form shows them.
FORM_FIELDS = (
    "name",
    "kind",
    "status",
    "offers",
    "organisation",
    "commune",
    "address",
    "address_complement",
    "postal_code",
    "latitude",
    "longitude",
    "phone",
    "email",
    "website",
    "presentation_summary",
    "presentation_detail",
    "accessibility_details",
    "photo",
    "pivot",
    "structure_parente",
    "typologie",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "modalites_acces",
    "modalites_accompagnement",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "itinerance",
    "fiche_acces_libre",
    "prise_rdv",
)
# The fields a service caller may set: the form's, plus what only imports and the hours
# form write (the hours are entered through their own form, ``place_set_hours``).
EDITABLE_FIELDS = frozenset(FORM_FIELDS) | {"opening_hours", "date_maj", "lmn_id", "source"}
# How long a second identical creation is taken for a double submit rather than a mistake.
DOUBLE_SUBMIT_WINDOW = timedelta(minutes=10)


class DuplicatePlaceError(ValidationError):
    """A place with this name already exists in this commune (``existing`` is that place)."""

    def __init__(self, existing: Place) -> None:
        self.existing = existing
        super().__init__(
            {
                "name": [
                    _("Un lieu nommé « %(name)s » existe déjà à %(commune)s.")
                    % {"name": existing.name, "commune": existing.commune.name}
                ]
            }
        )


# --- derived data ----------------------------------------------------------------------


def build_search_text(place: Place) -> str:
    """Normalised name, kind, commune, postal code and address, for the word-by-word search."""
    with translation.override("fr"):
        kind_label = str(PlaceKind(place.kind).label) if place.kind in PlaceKind.values else ""
    parts = [
        place.name,
        kind_label,
        place.commune.name if place.commune_id else "",
        place.postal_code,
        place.address,
        place.address_complement,
    ]
    return normalise(" ".join(part for part in parts if part))


def _lookup_point(latitude: float, longitude: float) -> Any:
    """territory's ``lookup_point``: ``(lat, lon) -> obj with .commune and .canton`` (or None)."""
    from cybercantal.territory.queries import lookup_point

    return lookup_point(latitude, longitude)


def canton_for(*, commune: Commune, latitude: float | None, longitude: float | None) -> Canton | None:
    """The canton of a place: from its point when it has one, else from its commune.

    A commune may lie in several cantons (Aurillac): without a point, its centroid decides.
    """
    if latitude is not None and longitude is not None:
        found = _lookup_point(latitude, longitude)
        canton = getattr(found, "canton", None)
        if canton is not None:
            return canton
    cantons = list(commune.cantons.all()[:2])
    if len(cantons) == 1:
        return cantons[0]
    if cantons and commune.latitude is not None and commune.longitude is not None:
        found = _lookup_point(commune.latitude, commune.longitude)
        canton = getattr(found, "canton", None)
        if canton is not None:
            return canton
    return cantons[0] if cantons else None


def _replace_slots(place: Place, on: date | None = None) -> None:
    PlaceOpeningSlot.objects.filter(place=place).delete()
    PlaceOpeningSlot.objects.bulk_create(
        PlaceOpeningSlot(place=place, weekday=weekday, opens=opens, closes=closes)
        for weekday, opens, closes in hours.weekly_slots(place.opening_hours, on=on)
    )


def unique_slug(name: str, commune: Commune, *, exclude_pk: int | None = None) -> str:
    base = slugify(f"{name} {commune.name}")[:150].strip("-") or "lieu"
    candidates = Place.objects.filter(slug__startswith=base)
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    taken = set(candidates.values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _check(place: Place, *, exclude: Iterable[str] = ()) -> None:
    """Model validation (field validators, choices, constraints) with French messages.

    NUL characters are refused first: PostgreSQL cannot store them (a 500 otherwise), and
    nobody means one (forms refuse them already; an imported file may carry one).
    """
    with_nul = {
        field.name: [_("Ce texte contient un caractère nul (invisible) : retirez-le.")]
        for field in place._meta.concrete_fields
        if isinstance(value := getattr(place, field.attname, None), str) and "\x00" in value
    }
    if with_nul:
        raise ValidationError(with_nul)
    place.full_clean(exclude=["search_text", *exclude], validate_unique=True, validate_constraints=True)


def _save(place: Place) -> None:
    try:
        with transaction.atomic():
            place.save()
    except IntegrityError as exc:  # a race on slug or lmn_id between check and save
        raise ValidationError(
            _("Ce lieu vient d'être enregistré par ailleurs : rechargez la page et réessayez.")
        ) from exc


def _refresh_derived(place: Place) -> None:
    place.canton = canton_for(commune=place.commune, latitude=place.latitude, longitude=place.longitude)
    place.search_text = build_search_text(place)


def _check_may_assign_organisation(actor: Any) -> None:
    """Who manages a place (its ``organisation``) is changed by programme managers only."""
    if actor is not None and not actor.has_perm("places.assign_organisation"):
        raise ValidationError(
            {"organisation": [_("Seul un chargé de programme peut rattacher le lieu à une autre structure.")]}
        )


# --- services --------------------------------------------------------------------------


@transaction.atomic
def place_create(
    *,
    actor: Any,
    name: str,
    kind: str,
    commune: Commune,
    address: str,
    postal_code: str,
    slug: str = "",
    allow_same_name: bool = False,
    **fields: Any,
) -> Place:
    """Create a place. ``fields`` are other ``EDITABLE_FIELDS``.

    Raises ``DuplicatePlaceError`` when a place of that name already exists in the commune
    (a double submit finds the first one there) unless ``allow_same_name`` (imports),
    ``ValidationError`` on bad data.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"place_create() got unexpected fields: {sorted(unknown)}")
    name = " ".join(name.split())
    if not allow_same_name:
        existing = (
            Place.objects.select_related("commune")
            .filter(commune=commune, search_text__startswith=normalise(name))
            .order_by("-created_at")
            .first()
        )
        if existing is not None and normalise(existing.name) == normalise(name):
            raise DuplicatePlaceError(existing)
    place = Place(
        name=name,
        kind=kind,
        commune=commune,
        address=address.strip(),
        postal_code=postal_code.strip(),
        **fields,
    )
    place.slug = slug or unique_slug(name, commune)
    _refresh_derived(place)
    _check(place)
    _save(place)
    _replace_slots(place)
    journal.record(actor=actor, action="place.created", target=place, data={"slug": place.slug, "kind": place.kind})
    return place


@transaction.atomic
def place_update(*, actor: Any, place: Place, **changes: Any) -> Place:
    """Change some fields of ``place``. No journal entry when nothing changed (double submit)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"place_update() got unexpected fields: {sorted(unknown)}")
    locked = Place.objects.select_for_update().get(pk=place.pk)
    changed = []
    for name, value in changes.items():
        if name == "photo" and value is None:
            continue  # no new file uploaded: keep the current photo
        before = getattr(locked, name)
        if name == "photo":
            before = before.name if before else ""
            if value is False:  # "clear" ticked on the file input
                value = ""
            after = getattr(value, "name", value) or ""
        else:
            after = value
        if before != after:
            setattr(locked, name, value)
            changed.append(name)
    if not changed:
        return locked
    if "organisation" in changed:
        _check_may_assign_organisation(actor)
    if "date_maj" not in changes:
        locked.date_maj = timezone.localdate()
    _refresh_derived(locked)
    _check(locked, exclude=() if "photo" in changed else ("photo",))
    _save(locked)
    if "opening_hours" in changed:
        _replace_slots(locked)
    journal.record(actor=actor, action="place.updated", target=locked, data={"fields": sorted(changed)})
    return locked


@transaction.atomic
def place_set_hours(*, actor: Any, place: Place, opening_hours: str) -> Place:
    """Replace the opening hours (OSM text, validated) and their weekly slots."""
    opening_hours = " ".join((opening_hours or "").split())
    message = hours.parse_error(opening_hours)
    if message:
        raise ValidationError({"opening_hours": [message]})
    locked = Place.objects.select_for_update().get(pk=place.pk)
    if locked.opening_hours == opening_hours:
        return locked
    previous = locked.opening_hours
    locked.opening_hours = opening_hours
    locked.date_maj = timezone.localdate()
    locked.save(update_fields=["opening_hours", "date_maj", "updated_at"])
    _replace_slots(locked)
    journal.record(
        actor=actor,
        action="place.hours_set",
        target=locked,
        data={"before": previous, "after": opening_hours},
    )
    return locked


def refresh_opening_slots(*, places: Iterable[Place] | None = None, on: date | None = None) -> int:
    """Rebuild the weekly slots for the seven days from ``on`` (today); returns how many places
    had slots that changed.

    Run every night (``cybercantal refresh_opening_slots``): seasonal and dated rules
    ("Jul-Aug off") then take effect on the day they say, for "ouvert maintenant" too. Slots
    are computed once per distinct hours text and only the places whose rows differ are
    rewritten, so a night without change writes nothing.
    """
    on = on or timezone.localdate()
    if places is None:
        places = Place.objects.only("pk", "opening_hours").order_by("pk").iterator(chunk_size=2000)
    expected_by_text: dict[str, list[tuple[int, int, int]]] = {}
    changed = 0
    for chunk in _chunks(places, 2000):
        stored: dict[int, list[tuple[int, int, int]]] = {place.pk: [] for place in chunk}
        for place_id, weekday, opens, closes in PlaceOpeningSlot.objects.filter(place__in=list(stored)).values_list(
            "place_id", "weekday", "opens", "closes"
        ):
            stored[place_id].append((weekday, opens, closes))
        with transaction.atomic():
            for place in chunk:
                text = place.opening_hours or ""
                if text not in expected_by_text:
                    expected_by_text[text] = hours.weekly_slots(text, on=on)
                if sorted(stored[place.pk]) != expected_by_text[text]:
                    _replace_slots(place, on=on)
                    changed += 1
    return changed


def _chunks(items: Iterable[Place], size: int) -> Iterator[list[Place]]:
    chunk: list[Place] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
