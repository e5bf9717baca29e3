"""Demo data of part "prospecting" (idempotent)."""

from __future__ import annotations


def load() -> dict[str, int]:
    return {}
