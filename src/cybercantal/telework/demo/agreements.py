"""Demo data of part "agreements" (idempotent)."""

from __future__ import annotations


def load() -> dict[str, int]:
    return {}
