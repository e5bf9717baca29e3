"""What differs between PostgreSQL and SQLite, behind one name each (DESIGN §4).

- ``PostgresExclusionConstraint``: an ``ExclusionConstraint`` that PostgreSQL enforces and
  that the SQLite schema simply does not carry. On SQLite every write transaction starts
  with ``BEGIN IMMEDIATE`` (see settings), so writers are serialised and the service's own
  "is it free?" query, run inside that transaction, gives the same guarantee (ADR 0007).
- ``TsTzRange``: the ``tstzrange(start, end)`` expression the exclusion constraints use over
  two plain ``DateTimeField`` columns (the columns stay portable; only the constraint is not).
- ``lock_for_update``: ``select_for_update()`` where the database has row locks.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.db import connections, models


class TsTzRange(models.Func):
    """``tstzrange(start, end, '[)')``: half-open, so back-to-back periods do not overlap."""

    function = "TSTZRANGE"
    output_field = models.TextField()  # only used inside constraints; never selected

    def __init__(self, start: Any, end: Any, bounds: str = "[)", **extra: Any) -> None:
        super().__init__(start, end, models.Value(bounds), **extra)


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint on PostgreSQL, nothing on other databases."""

    def _is_postgres(self, schema_editor: Any) -> bool:
        return schema_editor.connection.vendor == "postgresql"

    def constraint_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().constraint_sql(model, schema_editor) if self._is_postgres(schema_editor) else None

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().create_sql(model, schema_editor) if self._is_postgres(schema_editor) else None

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().remove_sql(model, schema_editor) if self._is_postgres(schema_editor) else None

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: str = "default") -> None:
        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


def lock_for_update(queryset: models.QuerySet, *, of: tuple[str, ...] = ()) -> models.QuerySet:
    """Row locks on PostgreSQL; on SQLite the IMMEDIATE transaction already serialises writers.

    ``of=("self",)`` locks only the queried table's rows when the query joins others with
    ``select_related`` (without it PostgreSQL locks the joined rows too)."""
    if connections[queryset.db].vendor == "postgresql":
        return queryset.select_for_update(of=of)
    return queryset


def is_postgres(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"
