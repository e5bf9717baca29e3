"""Keyboard-only navigation: Tab order, where the focus is, and whether a person can see it."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

MAX_TABS = 80

_DESCRIBE_FOCUS = """
() => {
    const el = document.activeElement;
    if (!el || el === document.body) return "";
    const name = (el.getAttribute("aria-label") || el.labels?.[0]?.textContent || el.textContent || el.value || "");
    const id = el.id ? "#" + el.id : "";
    return `${el.tagName.toLowerCase()}${id} « ${name.trim().replace(/\\s+/g, " ").slice(0, 60)} »`;
}
"""

_FOCUS_IS_VISIBLE = """
(el) => {
    if (el !== document.activeElement) return "l'élément n'a pas le focus";
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return "l'élément focalisé est invisible (taille nulle)";
    if (box.bottom < 0 || box.right < 0 || box.top > innerHeight || box.left > innerWidth)
        return "l'élément focalisé est hors de l'écran";
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow && style.boxShadow !== "none";
    if (!outline && !shadow) return "aucun indicateur de focus (ni outline ni box-shadow)";
    return "";
}
"""


def focused(page: Page) -> Locator:
    return page.locator("*:focus")


def describe_focus(page: Page) -> str:
    """A short description of the focused element, for messages: ``input#q « Rechercher un lieu »``."""
    return page.evaluate(_DESCRIBE_FOCUS)


def has_focus(locator: Locator) -> bool:
    return locator.evaluate("(el) => el === document.activeElement")


def tab_order(page: Page, count: int) -> list[str]:
    """Press Tab ``count`` times from where the focus is; describe each element reached."""
    order = []
    for _ in range(count):
        page.keyboard.press("Tab")
        order.append(describe_focus(page))
    return order


def tab_to(page: Page, target: Locator, *, max_tabs: int = MAX_TABS) -> int:
    """Press Tab until ``target`` has the focus; return how many presses it took.

    Fails with the Tab order seen so far when the target is never reached: it is then not
    reachable with the keyboard, or it comes too late in the page.
    """
    target = target.first
    seen = []
    for presses in range(1, max_tabs + 1):
        page.keyboard.press("Tab")
        if has_focus(target):
            return presses
        seen.append(describe_focus(page))
    raise AssertionError(f"Cible jamais atteinte au clavier après {max_tabs} Tab. Ordre : " + " → ".join(seen))


def focus_problem(locator: Locator) -> str:
    """'' when the focused element is on screen with a visible focus indicator, else why not."""
    return locator.evaluate(_FOCUS_IS_VISIBLE)


def assert_focus_visible(page: Page) -> None:
    element = focused(page)
    assert element.count() == 1, "Aucun élément n'a le focus"
    problem = focus_problem(element)
    assert not problem, f"Focus non visible sur {describe_focus(page)} : {problem}"
