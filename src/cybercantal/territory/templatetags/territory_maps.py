"""``{% territory_map map %}``: a map from ``territory.maps.render_map`` with its legend and table."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("territory/includes/map.html")
def territory_map(rendered_map: Any, heading_level: int = 2) -> dict[str, Any]:
    """Figure (SVG + legend) followed by the table alternative every map must have."""
    return {"map": rendered_map, "heading_level": heading_level}
