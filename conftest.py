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


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        skip = pytest.mark.skip(reason="PostgreSQL only: run with DATABASE_URL=postgres://…")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)
