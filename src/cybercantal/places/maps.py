"""Maps of places, drawn by territory's SVG renderer (``cybercantal.territory.maps.render_map``).

This module only decides what to draw (markers, colours, links); every page that shows a
map also shows its own table alternative (the address, the list of places, the coverage
table), so the renderer's table is kept minimal here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Place, PlaceKind

# Above this many markers the département map would weigh megabytes: the page asks to filter.
MAX_MARKERS = 3000

# Choropleth of the coverage page: "both / only one / none" (legend says it in words).
PROMISE_COLOURS = {"both": "#4f9a6c", "one": "#f2c14e", "none": "#e8a5a0"}


def _renderer() -> Any:
    try:
        from cybercantal.territory import maps
    except ImportError:  # pragma: no cover - territory not there yet
        return None
    return maps


def _empty_table(maps: Any, caption: str) -> Any:
    return maps.MapTable.build(caption=caption, columns=[], rows=[])


def _kind_styles(maps: Any) -> dict[str, Any]:
    """One shape-and-colour pair per kind of place, all pairs distinct (never colour alone)."""
    shapes, colours = maps.SHAPES, maps.MARKER_COLOURS
    styles = {}
    for index, (value, label) in enumerate(PlaceKind.choices):
        shape = shapes[index % len(shapes)]
        colour = colours[(index + index // len(shapes)) % len(colours)]
        styles[value] = maps.MarkerStyle(label=str(label), shape=shape, colour=colour)
    return styles


def place_map(place: Place) -> Any:
    """The département with the place's canton outlined and a marker on the place, or None."""
    maps = _renderer()
    if maps is None or place.latitude is None or place.longitude is None:
        return None
    marker = maps.Marker(lat=place.latitude, lon=place.longitude, label=place.name, kind=place.kind)
    return maps.render_map(
        title=_("Emplacement de %(name)s") % {"name": place.name},
        description=_("Carte du département avec le lieu, à %(commune)s%(canton)s.")
        % {
            "commune": place.commune.name,
            "canton": (_(", canton de %(canton)s") % {"canton": place.canton.name}) if place.canton else "",
        },
        table=_empty_table(maps, _("Adresse du lieu")),
        map_id="carte-lieu",
        highlight=place.canton.code if place.canton else None,
        markers=[marker],
        marker_styles=_kind_styles(maps),
    )


def places_map(rows: Sequence[tuple[Any, ...]], *, title: str) -> Any:
    """All the places given as ``(name, slug, kind, latitude, longitude)`` rows, or None."""
    maps = _renderer()
    if maps is None or len(rows) > MAX_MARKERS:
        return None
    markers = [
        maps.Marker(
            lat=latitude,
            lon=longitude,
            label=name,
            url=reverse("places:detail", kwargs={"slug": slug}),
            kind=kind,
        )
        for name, slug, kind, latitude, longitude in rows
    ]
    styles = _kind_styles(maps)
    used = {marker.kind for marker in markers}
    return maps.render_map(
        title=title,
        description=_("Chaque lieu est un repère dont la forme et la couleur disent le type ; la liste suit la carte."),
        table=_empty_table(maps, title),
        map_id="carte-lieux",
        markers=markers,
        marker_styles={kind: style for kind, style in styles.items() if kind in used},
    )


def coverage_map(rows: Iterable[Any]) -> Any:
    """Cantons coloured by the promise "one EPN and one kiosk": both, only one, none."""
    maps = _renderer()
    if maps is None:
        return None
    labels = {
        "both": _("EPN et borne"),
        "one": _("un seul des deux"),
        "none": _("ni EPN ni borne"),
    }
    choropleth, titles, urls = {}, {}, {}
    directory = reverse("places:directory")
    order = {"both": 0, "one": 1, "none": 2}  # the legend follows the order of first appearance
    for row in sorted(rows, key=lambda row: order[row.promise]):
        code = row.canton.code
        choropleth[code] = (PROMISE_COLOURS[row.promise], str(labels[row.promise]))
        titles[code] = f"{row.canton.name} : {labels[row.promise]}"
        urls[code] = f"{directory}?canton={row.canton.slug}"
    return maps.render_map(
        title=_("Couverture des cantons : un EPN et une borne"),
        description=_("Cantons colorés selon qu'ils ont un EPN et une borne, un seul des deux ou aucun."),
        table=_empty_table(maps, _("Couverture des cantons")),
        map_id="carte-couverture",
        choropleth=choropleth,
        canton_titles=titles,
        canton_urls=urls,
    )
