"""Pytest fixtures other apps can use to get the reference territory (registered in conftest.py).

- ``territory_loaded`` (session): imports the packaged Cantal data once per test session
  (once per xdist worker) into the test database, outside any test transaction.
- ``territory`` (function): the same, for a test that uses the database; it re-imports if
  a ``transactional_db`` test has flushed the tables in between.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command


def _load() -> None:
    from cybercantal.territory import geometry

    call_command("territory_import", verbosity=0)
    geometry.invalidate()


@pytest.fixture(scope="session")
def territory_loaded(django_db_setup, django_db_blocker):
    """The Cantal (or settings.DEPARTEMENT_CODE) reference data, loaded once for the session."""
    with django_db_blocker.unblock():
        _load()
    return


@pytest.fixture
def territory(territory_loaded, db):
    """The territory for one test: the ``Departement`` row of the platform."""
    from cybercantal.territory import queries
    from cybercantal.territory.models import Commune

    if not Commune.objects.exists():  # a transactional test flushed the tables
        _load()
    return queries.current_departement()
