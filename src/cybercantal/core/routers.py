"""Reads may go to a PostgreSQL read replica when DATABASE_REPLICA_URL is set."""

from __future__ import annotations

from typing import Any

from django.db import connections


class ReadReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        # Inside a transaction on the primary (a service checking a rule before it writes),
        # read from the primary: the replica may lag and the rule would see stale rows.
        # ``select_for_update()`` and ``get_or_create()`` always go to the primary.
        if connections["default"].in_atomic_block:
            return "default"
        return "replica"

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
