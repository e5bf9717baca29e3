"""Demo data of the cartable électronique, one module per part, loaded in dependency order."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

# Schools, classes and people first, then documents and courses, the question bank,
# exercises given to classes with pupils' attempts, the cahier de textes.
PARTS = ("schools", "documents", "courses", "questions", "assignments", "attempts", "homework")


def load_demo() -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in PARTS:
        if find_spec(f"{__name__}.{part}") is not None:
            counts.update(import_module(f"{__name__}.{part}").load())
    return counts
