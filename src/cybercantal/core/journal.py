"""``record()``: the one way to write the journal."""

from __future__ import annotations

from typing import Any

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
    actor_repr = str(actor)[:255] if actor is not None and actor_id is not None else "système"
    return JournalEntry.objects.create(
        actor_id=actor_id,
        actor_repr=actor_repr,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        data=data or {},
        ip_address=ip_address,
    )


def client_ip(request: Any) -> str | None:
    """The client address as seen by Django (behind nginx: REMOTE_ADDR set by the proxy)."""
    return request.META.get("REMOTE_ADDR") or None
