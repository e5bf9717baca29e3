"""Demo data of the grants programme, one module per part, loaded in dependency order."""

from __future__ import annotations

from importlib import import_module

# The programmes first, the coverage data, then dossiers at every stage (applying,
# instruction, payment).
PARTS = ("programmes", "coverage", "applying", "instruction", "payment")


def load_demo() -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in PARTS:
        counts.update(import_module(f"{__name__}.{part}").load())
    return counts
