"""Template tags of part "checkin", for the booking pages of other parts::

{% load telework_checkin %}
{% checkin_qr booking %}    {# the QR code of the booking's arrival page (inline SVG) #}
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cybercantal.core.links import absolute_url

from ..models import Booking

register = template.Library()


@register.simple_tag
def checkin_qr(booking: Booking) -> SafeString:
    """An inline SVG QR code of the booking's arrival address (``checkin_by_code``): scanned at
    the desk by a manager, or opened by the member to confirm their arrival."""
    from ..views.checkin import qr_svg

    url = absolute_url(reverse("telework:checkin_by_code", args=[booking.checkin_code]))
    return qr_svg(url, label=_("Code QR d'arrivée de la réservation %(code)s") % {"code": booking.checkin_code})
