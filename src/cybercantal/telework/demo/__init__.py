"""Demo data of the telecentres network, one module per part, loaded in dependency order."""

from __future__ import annotations

from importlib import import_module

# The telecentres and their resources first, then plans and memberships, employer agreements,
# bookings (single and recurring, with arrivals), invoices, and the prospecting pipeline.
PARTS = ("network", "plans", "agreements", "booking", "series", "billing", "prospecting")


def load_demo() -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in PARTS:
        counts.update(import_module(f"{__name__}.{part}").load())
    return counts
