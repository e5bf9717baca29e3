"""Reads of the procedures catalogue shared by the public pages, the kiosk mode and the
staff pages: the catalogue grouped by category with an accent-insensitive search, the
places near a commune that can help, and the revision history with what changed.

The catalogue holds a few dozen procedures: the search reads them in one query and folds
accents in Python (``core.text.normalise``), the same answer on SQLite and PostgreSQL.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import ExpressionWrapper, F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.core.text import normalise, search_terms
from cybercantal.places import hours
from cybercantal.places import queries as place_queries
from cybercantal.places.models import PlaceKind, PlaceOffer
from cybercantal.territory.models import Commune, Departement

from ..models import Category, Procedure, ProcedureRevision
from ..services.catalogue import SNAPSHOT_FIELDS

# --- catalogue -------------------------------------------------------------------------------


def published_procedures() -> QuerySet[Procedure]:
    return Procedure.objects.filter(is_published=True).order_by("category", "position", "title")


def _search_text(procedure: Procedure) -> str:
    return normalise(
        " ".join(
            [
                procedure.title,
                procedure.summary,
                procedure.official_name,
                procedure.documents,
                str(Category(procedure.category).label) if procedure.category in Category.values else "",
            ]
        )
    )


def search(text: str = "", *, category: str = "") -> list[Procedure]:
    """Published procedures whose text holds every word of ``text`` (start of a word,
    accents and case folded), optionally in one category. One query."""
    rows = published_procedures()
    if category:
        rows = rows.filter(category=category)
    terms = search_terms(text)
    result = []
    for procedure in rows:
        haystack = _search_text(procedure)
        if all(f" {term}" in haystack for term in terms):
            result.append(procedure)
    if terms:  # titles that match come first
        result.sort(key=lambda p: not all(f" {term}" in normalise(p.title) for term in terms))
    return result


@dataclass
class CategoryGroup:
    value: str
    label: str
    procedures: list[Procedure]


def grouped(procedures: list[Procedure]) -> list[CategoryGroup]:
    """The procedures by category, in the order of the ``Category`` choices."""
    by_category: dict[str, list[Procedure]] = {}
    for procedure in procedures:
        by_category.setdefault(procedure.category, []).append(procedure)
    return [
        CategoryGroup(value=value, label=str(label), procedures=by_category[value])
        for value, label in Category.choices
        if value in by_category
    ]


# --- help near a commune ---------------------------------------------------------------------

HELP_KINDS: tuple[tuple[str, Q], ...] = (
    (PlaceOffer.KIOSK, Q(offers__has=PlaceOffer.KIOSK)),
    (PlaceOffer.EPN, Q(offers__has=PlaceOffer.EPN) | Q(kind=PlaceKind.EPN)),
    (PlaceOffer.FRANCE_SERVICES, Q(offers__has=PlaceOffer.FRANCE_SERVICES) | Q(kind=PlaceKind.FRANCE_SERVICES)),
)


@dataclass
class HelpGroup:
    offer: str
    label: str
    rows: list[dict[str, Any]]


def _point_of(place: Any) -> tuple[float, float] | None:
    """The place's own point, else its commune's centre (many places have no coordinates)."""
    if place.latitude is not None and place.longitude is not None:
        return place.latitude, place.longitude
    commune = place.commune
    if commune is not None and commune.latitude is not None and commune.longitude is not None:
        return commune.latitude, commune.longitude
    return None


def helpers_near(
    latitude: float, longitude: float, *, per_kind: int = 3, at: datetime | None = None
) -> list[HelpGroup]:
    """For each kind of help (kiosk hosts, EPN, France Services), the ``per_kind`` published
    places nearest to the point, nearest first, with distance and today's hours. A place
    without coordinates counts at its commune's centre. One query per kind."""
    now = at or timezone.now()
    labels = dict(PlaceOffer.choices)
    scale = math.cos(math.radians(latitude))
    place_lat = Coalesce(F("latitude"), F("commune__latitude"))
    place_lon = Coalesce(F("longitude"), F("commune__longitude"))
    dx = (place_lon - Value(longitude)) * Value(scale)
    dy = place_lat - Value(latitude)
    distance2 = ExpressionWrapper(dx * dx + dy * dy, output_field=FloatField())
    groups = []
    for offer, condition in HELP_KINDS:
        places = (
            place_queries.published()
            .filter(condition)
            .filter(Q(latitude__isnull=False, longitude__isnull=False) | Q(commune__latitude__isnull=False))
            .annotate(help_distance2=distance2)
            .order_by("help_distance2", "name", "pk")[:per_kind]
        )
        rows: list[dict[str, Any]] = []
        for place in places:
            point = _point_of(place)
            if point is None:
                continue
            rows.append(
                {
                    "place": place,
                    "distance_km": place_queries.distance_km(latitude, longitude, *point),
                    "today": hours.today_text(place.opening_hours, now),
                }
            )
        rows.sort(key=lambda row: (row["distance_km"], row["place"].name))
        groups.append(HelpGroup(offer=str(offer), label=str(labels[offer]), rows=rows))
    return groups


@dataclass
class NearAnswer:
    """What "Où se faire aider près de chez vous" answers for a typed commune."""

    typed: str = ""
    commune: Commune | None = None
    groups: list[HelpGroup] = field(default_factory=list)
    problem: str = ""
    suggestions: list[Commune] = field(default_factory=list)


