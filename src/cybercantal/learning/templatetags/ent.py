"""Template filters of the cartable électronique: ``{% load ent %}``.

- ``|richtext``: a teacher's rich text, cleaned again on the way out (``learning.richtext``).
- ``|plaintext``: the text of rich text, for summaries.
- ``|opened``: an assignment has opened (a homework's link to its exercise).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from .. import richtext as _richtext

register = template.Library()


@register.filter
def richtext(html: str | None) -> SafeString:
    return _richtext.render(html or "")


@register.filter
def plaintext(html: str | None) -> str:
    return _richtext.plain(html or "")


@register.filter
def opened(assignment: Any) -> bool:
    """Whether an assignment has opened (its pupils find it in "Mes exercices")."""
    return bool(assignment is not None and assignment.opens_at <= timezone.now())
