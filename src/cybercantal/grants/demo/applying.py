"""Demo data of the applying part."""

from __future__ import annotations


def load() -> dict[str, int]:
    return {}
