"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache

pytest_plugins = ["cybercantal.territory.tests.fixtures"]


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and cached maps must not leak from one test to another."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def is_postgres(db) -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


DATABASE_FIXTURES = frozenset({"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"})


def _uses_the_database(item: pytest.Item) -> bool:
    """A test that can touch the database: a ``django_db`` or ``postgres`` mark, or a database
    fixture among everything it requests (``fixturenames`` holds the whole closure).
    pytest-django refuses database access to any other test, so those cannot depend on the
    database engine."""
    if item.get_closest_marker("django_db") is not None or "postgres" in item.keywords:
        return True
    return bool(DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        skip = pytest.mark.skip(reason="PostgreSQL only: run with DATABASE_URL=postgres://…")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)
        return
    # On PostgreSQL the suite runs for what depends on the database engine: tests that cannot
    # touch the database (parsers, grading, templates without data…) already ran on SQLite.
    # CYBERCANTAL_PG_ALL=1 runs them again anyway.
    import os

    if os.environ.get("CYBERCANTAL_PG_ALL"):
        return
    kept = [item for item in items if _uses_the_database(item)]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if not _uses_the_database(item)])
        items[:] = kept
