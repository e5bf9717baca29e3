"""Shapely shapes of the loaded territory, built once per process and per data version.

The boundaries live in the database as GeoJSON text (ADR 0001: no spatial database). Parsing
them costs a few tens of milliseconds, so the shapes, their STRtree indexes and the
commune -> cantons links are kept in memory. They are rebuilt when the data version
changes: the import writes a new ``Departement.data_version`` and calls
:func:`invalidate`; other processes notice the new version within ``VERSION_TTL`` seconds
(the version is read through the Django cache, then the database).
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field

import shapely
from django.core.cache import cache
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

VERSION_CACHE_KEY = "territory:data-version"
VERSION_TTL = 30.0

_lock = threading.Lock()
_index: Index | None = None
_version_memo: tuple[str, float] | None = None


def parse(boundary: str) -> BaseGeometry | None:
    """A shapely geometry from stored GeoJSON text (None when empty or unreadable)."""
    if not boundary:
        return None
    try:
        geom = shape(json.loads(boundary))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return geom


def data_version() -> str:
    """The version of the loaded reference data, shared by every process.

    Read from a short in-process memo, then the Django cache, then the database.
    """
    global _version_memo
    now = time.monotonic()
    memo = _version_memo
    if memo is not None and now - memo[1] < VERSION_TTL:
        return memo[0]
    version = cache.get(VERSION_CACHE_KEY)
    if version is None:
        from .models import Departement

        versions = list(Departement.objects.order_by("code").values_list("code", "data_version"))
        version = "|".join(f"{code}:{v}" for code, v in versions) or "vide"
        cache.set(VERSION_CACHE_KEY, version, VERSION_TTL)
    _version_memo = (version, now)
    return version


def invalidate() -> None:
    """Forget the shapes and the version (called by the import, in and after its transaction)."""
    global _index, _version_memo
    with _lock:
        _index = None
        _version_memo = None
    cache.delete(VERSION_CACHE_KEY)


@dataclass
class Index:
    """Everything geometric about the loaded territory, for one data version."""

    version: str
    outlines: dict[str, BaseGeometry] = field(default_factory=dict)
    #: Every commune that has a boundary (current, delegated, associated) by primary key.
    commune_shapes: dict[int, BaseGeometry] = field(default_factory=dict)
    #: Current communes for point lookups. A polygon shared by several communes (the 2018
    #: polygon of 15141 also stands in for 15031, 15035, 15047 and 15171) appears once,
    #: for the commune whose own polygon it is (empty ``boundary_source``).
    lookup_ids: list[int] = field(default_factory=list)
    lookup_tree: STRtree | None = None
    canton_shapes: dict[int, BaseGeometry] = field(default_factory=dict)
    canton_ids: list[int] = field(default_factory=list)
    canton_tree: STRtree | None = None
    cantons_of_commune: dict[int, tuple[int, ...]] = field(default_factory=dict)
    #: Canton primary keys by code, and the canton codes of each commune (for maps).
    canton_code: dict[int, str] = field(default_factory=dict)
    commune_code: dict[int, str] = field(default_factory=dict)
    #: Current communes whose polygon is theirs alone or the lookup owner of a shared one.
    displayed_communes: list[int] = field(default_factory=list)


def _build(version: str) -> Index:
    from .models import Canton, Commune, Departement

    index = Index(version=version)
    for code, boundary in Departement.objects.values_list("code", "boundary"):
        geom = parse(boundary)
        if geom is not None:
            index.outlines[code] = geom
    owners: dict[str, tuple[int, bool]] = {}
    rows = (
        Commune.objects.exclude(boundary="")
        .order_by("insee_code", "kind")
        .values_list("pk", "insee_code", "kind", "boundary", "boundary_source")
    )
    for pk, code, kind, boundary, boundary_source in rows:
        geom = parse(boundary)
        if geom is None:
            continue
        index.commune_shapes[pk] = geom
        index.commune_code[pk] = code
        if kind != Commune.Kind.ACTUELLE:
            continue
        own = not boundary_source
        previous = owners.get(boundary)
        if previous is None or (own and not previous[1]):
            owners[boundary] = (pk, own)
    index.lookup_ids = sorted(pk for pk, _own in owners.values())
    index.displayed_communes = index.lookup_ids
    index.lookup_tree = STRtree([index.commune_shapes[pk] for pk in index.lookup_ids])
    for pk, code, boundary in Canton.objects.order_by("code").values_list("pk", "code", "boundary"):
        geom = parse(boundary)
        index.canton_code[pk] = code
        if geom is not None:
            index.canton_shapes[pk] = geom
    index.canton_ids = list(index.canton_shapes)
    index.canton_tree = STRtree([index.canton_shapes[pk] for pk in index.canton_ids])
    links: dict[int, list[int]] = {}
    for commune_id, canton_id in Commune.cantons.through.objects.values_list("commune_id", "canton_id"):
        links.setdefault(commune_id, []).append(canton_id)
    index.cantons_of_commune = {pk: tuple(sorted(ids)) for pk, ids in links.items()}
    return index


def get_index() -> Index:
    """The shapes for the current data version (built on first use, then reused)."""
    global _index
    version = data_version()
    current = _index
    if current is not None and current.version == version:
        return current
    with _lock:
        if _index is None or _index.version != version:
            _index = _build(version)
        return _index


def locate(lat: float, lon: float) -> tuple[int | None, int | None]:
    """(commune pk, canton pk) of the point; None where it falls outside.

    The canton is chosen among the commune's own cantons (the canton outlines are coarser
    than the commune outlines, so the canton polygon alone can be wrong near a border).
    """
    index = get_index()
    point = Point(lon, lat)
    commune_id = None
    if index.lookup_tree is not None and index.lookup_ids:
        hits = sorted(int(i) for i in index.lookup_tree.query(point, predicate="intersects"))
        if hits:
            commune_id = index.lookup_ids[hits[0]]
    canton_id = None
    candidates = index.cantons_of_commune.get(commune_id, ()) if commune_id is not None else ()
    if len(candidates) == 1:
        canton_id = candidates[0]
    elif candidates:
        shapes = [(pk, index.canton_shapes[pk]) for pk in candidates if pk in index.canton_shapes]
        inside = [pk for pk, geom in shapes if geom.intersects(point)]
        canton_id = inside[0] if inside else min(shapes, key=lambda item: item[1].distance(point))[0]
    elif index.canton_tree is not None and index.canton_ids:
        hits = sorted(int(i) for i in index.canton_tree.query(point, predicate="intersects"))
        if hits:
            canton_id = index.canton_ids[hits[0]]
    return commune_id, canton_id


def commune_shape(commune_id: int) -> BaseGeometry | None:
    return get_index().commune_shapes.get(commune_id)


def random_point_in(geom: BaseGeometry, rng: random.Random, *, attempts: int = 1000) -> tuple[float, float]:
    """A uniformly random (lat, lon) strictly inside ``geom`` (rejection sampling)."""
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(attempts):
        lon = rng.uniform(minx, maxx)
        lat = rng.uniform(miny, maxy)
        if geom.contains(Point(lon, lat)):
            return round(lat, 6), round(lon, 6)
    point = geom.representative_point()
    return round(point.y, 6), round(point.x, 6)
