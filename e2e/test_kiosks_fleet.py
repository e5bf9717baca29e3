"""The fleet pages in Chromium: what the programme manager sees, and axe-core on each page.

The programme manager is signed in through a real session cookie, TOTP active (as
``test_every_page_axe.py`` does); the data is the demo places plus the demo fleet.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import axe_check_urls, axe_violations, format_violations
from e2e.test_every_page_axe import _sign_in


@pytest.fixture
def fleet_data(directory_data) -> None:
    from cybercantal.kiosks.demo import fleet

    fleet.load()


@pytest.mark.django_db(transaction=True)
def test_fleet_pages_read_well_and_pass_axe(page: Page, context: BrowserContext, live_server, fleet_data) -> None:
    from cybercantal.kiosks.demo.fleet import last_open_day

    _sign_in(context, live_server.url, role="programme_manager")
    day = last_open_day(timezone.localdate())

    page.goto(live_server.url + "/bornes/")
    expect(page.get_by_role("heading", name="Parc de bornes")).to_be_visible()
    expect(page.get_by_role("link", name="murat", exact=True)).to_be_visible()

    page.goto(f"{live_server.url}/bornes/incidents/?jour={day.isoformat()}")
    expect(page.get_by_role("cell", name="Coupure électrique dans le bâtiment (orage)")).to_be_visible()
    expect(page.get_by_role("link", name="riom-es-montagnes")).to_be_visible()

    page.goto(live_server.url + "/bornes/couverture/")
    row = page.get_by_role("row").filter(has_text="Neuvéglise")
    expect(row).to_contain_text("aucune borne")
    expect(page.get_by_role("row").filter(has_text="Ydes")).to_contain_text("aucune borne")
    expect(page.get_by_text("borne hors service").first).to_be_visible()

    axe_check_urls(
        page,
        live_server.url,
        [
            "/bornes/",
            "/bornes/maurs/",
            "/bornes/laroquebrou/",
            "/bornes/couverture/",
            f"/bornes/incidents/?jour={day.isoformat()}",
            "/bornes/nouvelle/",
            "/bornes/murat/modifier/",
        ],
    )


@pytest.mark.django_db(transaction=True)
def test_issue_a_token_shows_it_once(page: Page, context: BrowserContext, live_server, fleet_data) -> None:
    _sign_in(context, live_server.url, role="programme_manager")
    page.goto(live_server.url + "/bornes/murat/")
    page.get_by_role("button", name="Remplacer le jeton").click()
    expect(page.get_by_role("heading", name="Nouveau jeton de la borne murat")).to_be_visible()
    token = page.get_by_label("Jeton secret de la borne").input_value()
    assert len(token) > 30
    violations = axe_violations(page)
    assert not violations, format_violations({"jeton": violations})
    page.goto(live_server.url + "/bornes/murat/")
    expect(page.get_by_text(token[:8])).to_be_visible()
    assert token not in page.content()
