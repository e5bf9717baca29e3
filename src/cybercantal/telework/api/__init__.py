"""The telecentres API (``/api/telecentres/``): availability, bookings, calendar. One module per
part, mounted here."""

from __future__ import annotations

from importlib import import_module

from ninja import Router

router = Router(tags=["Télécentres"])

for _part in ("booking", "checkin"):
    router.add_router("", import_module(f"{__name__}.{_part}").router)
