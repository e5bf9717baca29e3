"""API of part "booking": availability, create and cancel a booking, my bookings, calendar link."""

from __future__ import annotations

from ninja import Router

router = Router()
