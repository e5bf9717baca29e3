"""Shared API behaviour: structured French errors, rate limit, pagination, docs without CDN."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.test import RequestFactory
from ninja.errors import AuthenticationError, AuthorizationError, HttpError

from cybercantal.api.api import api
from cybercantal.api.errors import ApiError, translate_validation_error
from cybercantal.api.pagination import PageParams, paginate
from cybercantal.api.throttling import client_ip, parse_rate

ERROR_KEYS = {"code", "message", "field"}


def test_root_lists_docs_and_openapi(client, db):
    response = client.get("/api/")
    assert response.status_code == 200
    assert response.json()["openapi"] == "http://testserver/api/openapi.json"
    assert response.json()["documentation"] == "http://testserver/api/docs"


def test_openapi_describes_the_territory(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/territoire/communes",
        "/api/territoire/communes/{insee_code}",
        "/api/territoire/cantons",
        "/api/territoire/cantons/{code}",
        "/api/territoire/localiser",
    ]:
        assert path in paths
    params = {p["name"] for p in paths["/api/territoire/communes"]["get"]["parameters"]}
    assert {"q", "canton", "kind", "page", "size"} <= params


def test_docs_use_local_assets_only(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in sources
    assert "/static/ninja/swagger-ui.css" in sources
    assert all(s.startswith("/") for s in sources), sources
    assert '"validatorUrl": null' in html
    for name in ["ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js", "ninja/swagger-ui.css"]:
        assert finders.find(name), name


def test_unknown_address_is_a_json_404(client, db):
    response = client.get("/api/nulle/part")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == "not_found"
    assert body["message"] == "Aucune ressource de l'API à cette adresse : /api/nulle/part"


def test_wrong_method_is_a_json_405(client, territory):
    response = client.post("/api/territoire/communes")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]
    assert response.json()["message"].startswith("Méthode POST non autorisée")


def test_anonymous_rate_limit(client, territory, settings):
    settings.API_ANONYMOUS_RATE = "3/m"
    for _ in range(3):
        assert client.get("/api/territoire/cantons").status_code == 200
    response = client.get("/api/territoire/cantons")
    assert response.status_code == 429
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == "rate_limited"
    assert body["message"].startswith("Trop de requêtes : réessayez dans ")
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another client address has its own budget.
    assert client.get("/api/territoire/cantons", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_rate_limit_counts_per_ip_behind_a_proxy(client, territory, settings):
    settings.API_ANONYMOUS_RATE = "1/m"
    settings.API_NUM_PROXIES = 1
    assert client.get("/api/territoire/cantons", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert client.get("/api/territoire/cantons", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    assert client.get("/api/territoire/cantons", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200


def test_signed_in_users_are_not_rate_limited(client, territory, settings):
    settings.API_ANONYMOUS_RATE = "1/m"
    user = get_user_model().objects.create_user(email="lecteur@example.org", password="un-mot-de-passe-long")
    client.force_login(user)
    for _ in range(3):
        assert client.get("/api/territoire/cantons").status_code == 200


def test_parse_rate():
    assert parse_rate("120/m") == (120, 60)
    assert parse_rate("10/5m") == (10, 300)
    assert parse_rate("1000/d") == (1000, 86400)
    with pytest.raises(ValueError, match="API_ANONYMOUS_RATE invalide"):
        parse_rate("beaucoup")


def test_client_ip_ignores_forwarded_header_without_proxy(settings, rf):
    settings.API_NUM_PROXIES = 0
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "10.0.0.1"
    settings.API_NUM_PROXIES = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="9.9.9.9, 1.2.3.4", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "1.2.3.4"


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (AuthenticationError(), 401, "authentication_required"),
        (AuthorizationError(), 403, "permission_denied"),
        (HttpError(400, "bad"), 400, "bad_request"),
        (HttpError(418, "teapot"), 418, "error"),
        (ApiError(status=409, code="conflict", message="Déjà réservé.", field="start"), 409, "conflict"),
    ],
)
def test_every_error_is_structured(exc, status, code):
    request = RequestFactory().get("/api/x")
    response = api.on_exception(request, exc)
    assert response.status_code == status
    body = json.loads(response.content)
    assert set(body) == ERROR_KEYS
    assert body["code"] == code
    assert body["message"]


def test_authentication_message_is_french():
    response = api.on_exception(RequestFactory().get("/api/x"), AuthenticationError())
    assert json.loads(response.content)["message"] == "Authentification requise : connectez-vous."


def test_unexpected_error_is_a_json_500(caplog):
    with caplog.at_level("ERROR", logger="cybercantal.api"):
        response = api.on_exception(RequestFactory().get("/api/x"), RuntimeError("panne"))
    assert any(record.exc_info and str(record.exc_info[1]) == "panne" for record in caplog.records)
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "code": "server_error",
        "message": "Erreur interne du serveur. Réessayez plus tard.",
        "field": None,
    }


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"type": "missing", "loc": ("query", "lat"), "msg": "Field required"}, ("required", "lat")),
        ({"type": "less_than_equal", "loc": ("query", "size"), "ctx": {"le": 100}}, ("max_value", "size")),
        (
            {
                "type": "value_error",
                "loc": ("body", "payload", "email"),
                "ctx": {"error": ValueError("Adresse invalide.")},
            },
            ("invalid", "email"),
        ),
        ({"type": "something_new", "loc": ("path", "code")}, ("invalid", "code")),
        ({"type": "json_invalid", "loc": ("body", 0)}, ("invalid_json", "0")),
    ],
)
def test_translate_validation_error(error, expected):
    body = translate_validation_error(error)
    assert (body["code"], body["field"]) == expected
    assert body["message"]
    assert not body["message"].startswith("Field")


def test_paginate_a_list(rf):
    request = rf.get("/api/choses", {"q": "x", "page": 2, "size": 2})
    page = paginate(request, list(range(5)), PageParams(page=2, size=2), transform=lambda n: n * 10)
    assert page == {
        "count": 5,
        "next": "http://testserver/api/choses?q=x&page=3&size=2",
        "previous": "http://testserver/api/choses?q=x&page=1&size=2",
        "results": [20, 30],
    }
    empty = paginate(rf.get("/api/choses"), [], PageParams())
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}
    with pytest.raises(ApiError) as info:
        paginate(rf.get("/api/choses"), [1], PageParams(page=2))
    assert info.value.status == 404
    assert info.value.field == "page"


def test_client_ip_refuses_short_or_invalid_forwarded_headers(settings, rf):
    settings.API_NUM_PROXIES = 2
    assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"
    settings.API_NUM_PROXIES = 1
    assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR="pas-une-adresse", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"
