"""Demo data of part "series" (idempotent)."""

from __future__ import annotations


def load() -> dict[str, int]:
    return {}
