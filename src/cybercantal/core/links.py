"""Absolute links for messages sent outside a request (emails, calendar feeds)."""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """``SITE_URL`` (the platform's public address, from the environment) + ``path``."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")
