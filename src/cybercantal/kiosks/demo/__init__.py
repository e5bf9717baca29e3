"""Demo data of the kiosks programme, one module per part, loaded in dependency order."""

from __future__ import annotations

from importlib import import_module

# The fleet first (kiosks at the demo host places), the procedures catalogue, the agents and
# their training (and the help they gave), then the anonymous usage of the kiosk mode.
PARTS = ("fleet", "catalogue", "agents", "kiosk_mode")


def load_demo() -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in PARTS:
        counts.update(import_module(f"{__name__}.{part}").load())
    return counts
