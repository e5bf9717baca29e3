"""Template filters of part "documents"."""

from __future__ import annotations

from django import template

from ..services.documents import human_size

register = template.Library()


@register.filter
def octets(value: int) -> str:
    """``{{ document.size|octets }}`` → "7,9 ko", "200 Mo"."""
    return human_size(value or 0)
