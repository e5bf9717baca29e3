"""Text helpers shared by every app."""

from __future__ import annotations

import re

from unidecode import unidecode

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise(text: str | None) -> str:
    """Fold accents, case and punctuation so that "riom es montagnes" finds Riom-ès-Montagnes.

    The result is lower-case ASCII words separated by single spaces, with a space at both
    ends so that ``contains(" riom ")`` matches whole words too.
    """
    if not text:
        return ""
    folded = _NON_ALNUM.sub(" ", unidecode(str(text)).lower()).strip()
    return f" {folded} " if folded else ""


def search_terms(text: str | None) -> list[str]:
    """The words of a query, normalised, for an AND search word by word."""
    return normalise(text).split()
