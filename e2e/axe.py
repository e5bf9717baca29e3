"""axe-core in Chromium: inject it into a page, run it, keep the violations that matter.

axe-core comes from ``e2e/node_modules`` (``npm ci`` in ``e2e/``, version pinned in
``e2e/package-lock.json``). It is evaluated through the DevTools protocol, which the
page's Content-Security-Policy does not block: the CSP stays on, as in production.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
DEFAULT_IMPACT = frozenset({"serious", "critical"})

_RUN_AXE = """
async (impacts) => {
    const results = await window.axe.run(document, {resultTypes: ["violations"]});
    return results.violations
        .filter((violation) => impacts.includes(violation.impact))
        .map((violation) => ({
            id: violation.id,
            impact: violation.impact,
            help: violation.help,
            nodes: violation.nodes.map((node) => node.target.join(" ")),
        }));
}
"""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@cache
def axe_source() -> str:
    """The axe-core script; skips the test (fails it under CI=true) when it is not installed."""
    if not AXE_JS.exists():
        reason = f"axe-core absent ({AXE_JS}) : lancez « npm ci » dans e2e/ (make e2e-deps)"
        if in_ci():
            pytest.fail(f"{reason} — CI=true exige les contrôles d'accessibilité")
        pytest.skip(reason)
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Page, impact: Iterable[str] = DEFAULT_IMPACT) -> list[dict]:
    """Run axe-core on the page as it is now; return the violations of the given impacts.

    Each violation is ``{"id", "impact", "help", "nodes": [css selectors]}``, so that a
    failing ``assert axe_violations(page) == []`` says what is wrong and where.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;undefined")
    return page.evaluate(_RUN_AXE, sorted(impact))


def format_violations(violations_by_page: dict[str, list[dict]]) -> str:
    lines = []
    for where, violations in violations_by_page.items():
        for violation in violations:
            nodes = ", ".join(violation["nodes"][:5])
            lines.append(f"{where}: [{violation['impact']}] {violation['id']} — {violation['help']} ({nodes})")
    return "\n".join(lines)


def axe_check_urls(page: Page, base_url: str, paths: Iterable[str], impact: Iterable[str] = DEFAULT_IMPACT) -> None:
    """Open each path in turn and fail with the list of every violation found on any of them."""
    found = {}
    for path in paths:
        response = page.goto(base_url + path)
        assert response is not None, path
        assert response.ok, f"{path} : HTTP {response.status}"
        violations = axe_violations(page, impact)
        if violations:
            found[path] = violations
    assert not found, "Violations axe-core :\n" + format_violations(found)


def assert_no_violations(page: Page, impact: Iterable[str] = DEFAULT_IMPACT) -> None:
    """axe on the current page; the failure message lists every violation."""
    violations = axe_violations(page, impact)
    assert not violations, "Violations axe-core :\n" + format_violations({page.url: violations})
