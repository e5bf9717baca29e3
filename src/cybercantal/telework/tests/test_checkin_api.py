"""API of part checkin: my calendar address, a new one; 401 for anonymous; OpenAPI in French."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from cybercantal.core.models import JournalEntry

from ..models import MemberProfile

pytestmark = pytest.mark.django_db

URL = "/api/telecentres/calendrier"
REGENERATE = "/api/telecentres/calendrier/regenerer"


def test_anonymous_gets_a_json_401(client):
    for method, url in (("get", URL), ("post", REGENERATE)):
        response = getattr(client, method)(url)
        assert response.status_code == 401
        assert response.json()["code"] == "authentication_required"
        assert "connectez-vous" in response.json()["message"]


def test_my_calendar_address(client, member, settings):
    settings.SITE_URL = "https://cybercantal.example"
    client.force_login(member)
    body = client.get(URL).json()
    token = MemberProfile.objects.get(user=member).calendar_token
    assert body["url"] == f"https://cybercantal.example/telecentres/calendrier/{token}.ics"
    assert body["webcal"] == f"webcal://cybercantal.example/telecentres/calendrier/{token}.ics"
    assert client.get(body["url"].replace("https://cybercantal.example", "")).status_code == 200
    assert client.get(URL).json() == body  # stable


def test_regenerate(client, member):
    client.force_login(member)
    old = client.get(URL).json()["url"]
    response = client.post(REGENERATE)
    assert response.status_code == 200
    new = response.json()["url"]
    assert new != old
    assert client.get(URL).json()["url"] == new
    assert client.get(urlsplit(old).path).status_code == 404
    assert client.get(urlsplit(new).path).status_code == 200
    assert JournalEntry.objects.filter(action="telework.profile.calendar_token_regenerated").count() == 1
    assert client.get(REGENERATE).status_code == 405


def test_regenerate_needs_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    old = client.get(URL).json()["url"]
    response = client.post(REGENERATE)
    assert response.status_code == 403
    assert client.get(URL).json()["url"] == old


def test_documented_in_french(client):
    schema = client.get("/api/openapi.json").json()
    get = schema["paths"]["/api/telecentres/calendrier"]["get"]
    post = schema["paths"]["/api/telecentres/calendrier/regenerer"]["post"]
    assert get["summary"] == "Adresse de mon calendrier de réservations"
    assert "401" in get["responses"]
    assert "401" in post["responses"]
    assert "ancienne cesse aussitôt de fonctionner" in post["description"]
