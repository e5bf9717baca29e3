"""Kiosk sessions: display options, the reset endpoint, the middleware that keeps a kiosk
session away from the back office, and nothing personal stored while browsing."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from cybercantal.accounts.models import Role
from cybercantal.kiosks.models import HelpRequest, UsageCount

from .factories_kiosk_mode import small_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    return small_catalogue()


def session_of(client) -> dict:
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return Session.objects.get(session_key=key).get_decoded()


def test_display_options_toggle_and_stay_for_the_person(client, kiosk, catalogue):
    client.get("/borne/murat/")
    response = client.post(
        "/borne/murat/affichage/", {"option": "contrast", "suivant": "/borne/murat/categorie/identity/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/borne/murat/categorie/identity/"
    page = client.get("/borne/murat/demarche/carte-identite/").content.decode()
    assert 'class="kiosk-page kiosk-contrast"' in page
    assert page.count('aria-pressed="true"') == 1
    client.post("/borne/murat/affichage/", {"option": "large"})
    page = client.get("/borne/murat/").content.decode()
    assert 'class="kiosk-page kiosk-contrast kiosk-large"' in page
    client.post("/borne/murat/affichage/", {"option": "contrast"})
    assert 'class="kiosk-page kiosk-large"' in client.get("/borne/murat/").content.decode()
    # Another person (browser) is not affected.
    assert 'class="kiosk-page"' in Client().get("/borne/murat/").content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"option": "bogus"},
        {"option": "contrast", "suivant": "https://evil.example/"},
        {"option": "contrast", "suivant": "//evil.example/borne/murat/"},
        {"option": "contrast", "suivant": "/admin/"},
        {"option": "contrast", "suivant": "/borne/maurs/"},
        {"option": "large", "suivant": "/borne/murat/\x00"},
        {"option": "large" * 2000, "suivant": "x" * 10_000},
    ],
)
def test_display_fuzz_stays_in_the_kiosk(client, kiosk, data):
    response = client.post("/borne/murat/affichage/", data)
    assert response.status_code == 302
    assert response["Location"] == "/borne/murat/"


def test_end_flushes_session_expires_cookies_and_clears_site_data(client, kiosk, catalogue):
    client.get("/borne/murat/")
    client.post("/borne/murat/affichage/", {"option": "large"})
    client.post("/borne/murat/aide/", {})
    old_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=old_key).exists()
    response = client.get("/borne/murat/fin/")
    assert response.status_code == 302
    assert response["Location"] == "/borne/murat/"
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert response["Cache-Control"] == "no-store"
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
        cookie = response.cookies[name]
        assert cookie.value == "", name
        assert cookie["max-age"] == 0, name
    assert not Session.objects.filter(session_key=old_key).exists()
    # Back home: a new session, nothing of the previous person.
    page = client.get("/borne/murat/").content.decode()
    assert 'class="kiosk-page"' in page
    assert 'data-fresh="1"' in page
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key
    assert new_key != old_key
    assert session_of(client) == {"kiosk_code": "murat"}


def test_end_by_post_also_works(client, kiosk):
    client.get("/borne/murat/")
    response = client.post("/borne/murat/fin/")
    assert response.status_code == 302
    assert "Clear-Site-Data" in response


@pytest.mark.parametrize("path", ["/mediation/", "/admin/", "/compte/", "/", "/lieux/", "/bornes/agent/", "/api/"])
def test_kiosk_session_cannot_reach_other_pages(client, kiosk, path):
    client.get("/borne/murat/")
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/borne/murat/"


@pytest.mark.parametrize(
    "path", ["/mediation/", "/admin/", "/compte/", "/demarches/gestion/", "/demarches/gestion/nouvelle/"]
)
def test_kiosk_session_signed_in_staff_is_blocked_too(client, kiosk, manager, path):
    client.force_login(manager)
    client.get("/borne/murat/")
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/borne/murat/"


@pytest.mark.parametrize("path", ["/mediation/", "/admin/", "/compte/"])
def test_other_visitors_are_not_redirected_to_a_kiosk(client, kiosk, staff, path):
    response = Client().get(path)
    assert response.get("Location", "") != "/borne/murat/"
    signed_in = Client()
    signed_in.force_login(staff(Role.PROGRAMME_MANAGER))
    response = signed_in.get(path)
    assert not response.get("Location", "").startswith("/borne/")


def test_kiosk_session_may_use_static_and_catalogue_paths(client, kiosk):
    client.get("/borne/murat/")
    # (a missing file: a real one is served by WhiteNoise before any middleware of ours)
    assert client.get("/static/kiosks/absent.js").status_code == 404
    response = client.get("/demarches/")
    assert response.status_code == 200
    assert client.get("/demarches/absente/").status_code == 404  # the public page's own 404, not sent back


def test_after_end_the_back_office_is_reachable_again(client, kiosk):
    client.get("/borne/murat/")
    client.get("/borne/murat/fin/")
    response = client.get("/lieux/")
    assert response.status_code == 200


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_browsing_stores_nothing_but_counts_help_requests_and_sessions(client, kiosk, catalogue, agent):
    before = _row_counts()
    client.get("/borne/murat/")
    client.get("/borne/murat/categorie/identity/")
    client.get("/borne/murat/demarche/carte-identite/")
    client.get("/borne/murat/demarche/carte-identite/emporter/")
    client.post("/borne/murat/affichage/", {"option": "contrast"})
    client.post("/borne/murat/aide/", {"demarche": "carte-identite"})
    client.get("/borne/murat/aide/envoyee/")
    client.get("/borne/murat/inconnu/")
    client.get("/borne/murat/fin/")
    client.get("/borne/murat/")
    after = _row_counts()
    grown = {label for label in after if after[label] != before[label]}
    assert grown == {UsageCount._meta.label, HelpRequest._meta.label, Session._meta.label}
