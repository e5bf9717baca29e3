"""The eligibility page in Chromium: the sawmill of a Neuvéglise-sur-Truyère hamlet checks its
address and learns it is eligible, and why; the programme manager's coverage page. axe-core on
each page (with an answer, with an error)."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import axe_violations, format_violations
from e2e.test_every_page_axe import _sign_in


@pytest.fixture
def coverage_data(transactional_db) -> None:
    from django.core.management import call_command

    from cybercantal.grants.demo import coverage
    from cybercantal.grants.tests.factories import ProgrammeFactory

    call_command("territory_import", verbosity=0)
    ProgrammeFactory(slug="auverdata", code="AUV", name="Auverdata")
    coverage.load()


@pytest.mark.django_db(transaction=True)
def test_the_sawmill_learns_it_is_eligible_and_why(page: Page, live_server, coverage_data) -> None:
    page.goto(live_server.url + "/aides/eligibilite/")
    expect(page.get_by_role("heading", name="Vérifier l'éligibilité de vos locaux")).to_be_visible()
    violations = {"formulaire": axe_violations(page)}

    page.get_by_label("Commune de vos locaux").fill("neuveglise sur truyere")
    page.get_by_label("Adresse de vos locaux (facultatif)").fill("3 Le Bousquet")
    page.get_by_role("button", name="Vérifier").click()

    expect(page.get_by_role("heading", name="Réponse : Éligible")).to_be_visible()
    expect(page.get_by_text("Vos locaux sont éligibles")).to_be_visible()
    table = page.get_by_role("table", name="Les données sur lesquelles repose la réponse")
    expect(table.get_by_role("row", name="Meilleur débit filaire Moins de 3 Mbit/s")).to_be_visible()
    expect(table.get_by_role("row", name="Édition des données 2026T2")).to_be_visible()
    expect(page.get_by_role("link", name="Demander l'aide")).to_have_attribute(
        "href", "/aides/dispositifs/auverdata/demander/"
    )
    violations["réponse"] = axe_violations(page)

    page.get_by_label("Commune de vos locaux").fill("Clermont-Ferrand")
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_role("alert")).to_contain_text("Aucune commune du département Cantal")
    violations["erreur"] = axe_violations(page)
    assert not any(violations.values()), format_violations(violations)


@pytest.mark.django_db(transaction=True)
def test_the_manager_sees_the_editions(page: Page, context: BrowserContext, live_server, coverage_data) -> None:
    _sign_in(context, live_server.url, role="programme_manager")
    page.goto(live_server.url + "/aides/gestion/couverture/")
    expect(page.get_by_role("row", name="2026T2 en vigueur 15 381", exact=False)).to_be_visible()
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_text("Indiquez l'édition, par exemple 2026T2.").first).to_be_visible()
    violations = axe_violations(page)
    assert not violations, format_violations({"couverture": violations})
