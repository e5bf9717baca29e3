"""``record()``: the one way to write the journal."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.db import models

from .models import JournalEntry


def record(
    *,
    actor: Any | None,
    action: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> JournalEntry:
    """Append one entry. ``actor`` is a user (or None for the system)."""
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    actor_repr = journal_label(actor) if actor is not None and actor_id is not None else "système"
    return JournalEntry.objects.create(
        actor_id=actor_id,
        actor_repr=actor_repr,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=journal_label(target) if target is not None else "",
        data=data or {},
        ip_address=ip_address,
    )


def journal_label(obj: Any) -> str:
    """How an object is named in the journal, which is kept for good and never edited.

    Objects that stand for a person define ``journal_label()`` with no name in it (for
    example "personne n° 12"), so that anonymising someone leaves no name behind in rows
    that cannot be changed; the back office shows the current name from the id.
    """
    label = obj.journal_label() if hasattr(obj, "journal_label") else str(obj)
    return label[:255]


def client_ip(request: Any) -> str | None:
    """The client's address: REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT`` proxies the address
    the farthest trusted one saw, read from X-Forwarded-For (docs/deploiement.md)."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if len(addresses) >= proxies:
            candidate = addresses[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or None
