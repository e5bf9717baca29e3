"""Every page a person can reach passes axe-core (no serious or critical violation).

The directory journeys and the home/legal/sign-in pages have their own tests; this one
sweeps the rest: territory pages, the API docs, the account pages, the not-found page, and
the pages only managers see (signed in through a real session cookie, with TOTP active as
the platform requires for staff).
"""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page

from e2e.axe import axe_check_urls, axe_violations, format_violations

STAFF_PASSWORD = "mot-de-passe-solide-2026"


def _sign_in(context: BrowserContext, base_url: str, *, role: str) -> None:
    """A programme manager (or other role) with TOTP, signed in through a session cookie."""
    from allauth.mfa.totp.internal.auth import generate_totp_secret

    from cybercantal.accounts.models import RoleMembership, User

    user = User.objects.create_user(f"{role}@example.fr", STAFF_PASSWORD, first_name="Camille", last_name="Test")
    RoleMembership.objects.create(user=user, role=role)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.mark.django_db(transaction=True)
def test_public_pages_have_no_serious_violation(page: Page, live_server, directory_data) -> None:
    from cybercantal.places.models import Place
    from cybercantal.territory.models import Canton

    canton = Canton.objects.order_by("number").first()
    place = Place.objects.published().order_by("slug").first()
    axe_check_urls(
        page,
        live_server.url,
        [
            "/territoire/",
            f"/territoire/cantons/{canton.slug}/",
            f"/lieux/{place.slug}/",
            "/lieux/?q=aurillac&ouvert=1",
            "/lieux/?pres_de=st+flour",
            "/compte/signup/",
            "/compte/password/reset/",
        ],
    )


@pytest.mark.django_db(transaction=True)
def test_not_found_page_has_no_serious_violation(page: Page, live_server) -> None:
    response = page.goto(live_server.url + "/lieux/ce-lieu-n-existe-pas/")
    assert response is not None
    assert response.status == 404
    violations = axe_violations(page)
    assert not violations, format_violations({"404": violations})


@pytest.mark.django_db(transaction=True)
def test_api_docs_page_loads_without_external_requests(page: Page, live_server) -> None:
    external: list[str] = []
    page.on(
        "request",
        lambda request: external.append(request.url) if not request.url.startswith(live_server.url) else None,
    )
    response = page.goto(live_server.url + "/api/docs")
    assert response is not None
    assert response.ok
    page.wait_for_selector(".swagger-ui")
    assert [url for url in external if not url.startswith("data:")] == []


@pytest.mark.django_db(transaction=True)
def test_manager_pages_have_no_serious_violation(
    page: Page, context: BrowserContext, live_server, directory_data
) -> None:
    from cybercantal.places.models import Place

    _sign_in(context, live_server.url, role="programme_manager")
    place = Place.objects.published().order_by("slug").first()
    # Really signed in, really past the TOTP requirement: no redirect to sign-in or 2FA setup.
    page.goto(live_server.url + "/lieux/import/")
    assert page.url == live_server.url + "/lieux/import/"
    axe_check_urls(
        page,
        live_server.url,
        [
            "/compte/mes-donnees/",
            "/compte/mes-donnees/suppression/",
            "/compte/email/",
            "/compte/password/change/",
            "/compte/2fa/",
            "/lieux/mes-lieux/",
            "/lieux/nouveau/",
            f"/lieux/{place.slug}/modifier/",
            "/lieux/import/",
        ],
    )
