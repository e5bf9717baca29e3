"""Demo data of part "plans" (idempotent)."""

from __future__ import annotations


def load() -> dict[str, int]:
    return {}
