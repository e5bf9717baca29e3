"""Rich text written by teachers (lessons, cahier de textes, question texts) is HTML cleaned
by ``nh3`` (the Ammonia sanitiser) before it is stored: a short list of tags and
attributes, links forced to ``rel="noopener noreferrer"``, no script, no style, no event
handler, no image from another site (students are minors: no third-party resource, no
tracking pixel). ``clean`` is idempotent: ``clean(clean(x)) == clean(x)``.
"""

from __future__ import annotations

import nh3
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "mark", "small",
    "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "pre", "code", "hr",
    "a", "img", "table", "caption", "thead", "tbody", "tr", "th", "td", "span", "abbr",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "abbr": {"title"},
    "ol": {"start"},
    "*": {"lang"},
}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_LENGTH = 200_000


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    # Images only from this site (a relative URL): no third-party resource in a pupil's page.
    if tag == "img" and attribute == "src":
        # Browsers read "/\host" as "//host" and drop tabs and newlines inside a URL
        # ("/<tab>/host"): no backslash, no whitespace, no control character at all.
        if any(ch == "\\" or ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
            return None
        return value if value.startswith("/") and not value.startswith("//") else None
    return value


def _clean_once(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        attribute_filter=_attribute_filter,
        strip_comments=True,
    ).strip()


def clean(html: str) -> str:
    """Safe HTML from what a teacher wrote (or pasted from a word processor).

    Badly nested input (a heading inside a heading, say) can come out of one pass in a shape
    that the HTML parser would rebuild differently when read again; a second pass settles it,
    so that what is stored is what every later reading gives back (a fixed point)."""
    cleaned = _clean_once(html or "")
    for _ in range(3):
        again = _clean_once(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


def render(html: str) -> SafeString:
    """Mark stored (already cleaned) HTML safe, cleaning it again on the way out: a row
    written by another path (an import, the admin) is never trusted."""
    return mark_safe(clean(html))  # cleaned by nh3 just above


def plain(html: str) -> str:
    """The text of rich text, for summaries, iCalendar descriptions and CSV exports."""
    return " ".join(strip_tags(html or "").split())
