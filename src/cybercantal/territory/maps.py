"""Server-rendered SVG maps of the département: outline, cantons, communes, markers.

No tile server and no JavaScript: :func:`render_map` returns a small inline SVG (the shapes
are projected and simplified for display), a legend and the table alternative that every
map must have. Render it with ``{% load territory_maps %}{% territory_map map %}`` or
``{% include "territory/includes/map.html" with map=map %}``.

Projection: equirectangular, x scaled by cos(mean latitude), which keeps the proportions
of an area the size of a département. Results are cached (Django cache) under a hash of
the inputs, the language and the data version, so repeated renders cost one cache read.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.conf import settings
from django.core.cache import cache
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge

from . import geometry

CACHE_PREFIX = "territory:map:"
CACHE_TIMEOUT = 60 * 60 * 24
DEFAULT_WIDTH = 640
PADDING = 8
#: Display simplification, in SVG pixels: below a pixel nobody sees the difference.
SIMPLIFY_PX = 1.0

DEFAULT_FILL = "#e6f2ea"
CANTON_STROKE = "#4d4d4d"
COMMUNE_STROKE = "#8a8a8a"
OUTLINE_STROKE = "#1b1b1b"
HIGHLIGHT_STROKE = "#1b1b1b"

SHAPES = ("circle", "square", "triangle", "diamond", "cross", "star")
#: Marker colours with at least 3:1 contrast against the light fills (WCAG 1.4.11).
MARKER_COLOURS = ("#0b4f8a", "#8a3b12", "#1d5e3a", "#6a1b9a", "#b00020", "#333333")
MARKER_RADIUS = 6.0


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    lat: float
    lon: float
    label: str
    url: str = ""
    kind: str = ""


@dataclass(frozen=True)
class MarkerStyle:
    """How one kind of marker looks: its legend label, a shape and a colour (never colour alone)."""

    label: str
    shape: str = "circle"
    colour: str = MARKER_COLOURS[0]


@dataclass(frozen=True)
class Link:
    """A table cell that links somewhere."""

    text: str
    url: str


@dataclass(frozen=True)
class Cell:
    text: str
    url: str = ""
    numeric: bool = False


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = False


@dataclass(frozen=True)
class MapTable:
    """The table alternative of a map: a caption, column headers and rows of cells."""

    caption: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    footnote: str = ""

    @classmethod
    def build(
        cls, *, caption: str, columns: Sequence[str | Column], rows: Iterable[Sequence[Any]], footnote: str = ""
    ) -> MapTable:
        """Build from plain values: numbers are formatted the French way, Link makes a link."""
        cols = tuple(c if isinstance(c, Column) else Column(str(c)) for c in columns)
        return cls(
            caption=caption,
            columns=cols,
            rows=tuple(tuple(_cell(value) for value in row) for row in rows),
            footnote=footnote,
        )


def _cell(value: Any) -> Cell:
    if isinstance(value, Cell):
        return value
    if isinstance(value, Link):
        return Cell(text=value.text, url=value.url)
    if value is None:
        return Cell(text="—")
    if isinstance(value, bool):
        return Cell(text=_("oui") if value else _("non"))
    if isinstance(value, int | float):
        return Cell(text=number_format(value, force_grouping=True), numeric=True)
    return Cell(text=str(value))


# --- outputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegendItem:
    label: str
    swatch: SafeString


@dataclass(frozen=True)
class RenderedMap:
    map_id: str
    title: str
    description: str
    svg: SafeString
    legend: tuple[LegendItem, ...]
    table: MapTable

    @property
    def size_bytes(self) -> int:
        return len(self.svg.encode("utf-8"))


# --- projection and paths (cached per data version and width) -------------------------------


@dataclass
class _Projected:
    version: str
    width: int
    height: int
    outline: str
    cantons: dict[str, tuple[str, tuple[float, float]]]  # code -> (path, label point)
    canton_names: dict[str, tuple[int, str]]  # code -> (number, name)
    commune_groups: dict[str, list[BaseGeometry]]  # canton code -> its communes; "*" -> all
    origin: tuple[float, float]  # (min lon, max lat)
    kx: float
    scale: float
    clip_box: BaseGeometry | None = None
    commune_lines: dict[str, str] = field(default_factory=dict)

    def communes_path(self, key: str) -> str:
        """Commune borders as one path; a border shared by two communes is drawn once."""
        if key not in self.commune_lines:
            shapes = self.commune_groups.get(key, [])
            if not shapes:
                self.commune_lines[key] = ""
            else:
                lines = linemerge(shapely.union_all([g.boundary for g in shapes]))
                if self.clip_box is not None:
                    lines = lines.intersection(self.clip_box)
                minx, maxy = self.origin
                moved = shapely.transform(lines, lambda xy: _affine(xy, minx, maxy, self.kx, self.scale))
                simple = moved.simplify(SIMPLIFY_PX, preserve_topology=False)
                parts = getattr(simple, "geoms", [simple])
                self.commune_lines[key] = "".join(_line_path(part.coords) for part in parts)
        return self.commune_lines[key]


_projected: dict[tuple[str, str, int, str], _Projected] = {}
_projected_lock = threading.Lock()


def _fmt(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    if text.startswith("0."):
        text = text[1:]
    elif text.startswith("-0."):
        text = "-" + text[2:]
    return "0" if text in ("", "-0", "-") else text


def _line_path(coords: Sequence[tuple[float, float]], *, closed: bool = False) -> str:
    points = [(round(x, 1), round(y, 1)) for x, y in coords]
    if closed and len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]
    if len(points) < (3 if closed else 2):
        return ""
    x0, y0 = points[0]
    parts = [f"M{_fmt(x0)} {_fmt(y0)}l"]
    deltas = []
    px, py = x0, y0
    for x, y in points[1:]:
        dx, dy = round(x - px, 1), round(y - py, 1)
        if dx == 0 and dy == 0:
            continue
        deltas.append(f"{_fmt(dx)} {_fmt(dy)}")
        px, py = x, y
    if not deltas:
        return ""
    return parts[0] + " ".join(deltas) + ("z" if closed else "")


def _geom_path(geom: BaseGeometry) -> str:
    polygons: list[Polygon] = []
    if isinstance(geom, Polygon):
        polygons = [geom]
    elif isinstance(geom, MultiPolygon):
        polygons = list(geom.geoms)
    elif hasattr(geom, "geoms"):
        polygons = [g for g in geom.geoms if isinstance(g, Polygon)]
    rings = []
    for polygon in polygons:
        rings.append(_line_path(polygon.exterior.coords, closed=True))
        rings.extend(_line_path(interior.coords, closed=True) for interior in polygon.interiors)
    return "".join(r for r in rings if r)


#: Around a framed canton, this share of its larger side is shown on each side.
FRAME_MARGIN = 0.25


def _projection(departement_code: str, width: int, frame: str | None = None) -> _Projected | None:
    from .models import Canton, Commune

    index = geometry.get_index()
    key = (index.version, departement_code, width, frame or "")
    cached = _projected.get(key)
    if cached is not None:
        return cached
    outline = index.outlines.get(departement_code)
    cantons = list(
        Canton.objects.filter(departement__code=departement_code)
        .order_by("number")
        .values_list("pk", "code", "number", "name")
    )
    canton_geoms = {code: index.canton_shapes[pk] for pk, code, _n, _name in cantons if pk in index.canton_shapes}
    if outline is None and canton_geoms:
        outline = shapely.union_all(list(canton_geoms.values()))
    if outline is None:
        return None
    minx, miny, maxx, maxy = outline.bounds
    clip_box: BaseGeometry | None = None
    if frame and frame in canton_geoms:
        # Zoom on one canton: its bounds plus a margin; everything else is clipped away.
        fminx, fminy, fmaxx, fmaxy = canton_geoms[frame].bounds
        fkx = math.cos(math.radians((fminy + fmaxy) / 2))
        side = max((fmaxx - fminx) * fkx, fmaxy - fminy) * FRAME_MARGIN
        minx, maxx = fminx - side / fkx, fmaxx + side / fkx
        miny, maxy = fminy - side, fmaxy + side
    kx = math.cos(math.radians((miny + maxy) / 2))
    scale = (width - 2 * PADDING) / max((maxx - minx) * kx, 1e-9)
    height = math.ceil((maxy - miny) * scale + 2 * PADDING)
    if frame and frame in canton_geoms:
        # Cut a little outside the drawing area, so that the cuts themselves are not drawn.
        beyond = (PADDING + 4) / scale
        clip_box = box(minx - beyond / kx, miny - beyond, maxx + beyond / kx, maxy + beyond)

    def project(geom: BaseGeometry) -> BaseGeometry:
        if clip_box is not None:
            geom = geom.intersection(clip_box)
        moved = shapely.transform(geom, lambda xy: _affine(xy, minx, maxy, kx, scale))
        return moved.simplify(SIMPLIFY_PX, preserve_topology=True)

    canton_paths = {}
    for code, geom in canton_geoms.items():
        projected = project(geom)
        if projected.is_empty:
            continue
        point = projected.representative_point()
        canton_paths[code] = (_geom_path(projected), (round(point.x, 1), round(point.y, 1)))
    code_of_canton = {pk: code for pk, code, _n, _name in cantons}
    current_ids = set(Commune.objects.current().filter(departement__code=departement_code).values_list("pk", flat=True))
    groups: dict[str, list[BaseGeometry]] = {"*": []}
    for commune_id in index.displayed_communes:
        if commune_id not in current_ids:
            continue
        shape = index.commune_shapes[commune_id]
        groups["*"].append(shape)
        for canton_id in index.cantons_of_commune.get(commune_id, ()):
            if canton_id in code_of_canton:
                groups.setdefault(code_of_canton[canton_id], []).append(shape)
    border = project(outline.boundary)
    result = _Projected(
        version=index.version,
        width=width,
        height=height,
        outline="".join(_line_path(part.coords) for part in getattr(border, "geoms", [border]) if not part.is_empty),
        cantons=canton_paths,
        canton_names={code: (number, name) for _pk, code, number, name in cantons},
        commune_groups=groups,
        origin=(minx, maxy),
        kx=kx,
        scale=scale,
        clip_box=clip_box,
    )
    with _projected_lock:
        for old in [k for k in _projected if k[0] != index.version]:
            _projected.pop(old, None)
        _projected[key] = result
    return result


def _affine(xy: Any, minx: float, maxy: float, kx: float, scale: float) -> Any:
    out = xy.copy()
    out[:, 0] = (xy[:, 0] - minx) * kx * scale + PADDING
    out[:, 1] = (maxy - xy[:, 1]) * scale + PADDING
    return out


# --- markers --------------------------------------------------------------------------------


def _shape_markup(shape: str, x: float, y: float, r: float, colour: str) -> str:
    stroke = f'fill="{colour}" stroke="#ffffff" stroke-width="1.5"'
    if shape == "square":
        side = r * 1.7
        corner = f'x="{_fmt(x - side / 2)}" y="{_fmt(y - side / 2)}"'
        return f'<rect {corner} width="{_fmt(side)}" height="{_fmt(side)}" {stroke}/>'
    if shape == "triangle":
        h = r * 2
        return f'<path d="M{_fmt(x)} {_fmt(y - h * 0.6)}l{_fmt(r * 1.1)} {_fmt(h)}h{_fmt(-r * 2.2)}z" {stroke}/>'
    if shape == "diamond":
        dx, dy = _fmt(r), _fmt(r * 1.2)
        return f'<path d="M{_fmt(x)} {_fmt(y - r * 1.2)}l{dx} {dy} -{dx} {dy} -{dx} -{dy}z" {stroke}/>'
    if shape == "cross":
        a, b = r * 0.4, r
        d = (
            f"M{_fmt(x - a)} {_fmt(y - b)}h{_fmt(2 * a)}v{_fmt(b - a)}h{_fmt(b - a)}v{_fmt(2 * a)}"
            f"h{_fmt(a - b)}v{_fmt(b - a)}h{_fmt(-2 * a)}v{_fmt(a - b)}h{_fmt(a - b)}v{_fmt(-2 * a)}h{_fmt(b - a)}z"
        )
        return f'<path d="{d}" {stroke}/>'
    if shape == "star":
        points = []
        for i in range(10):
            radius = r * 1.25 if i % 2 == 0 else r * 0.55
            angle = math.pi / 5 * i - math.pi / 2
            points.append(f"{_fmt(x + radius * math.cos(angle))} {_fmt(y + radius * math.sin(angle))}")
        return f'<path d="M{"L".join(points)}z" {stroke}/>'
    return f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(r)}" {stroke}/>'


#: Light to dark; the canton numbers (dark with a white halo) stay readable on each.
SEQUENTIAL_PALETTE = ("#f1f7f3", "#c5e3cf", "#8cc5a0", "#4f9a6c")


def class_choropleth(
    values: Mapping[str, float | int | None],
    *,
    unit: str,
    palette: Sequence[str] = SEQUENTIAL_PALETTE,
) -> dict[str, tuple[str, str]]:
    """Canton code -> (colour, legend label) in up to ``len(palette)`` classes of equal count.

    ``unit`` names what is counted ("habitants"); labels read "de 5 000 à 9 999 habitants".
    Cantons without a value get no colour (they keep the default fill).
    """
    known = sorted((v, code) for code, v in values.items() if v is not None)
    if not known:
        return {}
    classes = min(len(palette), len(known))
    bounds: list[tuple[float, float]] = []
    for i in range(classes):
        chunk = known[i * len(known) // classes : (i + 1) * len(known) // classes]
        if chunk:
            bounds.append((chunk[0][0], chunk[-1][0]))
    result = {}
    for value, code in known:
        for i, (low, high) in enumerate(bounds):
            if low <= value <= high:
                if low == high:
                    label = _("%(value)s %(unit)s") % {"value": number_format(low, force_grouping=True), "unit": unit}
                else:
                    label = _("de %(low)s à %(high)s %(unit)s") % {
                        "low": number_format(low, force_grouping=True),
                        "high": number_format(high, force_grouping=True),
                        "unit": unit,
                    }
                result[code] = (palette[i], label)
                break
    return result


def marker_styles_for(kinds: Iterable[str], labels: Mapping[str, str] | None = None) -> dict[str, MarkerStyle]:
    """One distinct shape and colour per kind, in the order given (labels default to the kind)."""
    styles = {}
    for i, kind in enumerate(dict.fromkeys(kinds)):
        styles[kind] = MarkerStyle(
            label=(labels or {}).get(kind, kind),
            shape=SHAPES[i % len(SHAPES)],
            colour=MARKER_COLOURS[i % len(MARKER_COLOURS)],
        )
    return styles


def _swatch_fill(colour: str) -> SafeString:
    return mark_safe(
        '<svg class="map-legend__swatch" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" '
        f'focusable="false"><rect width="16" height="16" fill="{escape(colour)}"/></svg>'
    )


def _swatch_highlight() -> SafeString:
    return mark_safe(
        '<svg class="map-legend__swatch" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" '
        f'focusable="false"><rect x="1.5" y="1.5" width="13" height="13" fill="none" stroke="{HIGHLIGHT_STROKE}" '
        'stroke-width="3"/></svg>'
    )


def _swatch_marker(style: MarkerStyle) -> SafeString:
    return mark_safe(
        '<svg class="map-legend__swatch" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" '
        f'focusable="false">{_shape_markup(style.shape, 8, 8, 5.5, escape(style.colour))}</svg>'
    )


# --- rendering ------------------------------------------------------------------------------


def render_map(
    *,
    title: str,
    description: str,
    table: MapTable,
    map_id: str = "carte",
    choropleth: Mapping[str, tuple[str, str]] | None = None,
    default_fill: tuple[str, str] | None = None,
    canton_urls: Mapping[str, str] | None = None,
    canton_titles: Mapping[str, str] | None = None,
    show_canton_numbers: bool = True,
    show_communes: bool | str = False,
    highlight: str | None = None,
    frame: str | None = None,
    markers: Sequence[Marker] = (),
    marker_styles: Mapping[str, MarkerStyle] | None = None,
    width: int = DEFAULT_WIDTH,
    departement_code: str | None = None,
) -> RenderedMap:
    """An accessible SVG map of the département with its legend and table alternative.

    ``choropleth``: canton code -> (fill colour, legend label); ``default_fill``: the same
    for the other cantons. ``canton_urls`` make cantons focusable links. ``show_communes``:
    True for every commune outline, or a canton code for that canton's communes only.
    ``highlight``: a canton code drawn with a thick outline; ``frame``: a canton code to zoom
    on (its neighbours are cut at the edges of the map). ``markers`` are drawn with the
    shape and colour of their kind (``marker_styles``, default: one per kind) and a title.
    """
    departement_code = departement_code or settings.DEPARTEMENT_CODE
    choropleth = dict(choropleth or {})
    canton_urls = dict(canton_urls or {})
    canton_titles = dict(canton_titles or {})
    styles = dict(marker_styles or marker_styles_for(m.kind for m in markers))
    for marker in markers:
        if marker.kind not in styles:
            styles.update(marker_styles_for([*styles, marker.kind]))
    legend = _legend(choropleth, default_fill, highlight, markers, styles)

    inputs = {
        "title": title,
        "description": description,
        "map_id": map_id,
        "choropleth": sorted(choropleth.items()),
        "default_fill": default_fill,
        "canton_urls": sorted(canton_urls.items()),
        "canton_titles": sorted(canton_titles.items()),
        "numbers": show_canton_numbers,
        "communes": show_communes,
        "highlight": highlight,
        "frame": frame,
        "markers": [(m.lat, m.lon, m.label, m.url, m.kind) for m in markers],
        "styles": sorted((k, (s.label, s.shape, s.colour)) for k, s in styles.items()),
        "width": width,
        "departement": departement_code,
        "language": get_language(),
        "version": geometry.data_version(),
    }
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
    key = f"{CACHE_PREFIX}{digest}"
    svg = cache.get(key)
    if svg is None:
        svg = _svg(
            title=title,
            description=description,
            map_id=map_id,
            choropleth=choropleth,
            default_fill=default_fill,
            canton_urls=canton_urls,
            canton_titles=canton_titles,
            show_canton_numbers=show_canton_numbers,
            show_communes=show_communes,
            highlight=highlight,
            frame=frame,
            markers=markers,
            styles=styles,
            width=width,
            departement_code=departement_code,
        )
        cache.set(key, svg, CACHE_TIMEOUT)
    return RenderedMap(
        map_id=map_id,
        title=title,
        description=description,
        svg=mark_safe(svg),
        legend=legend,
        table=table,
    )


def _legend(
    choropleth: Mapping[str, tuple[str, str]],
    default_fill: tuple[str, str] | None,
    highlight: str | None,
    markers: Sequence[Marker],
    styles: Mapping[str, MarkerStyle],
) -> tuple[LegendItem, ...]:
    items: list[LegendItem] = []
    seen: set[tuple[str, str]] = set()
    for colour, label in choropleth.values():
        if (colour, label) not in seen and label:
            seen.add((colour, label))
            items.append(LegendItem(label=label, swatch=_swatch_fill(colour)))
    if default_fill and default_fill[1] and tuple(default_fill) not in seen:
        items.append(LegendItem(label=default_fill[1], swatch=_swatch_fill(default_fill[0])))
    if highlight:
        items.append(LegendItem(label=_("Canton sélectionné (contour épais)"), swatch=_swatch_highlight()))
    for kind in dict.fromkeys(m.kind for m in markers):
        style = styles[kind]
        items.append(LegendItem(label=style.label, swatch=_swatch_marker(style)))
    return tuple(items)


def _svg(
    *,
    title: str,
    description: str,
    map_id: str,
    choropleth: Mapping[str, tuple[str, str]],
    default_fill: tuple[str, str] | None,
    canton_urls: Mapping[str, str],
    canton_titles: Mapping[str, str],
    show_canton_numbers: bool,
    show_communes: bool | str,
    highlight: str | None,
    frame: str | None,
    markers: Sequence[Marker],
    styles: Mapping[str, MarkerStyle],
    width: int,
    departement_code: str,
) -> str:
    projected = _projection(departement_code, width, frame)
    ident = escape(map_id)
    interactive = bool(canton_urls) or any(m.url for m in markers)
    if interactive:
        # Links inside: a group (role="img" would hide them from assistive technologies).
        role = f'role="group" aria-labelledby="{ident}-title" aria-describedby="{ident}-desc"'
    else:
        role = f'role="img" aria-labelledby="{ident}-title {ident}-desc"'
    height = projected.height if projected else 100
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map" id="{ident}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" {role}>',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]
    if projected is None:
        out.append(f'<text x="10" y="50" font-size="14">{escape(_("Territoire non chargé."))}</text></svg>')
        return "".join(out)
    base_fill = default_fill[0] if default_fill else DEFAULT_FILL
    out.append(f'<g stroke="{CANTON_STROKE}" stroke-width="1" stroke-linejoin="round">')
    for code, (path, _point) in projected.cantons.items():
        number, name = projected.canton_names[code]
        fill, fill_label = choropleth.get(code, (base_fill, default_fill[1] if default_fill else ""))
        label = canton_titles.get(code) or _("Canton n° %(number)s : %(name)s") % {"number": number, "name": name}
        if fill_label and code not in canton_titles:
            label = f"{label} — {fill_label}"
        shape = f'<path d="{path}" fill="{escape(fill)}"/>'
        url = canton_urls.get(code)
        if url:
            out.append(f'<a href="{escape(url)}"><title>{escape(label)}</title>{shape}</a>')
        else:
            out.append(f"<g><title>{escape(label)}</title>{shape}</g>")
    out.append("</g>")
    if show_communes:
        path = projected.communes_path("*" if show_communes is True else str(show_communes))
        if path:
            out.append(
                f'<path d="{path}" fill="none" stroke="{COMMUNE_STROKE}" stroke-width=".5" '
                'pointer-events="none" aria-hidden="true"/>'
            )
    out.append(
        f'<path d="{projected.outline}" fill="none" stroke="{OUTLINE_STROKE}" stroke-width="2" '
        'stroke-linejoin="round" pointer-events="none" aria-hidden="true"/>'
    )
    if highlight and highlight in projected.cantons:
        out.append(
            f'<path d="{projected.cantons[highlight][0]}" fill="none" stroke="{HIGHLIGHT_STROKE}" '
            'stroke-width="3.5" stroke-linejoin="round" pointer-events="none" aria-hidden="true"/>'
        )
    if show_canton_numbers:
        out.append(
            '<g font-family="system-ui, sans-serif" font-size="13" font-weight="700" text-anchor="middle" '
            'fill="#1b1b1b" stroke="#ffffff" '
            'stroke-width="3" paint-order="stroke" pointer-events="none" aria-hidden="true">'
        )
        for code, (_path, (x, y)) in projected.cantons.items():
            number, _name = projected.canton_names[code]
            out.append(f'<text x="{_fmt(x)}" y="{_fmt(y + 4.5)}">{number}</text>')
        out.append("</g>")
    if markers:
        minx, maxy = projected.origin
        out.append("<g>")
        for marker in markers:
            x = (marker.lon - minx) * projected.kx * projected.scale + PADDING
            y = (maxy - marker.lat) * projected.scale + PADDING
            if not (0 <= x <= width and 0 <= y <= projected.height):
                continue  # outside a zoomed frame
            style = styles[marker.kind]
            text = f"{marker.label} ({style.label})" if style.label else marker.label
            shape = _shape_markup(style.shape, x, y, MARKER_RADIUS, escape(style.colour))
            if marker.url:
                out.append(f'<a href="{escape(marker.url)}"><title>{escape(text)}</title>{shape}</a>')
            else:
                out.append(f"<g><title>{escape(text)}</title>{shape}</g>")
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)
