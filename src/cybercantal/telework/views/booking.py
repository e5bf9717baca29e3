"""Part "booking": availability, booking, my bookings, a booking's page, the day's planning.

Who may use each page:
- ``booking_detail``: ``telework.view_booking`` (the member, the telecentre's managers, the
  programme team).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.views.decorators.http import require_GET

from cybercantal.accounts.decorators import permission_required_for_object

from ..models import Booking
from ..services.booking import cancellation_is_free, describe_period


def _booking(request: HttpRequest, pk: int) -> Booking:
    return get_object_or_404(Booking.objects.select_related("resource__telecentre__place", "member"), pk=pk)


@require_GET
@permission_required_for_object("telework.view_booking", _booking)
def booking_detail(request: HttpRequest, pk: int, obj: Booking) -> HttpResponse:
    return render(
        request,
        "telework/booking/detail.html",
        {
            "booking": obj,
            "period": describe_period(obj.starts_at, obj.ends_at, obj.part),
            "free_cancellation": cancellation_is_free(obj),
        },
    )


urlpatterns = [
    path("reservations/<int:pk>/", booking_detail, name="booking_detail"),
]
