"""Browser test harness: Playwright for Python driving Debian's Chromium against a live server.

- ``browser``: Chromium from ``/usr/bin/chromium``, never a browser downloaded by
  Playwright. Missing Chromium skips the browser tests with the reason, or fails them
  under ``CI=true``.
- ``page`` (function): a fresh French-speaking context and page; a screenshot lands in
  ``test-results/`` when the test fails.
- ``live_server`` is pytest-django's: with SQLite the test database is in memory and
  shared with the server thread (pytest-django hands it the same connection); with
  xdist each worker has its own database and its own server.
- ``directory_data``: the Cantal reference data and the demo places.

Accessibility helpers are in ``e2e/axe.py``, keyboard helpers in ``e2e/keyboard.py``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from e2e.axe import in_ci

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machine has no network: without these, Chromium keeps trying to reach its servers.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS_DIR = Path(__file__).resolve().parent.parent / "test-results"
TIMEOUT_MS = 15_000

expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under e2e/ drives the browser: give it the ``browser`` marker."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Chromium, driven by Playwright's sync API, for one test.

    Not session-scoped on purpose: while the sync API is alive it keeps an asyncio loop
    running in this thread, and Django then refuses database calls from it ("async
    unsafe"). The guard is lifted only while Playwright runs, that is during browser tests;
    every other test of the session keeps Django's guard and a clean environment. Starting
    Chromium costs about a second.

    While the loop runs, Django keeps this thread's database connections apart (asgiref's
    ``Local`` switches to context storage): a query made by the test then opens a second
    connection. It is closed here, before the loop stops; left open, PostgreSQL would refuse
    to drop the test database at the end ("being accessed by other users").
    """
    if not CHROMIUM.exists():
        reason = f"Chromium absent ({CHROMIUM}) : tests navigateur sautés (Debian : apt install chromium)"
        if in_ci():
            pytest.fail(f"{reason} — CI=true exige Chromium")
        pytest.skip(reason)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    manager = sync_playwright().start()
    try:
        chromium = manager.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
    finally:
        connections.close_all()
        manager.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        locale="fr-FR",
        timezone_id="Europe/Paris",
        accept_downloads=True,
        viewport={"width": 1280, "height": 900},
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    tab = context.new_page()
    yield tab
    if request.node.stash.get(_FAILED, False):
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        tab.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)


@pytest.fixture
def directory_data(transactional_db: None) -> None:
    """The Cantal (communes, cantons) and the demo places, in the live server's database.

    Function-scoped: a live-server test runs in a transactional database that is emptied
    after each test.
    """
    from cybercantal.places.demo import load_demo_places

    call_command("territory_import", verbosity=0)
    load_demo_places()