def _looks_like_outside_postal_code(text: str) -> bool:
    digits = text.strip().replace(" ", "")
    return len(digits) == 5 and digits.isdigit() and not digits.startswith(settings.DEPARTEMENT_CODE)


def _current_homonym(typed: str, suggestions: list[Commune]) -> Commune | None:
    """ "Murat" names a current commune and the delegated commune it absorbed: the typed
    name designates the current one when it is the only current commune of that name."""
    wanted = normalise(typed)
    current = [
        commune
        for commune in suggestions
        if commune.kind == Commune.Kind.ACTUELLE and normalise(commune.name) == wanted
    ]
    return current[0] if len(current) == 1 else None


def help_near_commune(typed: str, *, at: datetime | None = None) -> NearAnswer:
    """Resolve the typed commune (``places.queries.resolve_commune``) and find help near it;
    unknown, ambiguous and outside-the-département communes get a French message."""
    typed = " ".join((typed or "").split())[:150]
    answer = NearAnswer(typed=typed)
    if not typed:
        return answer
    outside = _("%(text)s n'est pas dans le département : cette page montre seulement les lieux du département.")
    if _looks_like_outside_postal_code(typed):
        answer.problem = outside % {"text": typed}
        return answer
    match = place_queries.resolve_commune(typed)
    commune = match.commune or _current_homonym(typed, match.suggestions)
    if commune is None:
        answer.suggestions = list(match.suggestions)
        if match.suggestions and not match.close_spelling:
            answer.problem = _("Plusieurs communes correspondent à « %(text)s » : choisissez la vôtre.") % {
                "text": typed
            }
        elif match.suggestions:
            answer.problem = _("Aucune commune du département ne s'appelle « %(text)s ». Vouliez-vous dire :") % {
                "text": typed
            }
        else:
            answer.problem = _(
                "Aucune commune du département ne s'appelle « %(text)s » : vérifiez l'orthographe. "
                "Si vous habitez hors du département, adressez-vous à la mairie de votre commune."
            ) % {"text": typed}
        return answer
    answer.commune = commune
    departement_code = Departement.objects.filter(pk=commune.departement_id).values_list("code", flat=True).first()
    if departement_code != settings.DEPARTEMENT_CODE:
        answer.problem = outside % {"text": commune.name}
        answer.commune = None
        return answer
    point = place_queries.commune_point(commune)
    if point is None:
        answer.problem = _("La position de %(commune)s n'est pas connue : choisissez une commune voisine.") % {
            "commune": commune.name
        }
        return answer
    answer.groups = helpers_near(*point, at=at)
    return answer


# --- staff pages -----------------------------------------------------------------------------


def manage_list(*, text: str = "", dead_only: bool = False) -> QuerySet[Procedure]:
    """Every procedure (published or not) for the staff list, with who edited it last."""
    queryset = Procedure.objects.select_related("updated_by").order_by("category", "position", "title")
    if dead_only:
        queryset = queryset.filter(link_ok=False)
    if text:
        for term in search_terms(text):
            queryset = queryset.filter(Q(title__icontains=term) | Q(slug__icontains=term))
    return queryset


@dataclass
class FieldChange:
    name: str
    label: str
    before: str
    after: str
    lines: list[dict[str, str]] = field(default_factory=list)  # for multi-line text: +/- lines


@dataclass
class RevisionRow:
    revision: ProcedureRevision
    changes: list[FieldChange]
    is_current: bool


def _shown(name: str, value: Any) -> str:
    if name == "category":
        return str(Category(value).label) if value in Category.values else str(value or "")
    if name == "is_published":
        return _("oui") if value else _("non")
    return "" if value is None else str(value)


def field_label(name: str) -> str:
    return str(getattr(Procedure._meta.get_field(name), "verbose_name", name))


def changes_between(before: dict[str, Any] | None, after: dict[str, Any]) -> list[FieldChange]:
    """What changed from one snapshot to the next, field by field (documents line by line)."""
    before = before or {}
    changes = []
    for name in SNAPSHOT_FIELDS:
        old, new = before.get(name), after.get(name)
        if before and old == new:
            continue
        if not before and new in (None, ""):
            continue
        change = FieldChange(name=name, label=field_label(name), before=_shown(name, old), after=_shown(name, new))
        if name == "documents":
            old_lines = str(old or "").splitlines()
            new_lines = str(new or "").splitlines()
            for line in difflib.ndiff(old_lines, new_lines):
                if line.startswith(("+ ", "- ")):
                    change.lines.append({"op": "added" if line[0] == "+" else "removed", "text": line[2:]})
        changes.append(change)
    return changes


def history(procedure: Procedure) -> list[RevisionRow]:
    """The revisions, newest first, each with what it changed from the one before. One query."""
    revisions = list(procedure.revisions.select_related("author").order_by("-created_at", "-pk"))
    current = {name: getattr(procedure, name) for name in SNAPSHOT_FIELDS}
    rows = []
    for index, revision in enumerate(revisions):
        previous = revisions[index + 1].data if index + 1 < len(revisions) else None
        rows.append(
            RevisionRow(
                revision=revision,
                changes=changes_between(previous, revision.data),
                is_current=revision.data == current,
            )
        )
    return rows
