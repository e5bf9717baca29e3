"""Public pages every visitor reaches: accessible, and usable with the keyboard alone."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from e2e.axe import axe_check_urls
from e2e.keyboard import assert_focus_visible, describe_focus, focused, has_focus, tab_to


def public_paths() -> list[str]:
    return [
        reverse("core:home"),
        reverse("core:legal"),
        reverse("core:privacy"),
        reverse("core:accessibility"),
        reverse("account_login"),
    ]


def test_public_pages_have_no_serious_accessibility_violation(page: Page, live_server) -> None:
    axe_check_urls(page, live_server.url, public_paths())


@pytest.mark.parametrize("path_name", ["core:home", "account_login"])
def test_skip_link_moves_focus_to_main_content(page: Page, live_server, path_name: str) -> None:
    page.goto(live_server.url + reverse(path_name))

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Aller au contenu")
    assert has_focus(skip_link), f"Le premier Tab atteint {describe_focus(page)}, pas le lien d'évitement"
    assert_focus_visible(page)

    page.keyboard.press("Enter")
    main = page.get_by_role("main")
    expect(main).to_be_focused()
    assert focused(page).get_attribute("id") == "contenu"


def test_sign_in_form_is_labelled_and_usable_with_the_keyboard(page: Page, live_server) -> None:
    page.goto(live_server.url + reverse("account_login"))
    email = page.locator("input[type=email]")
    password = page.locator("input[type=password]")
    expect(email).to_have_accessible_name(re.compile(r"e-mail|courriel", re.IGNORECASE))
    expect(password).to_have_accessible_name(re.compile(r"mot de passe", re.IGNORECASE))

    tab_to(page, email)
    assert_focus_visible(page)
    tab_to(page, password, max_tabs=3)
    assert_focus_visible(page)
    tab_to(page, page.get_by_role("main").get_by_role("button", name="Se connecter"), max_tabs=4)
    assert_focus_visible(page)
