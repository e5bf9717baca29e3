"""Demo data of the EPN network, one module per part, loaded in dependency order."""

from __future__ import annotations

from importlib import import_module

# Mediators first (profiles, places), then the catalogue and sessions, the registrations to
# them, the activity reports, the equipment and the free-access computers; last, the monthly
# statistics built from all of them.
PARTS = (
    "mediators",
    "workshops_manage",
    "workshops_public",
    "accompaniments",
    "equipment",
    "free_access",
    "statistics",
)


def load_demo() -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in PARTS:
        counts.update(import_module(f"{__name__}.{part}").load())
    return counts
