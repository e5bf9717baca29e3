"""``POST /api/bornes/signal``: token auth, structured errors, rate limits, OpenAPI."""

from __future__ import annotations

import logging

import pytest

from cybercantal.kiosks.models import Heartbeat
from cybercantal.kiosks.services import fleet as services

pytestmark = pytest.mark.django_db

URL = "/api/bornes/signal"


@pytest.fixture
def token(manager, kiosk):
    return services.kiosk_token_issue(actor=manager, kiosk=kiosk)


def signal(client, token=None, body=None, ip="198.51.100.10"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    if body is None:
        return client.post(URL, REMOTE_ADDR=ip, **headers)
    return client.post(URL, body, content_type="application/json", REMOTE_ADDR=ip, **headers)


def test_heartbeat_accepted_without_session_or_csrf(token, kiosk):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = signal(client, token, {"version": "2.4.1"})
    assert response.status_code == 204
    assert response.content == b""
    assert Heartbeat.objects.get(kiosk=kiosk).app_version == "2.4.1"
    kiosk.refresh_from_db()
    assert kiosk.last_seen_at is not None


def test_heartbeat_without_body_and_twice_in_a_minute(client, token, kiosk):
    assert signal(client, token).status_code == 204
    assert signal(client, token).status_code == 204
    assert Heartbeat.objects.filter(kiosk=kiosk).count() == 1


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "absent"),
        ("Basic dXNlcjpwYXNz", "absent"),
        ("Bearer ", "absent"),
        ("Bearer jeton-invente-0123456789", "inconnu"),
    ],
)
def test_wrong_token_is_401_with_french_json_and_logged(client, kiosk, caplog, header, reason):
    caplog.set_level(logging.WARNING, logger="cybercantal.kiosks")
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.post(URL, REMOTE_ADDR="203.0.113.5", **extra)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "invalid_token"
    assert reason in body["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert any("203.0.113.5" in r.getMessage() for r in caplog.records)
    assert not any("jeton-invente-0123456789" in r.getMessage() for r in caplog.records)
    assert not Heartbeat.objects.exists()


def test_revoked_token_is_401(client, manager, kiosk, token, caplog):
    caplog.set_level(logging.WARNING, logger="cybercantal.kiosks")
    services.kiosk_token_revoke(actor=manager, kiosk=kiosk)
    response = signal(client, token)
    assert response.status_code == 401
    assert "révoqué" in response.json()["message"]
    assert any(token[:8] in r.getMessage() and "revoked" in r.getMessage() for r in caplog.records)


def test_bad_body_is_422_structured(client, token):
    response = signal(client, token, {"version": "x" * 41})
    assert response.status_code == 422
    assert response.json()["field"] == "version"


def test_flood_of_one_token_is_429(client, token, caplog):
    caplog.set_level(logging.WARNING, logger="cybercantal.kiosks")
    statuses = [signal(client, token).status_code for _ in range(12)]
    assert statuses[:10] == [204] * 10
    assert statuses[10:] == [429, 429]
    response = signal(client, token)
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert any("limités" in r.getMessage() for r in caplog.records)


def test_guessing_tokens_from_one_address_is_429_even_with_new_tokens(client, token):
    statuses = [signal(client, f"devine-{i:04d}-abcdefgh", ip="203.0.113.9").status_code for i in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    # The real kiosk elsewhere is not affected.
    assert signal(client, token, ip="198.51.100.77").status_code == 204


def test_many_kiosks_behind_one_address_are_not_limited_by_the_anonymous_rate(client, manager, settings, territory):
    from .factories import KioskFactory

    settings.API_ANONYMOUS_RATE = "5/m"
    tokens = [services.kiosk_token_issue(actor=manager, kiosk=KioskFactory()) for _ in range(8)]
    assert [signal(client, t, ip="192.0.2.200").status_code for t in tokens] == [204] * 8


def test_openapi_documents_the_endpoint_in_french(client):
    spec = client.get("/api/openapi.json").json()
    operation = spec["paths"][URL]["post"]
    assert "Signal de vie" in operation["summary"]
    assert "401" in operation["responses"]
    assert "429" in operation["responses"]
    assert operation["security"]
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
