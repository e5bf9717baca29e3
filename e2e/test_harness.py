"""The harness itself can fail: axe sees a broken page, the keyboard helpers see a hidden focus."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from e2e.axe import axe_violations
from e2e.keyboard import assert_focus_visible, tab_order, tab_to

BROKEN_PAGE = """<!DOCTYPE html><html lang="fr"><head><title>Cassée</title></head><body><main>
<h1>Page cassée</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<form><input type="text" name="q"><button type="submit"></button></form>
</main></body></html>"""

NO_FOCUS_STYLE = """<!DOCTYPE html><html lang="fr"><head><title>Focus</title>
<style>a:focus { outline: none; box-shadow: none; }</style></head><body><main>
<h1>Focus caché</h1><a href="#x" id="first">Premier</a> <a href="#y" id="second">Second</a>
</main></body></html>"""


def test_axe_reports_critical_violations_of_a_broken_page(page: Page) -> None:
    page.set_content(BROKEN_PAGE)
    found = {violation["id"] for violation in axe_violations(page, impact={"serious", "critical"})}
    assert {"image-alt", "label", "button-name"} <= found


def test_focus_helpers_see_a_hidden_focus_and_the_tab_order(page: Page) -> None:
    page.set_content(NO_FOCUS_STYLE)
    assert tab_order(page, 2) == ["a#first « Premier »", "a#second « Second »"]
    with pytest.raises(AssertionError, match="aucun indicateur de focus"):
        assert_focus_visible(page)


def test_tab_to_fails_when_the_target_cannot_be_reached(page: Page) -> None:
    page.set_content(NO_FOCUS_STYLE + '<p id="text">Pas focalisable</p>')
    with pytest.raises(AssertionError, match="jamais atteinte"):
        tab_to(page, page.locator("#text"), max_tabs=5)
