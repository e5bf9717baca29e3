"""Extension points of the directory for the apps above it (places never imports them).

A programme app adds a section to the place detail page by registering, in its
``AppConfig.ready()``, a function ``place -> dict | None`` and the template that renders the
dict (as ``section``)::

    register_detail_section("mediation.labels", template="mediation/mediators/_place_labels.html",
                            context=labels_section)

A function returning ``None`` adds nothing for that place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SectionContext = Callable[[Any], dict[str, Any] | None]


@dataclass(frozen=True)
class DetailSection:
    key: str
    template: str
    context: SectionContext


_DETAIL_SECTIONS: dict[str, DetailSection] = {}


def register_detail_section(key: str, *, template: str, context: SectionContext) -> None:
    """Add (or replace, by ``key``) a section of the place detail page."""
    _DETAIL_SECTIONS[key] = DetailSection(key=key, template=template, context=context)


def detail_sections(place: Any) -> list[dict[str, Any]]:
    """``[{"template": ..., "section": {...}}]`` for ``place``, in registration order."""
    sections = []
    for registered in _DETAIL_SECTIONS.values():
        data = registered.context(place)
        if data:
            sections.append({"key": registered.key, "template": registered.template, "section": data})
    return sections
