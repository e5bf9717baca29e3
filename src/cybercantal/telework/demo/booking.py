"""Demo data of part "booking" (idempotent)."""

from __future__ import annotations


def load() -> dict[str, int]:
    return {}
