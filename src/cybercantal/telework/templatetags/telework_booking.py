"""Template filters of part "booking": an inline SVG QR code (made here with the ``qrcode``
package: no external image, no request to a third party)."""

from __future__ import annotations

from decimal import Decimal

import qrcode
import qrcode.image.svg
from django import template
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cybercantal.core.links import absolute_url

register = template.Library()


@register.filter
def qr_svg(path: str, label: str = "") -> SafeString | str:
    """``{{ url|qr_svg:"Code QR de …" }}``: the QR code of the absolute address of ``path``,
    as an SVG image labelled for assistive technologies. An empty path gives nothing."""
    if not path:
        return ""
    url = path if path.startswith(("http://", "https://")) else absolute_url(path)
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
    svg = image.to_string(encoding="unicode")
    svg = svg.replace('width="', 'data-width="', 1).replace('height="', 'data-height="', 1)
    svg = svg.replace('id="qr-path" ', "", 1)
    svg = svg.replace("<svg ", f'<svg class="booking-qr__code" role="img" aria-label="{escape(label)}" ', 1)
    # Made by qrcode from our own address; the only text, the label, is escaped above.
    return mark_safe(svg)


@register.filter
def amount(value: Decimal | int | None) -> str:
    """``Decimal("9.0")`` -> ``9``, ``Decimal("0.5")`` -> ``0,5`` (credits, days: no trailing zeros)."""
    if value is None:
        return ""
    number = Decimal(value).normalize()
    text = f"{number:f}"
    return text if str(translation.get_language() or "fr").startswith("en") else text.replace(".", ",")
