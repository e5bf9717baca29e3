import pytest


@pytest.fixture(autouse=True)
def _territory_urls(settings):
    """The project's URLconf, or an isolated one while other apps are half-written (see urls.py)."""
    settings.ROOT_URLCONF = "cybercantal.territory.tests.urls"
