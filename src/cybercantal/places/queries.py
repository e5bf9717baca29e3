"""Reads on places shared by the views, the API and insights.

Everything here works the same on SQLite and PostgreSQL: the search is a ``LIKE`` on a
normalised text column, the distance sort is plain arithmetic (equirectangular projection,
accurate to well under 1 % at the scale of a département), "open now" reads the weekly
``PlaceOpeningSlot`` rows.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, ExpressionWrapper, F, FloatField, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from cybercantal.core.text import normalise, search_terms
from cybercantal.territory.models import Canton, Commune

from . import hours
from .models import Place, PlaceKind, PlaceOffer, PlaceOpeningSlot

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
# Abbreviations people type, as the search text spells them.
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def _terms(text: str) -> list[str]:
    return [ABBREVIATIONS.get(term, term) for term in search_terms(text)]


# Columns never shown with a place: the GeoJSON boundaries weigh kilobytes per row.
HEAVY_RELATED = ("commune__boundary", "commune__search_text", "canton__boundary")


def published() -> QuerySet[Place]:
    return Place.objects.published().select_related("commune", "canton").defer(*HEAVY_RELATED)


def open_at_filter(at: datetime | None = None) -> Exists | Q:
    """SQL condition "open at ``at``", the same answer as ``hours.status(...).is_open``.

    On a regular day it reads the weekly ``PlaceOpeningSlot`` rows (rebuilt every night, so
    seasons and dated rules are right). Those rows ignore public holidays: on a holiday, the
    places whose hours have a holiday rule (``PH off``, ``PH 10:00-12:00``) are decided by the
    parser instead, once per distinct text (one more query, on holidays only).
    """
    local = timezone.localtime(at or timezone.now())
    minute = local.hour * 60 + local.minute
    regular = Exists(
        PlaceOpeningSlot.objects.filter(
            place=OuterRef("pk"), weekday=local.weekday(), opens__lte=minute, closes__gt=minute
        )
    )
    if not hours.is_public_holiday(local.date()):
        return regular
    with_holiday_rule = Q(opening_hours__contains="PH")
    texts = (
        Place.objects.published()
        .filter(with_holiday_rule)
        .order_by()
        .values_list("opening_hours", flat=True)
        .distinct()
    )
    open_texts = [text for text in texts if hours.is_open(text, local)]
    return (regular & ~with_holiday_rule) | Q(opening_hours__in=open_texts)


def open_on_weekday_filter(weekday: int) -> Exists:
    """SQL condition "has hours on that weekday" (6 = Sunday)."""
    return Exists(PlaceOpeningSlot.objects.filter(place=OuterRef("pk"), weekday=weekday))


def squared_distance(latitude: float, longitude: float) -> ExpressionWrapper:
    """An expression proportional to the squared distance from the point (for ORDER BY only)."""
    scale = math.cos(math.radians(latitude))
    dx = (F("longitude") - Value(longitude)) * Value(scale)
    dy = F("latitude") - Value(latitude)
    return ExpressionWrapper(dx * dx + dy * dy, output_field=FloatField())


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), for the rows actually shown."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def directory(
    *,
    text: str = "",
    kind: str | None = None,
    canton: Canton | None = None,
    commune: Commune | None = None,
    service: str | None = None,
    open_now: bool = False,
    near: tuple[float, float] | None = None,
    at: datetime | None = None,
) -> QuerySet[Place]:
    """Published places matching the filters, nearest first when ``near`` is given, else by name.

    ``text`` is searched word by word (AND), accent- and case-insensitively, on the name,
    kind, commune, postal code and address; a word matches at the start of a word.
    The queryset is lazy: paginate it (one count query and one page query).
    """
    queryset = published()
    for term in _terms(text):
        queryset = queryset.filter(search_text__contains=f" {term}")
    if kind:
        queryset = queryset.filter(kind=kind)
    if canton is not None:
        queryset = queryset.filter(canton=canton)
    if commune is not None:
        queryset = queryset.filter(commune=commune)
    if service:
        queryset = queryset.filter(services__has=service)
    if open_now:
        queryset = queryset.filter(open_at_filter(at))
    if near is not None:
        queryset = queryset.annotate(distance2=squared_distance(*near)).order_by(
            F("distance2").asc(nulls_last=True), "name", "pk"
        )
    else:
        queryset = queryset.order_by("name", "pk")
    return queryset


def with_distances(places: Iterable[Place], near: tuple[float, float] | None) -> list[Place]:
    """Set ``place.distance_km`` (or None) on the rows of a page."""
    rows = list(places)
    for place in rows:
        place.distance_km = (  # type: ignore[attr-defined]
            distance_km(near[0], near[1], place.latitude, place.longitude)
            if near is not None and place.latitude is not None and place.longitude is not None
            else None
        )
    return rows


def nearest(latitude: float, longitude: float, limit: int = 10, kind: str | None = None) -> list[Place]:
    """The ``limit`` published places nearest to the point, each with ``distance_km``.

    A bounding box keeps the candidate set small (the lat/lon index serves it); it widens
    until it holds enough places, then the exact distance orders them.
    """
    base = published().filter(latitude__isnull=False)
    if kind:
        base = base.filter(kind=kind)
    half_side_km = 10.0
    scale = max(math.cos(math.radians(latitude)), 0.01)
    candidates: list[Place] = []
    while True:
        dlat = half_side_km / KM_PER_DEGREE
        dlon = dlat / scale
        box = base.filter(
            latitude__range=(latitude - dlat, latitude + dlat),
            longitude__range=(longitude - dlon, longitude + dlon),
        )
        candidates = list(box.annotate(distance2=squared_distance(latitude, longitude)).order_by("distance2")[:limit])
        # Enough places, and the farthest of them is inside the circle the box contains:
        # nothing outside the box can be nearer.
        if len(candidates) >= limit and candidates:
            last = candidates[-1]
            farthest = distance_km(latitude, longitude, last.latitude or 0.0, last.longitude or 0.0)
            if farthest <= half_side_km:
                break
        if half_side_km > 2500:
            candidates = list(
                base.annotate(distance2=squared_distance(latitude, longitude)).order_by("distance2")[:limit]
            )
            break
        half_side_km *= 2
    rows = with_distances(candidates, (latitude, longitude))
    rows.sort(key=lambda place: (place.distance_km, place.name))  # type: ignore[attr-defined]
    return rows


# --- communes typed by name --------------------------------------------------------------


@dataclass
class CommuneMatch:
    """The answer to "près de <text>": one commune, or suggestions.

    ``close_spelling`` says the suggestions are names spelt like ``text`` (nothing matched
    it as typed), rather than several communes that all match it.
    """

    commune: Commune | None = None
    suggestions: list[Commune] = field(default_factory=list)
    close_spelling: bool = False


def communes_matching(text: str, limit: int = 8) -> list[Commune]:
    """Communes whose name matches ``text``, best first (territory's ``communes_by_name``)."""
    from cybercantal.territory import queries as territory_queries

    return list(territory_queries.communes_by_name(text, limit))


def communes_spelt_like(text: str, limit: int = 5) -> list[Commune]:
    """Current communes whose name is spelt like ``text`` ("aurilac" -> Aurillac), closest first.

    For a name nobody matched as typed. The département has a few hundred communes: their
    names are compared in Python (one query), accents, case and hyphens folded.
    """
    wanted = " ".join(_terms(text))
    if len(wanted) < 3:
        return []
    communes = list(Commune.objects.current().only("pk", "name", "insee_code", "postal_codes"))
    by_key: dict[str, list[Commune]] = {}
    for commune in communes:
        by_key.setdefault(" ".join(_terms(commune.name)), []).append(commune)
    keys = difflib.get_close_matches(wanted, list(by_key), n=limit, cutoff=0.75)
    return [commune for key in keys for commune in by_key[key]][:limit]


def resolve_commune(text: str) -> CommuneMatch:
    """One commune for ``text`` when the name designates it, else suggestions (maybe none)."""
    candidates = communes_matching(text)
    if not candidates:
        return CommuneMatch(suggestions=communes_spelt_like(text), close_spelling=True)
    wanted = normalise(" ".join(_terms(text)))
    exact = [commune for commune in candidates if normalise(" ".join(_terms(commune.name))) == wanted]
    if len(exact) == 1:
        return CommuneMatch(commune=exact[0])
    # A current commune and a former one merged into another can share a name (Murat): the
    # person means the current one.
    current = [commune for commune in exact if commune.kind == Commune.Kind.ACTUELLE]
    if len(current) == 1:
        return CommuneMatch(commune=current[0])
    if len(candidates) == 1:
        return CommuneMatch(commune=candidates[0])
    return CommuneMatch(suggestions=candidates)


def commune_point(commune: Commune) -> tuple[float, float] | None:
    if commune.latitude is None or commune.longitude is None:
        return None
    return (commune.latitude, commune.longitude)


# --- place page, map, coverage -----------------------------------------------------------


def place_detail(slug: str) -> Place:
    """One place with what its page shows (raises ``Place.DoesNotExist``)."""
    return Place.objects.select_related("commune", "canton", "organisation").defer(*HEAVY_RELATED).get(slug=slug)


def map_places(*, kind: str | None = None) -> QuerySet[Place]:
    queryset = published().filter(latitude__isnull=False)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("name", "pk")


# Columns of the coverage page: what a canton has, in the programme's own words.
COVERAGE_COLUMNS: Sequence[tuple[str, Q]] = (
    ("epn", Q(offers__has=PlaceOffer.EPN) | Q(kind=PlaceKind.EPN)),
    ("kiosk", Q(offers__has=PlaceOffer.KIOSK)),
    ("france_services", Q(offers__has=PlaceOffer.FRANCE_SERVICES) | Q(kind=PlaceKind.FRANCE_SERVICES)),
    ("telecentre", Q(offers__has=PlaceOffer.TELECENTRE) | Q(kind=PlaceKind.TELECENTRE)),
    ("college", Q(kind=PlaceKind.COLLEGE) | Q(offers__has=PlaceOffer.CYBER_ROOM)),
)


@dataclass
class CantonCoverage:
    canton: Canton
    counts: dict[str, int]

    @property
    def has_epn(self) -> bool:
        return self.counts.get("epn", 0) > 0

    @property
    def has_kiosk(self) -> bool:
        return self.counts.get("kiosk", 0) > 0

    @property
    def promise(self) -> str:
        """ "both", "one" or "none": the programme promises one EPN and one kiosk per canton."""
        kept = int(self.has_epn) + int(self.has_kiosk)
        return ("none", "one", "both")[kept]

    @property
    def missing(self) -> list[str]:
        return [key for key in ("epn", "kiosk") if self.counts.get(key, 0) == 0]


def coverage() -> list[CantonCoverage]:
    """Per canton, how many published places of each kind it has: two queries in all."""
    aggregates = {key: Count("pk", filter=condition) for key, condition in COVERAGE_COLUMNS}
    rows = (
        Place.objects.published()
        .filter(canton__isnull=False)
        .values("canton")
        .annotate(**aggregates)
        .order_by("canton")
    )
    by_canton = {row["canton"]: row for row in rows}
    result = []
    for canton in Canton.objects.defer("boundary").order_by("number", "name"):
        row: dict[str, Any] = dict(by_canton.get(canton.pk) or {})
        result.append(CantonCoverage(canton=canton, counts={key: row.get(key, 0) for key, _ in COVERAGE_COLUMNS}))
    return result


# --- who manages what --------------------------------------------------------------------


def my_places(user: Any) -> QuerySet[Place]:
    """The places the person manages, any status: those their active memberships with a
    place-editor role are scoped to (or to the place's organisation); all for programme
    managers and administrators. The roles are those of ``places.change_place``.
    """
    from cybercantal.accounts.permissions import PLACE_EDITOR_ROLES, is_platform_manager
    from cybercantal.accounts.queries import objects_in_scope

    queryset = Place.objects.select_related("commune", "canton").defer(*HEAVY_RELATED)
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if is_platform_manager.test(user):
        return queryset.order_by("name", "pk")
    return objects_in_scope(user, queryset, PLACE_EDITOR_ROLES).order_by("name", "pk")
