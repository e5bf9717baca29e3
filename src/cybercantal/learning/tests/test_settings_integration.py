"""The cartable's settings: the largest document read from the environment (and let through
by nginx), and the federation with ÉduConnect / the académie wired in ``settings.py`` only
when the environment configures a provider."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from ..services import documents

REPO = Path(__file__).resolve().parents[4]
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.urls import reverse
out = {
    "max_bytes": settings.LEARNING_DOCUMENT_MAX_BYTES,
    "apps": [a for a in settings.INSTALLED_APPS if a.startswith("allauth.socialaccount")],
    "providers": sorted(settings.SOCIALACCOUNT_PROVIDERS),
}
if out["apps"]:
    from allauth.socialaccount.adapter import get_adapter
    out["signup_open"] = get_adapter().is_open_for_signup(None, None)
    out["login_url"] = reverse("openid_connect_login", kwargs={"provider_id": "academie"})
print(json.dumps(out))
"""
OIDC = {
    "ENT_OIDC_SERVER_URL": "https://auth.ac-test.example/realms/enseignants",
    "ENT_OIDC_CLIENT_ID": "cybercantal",
    "ENT_OIDC_SECRET": "s3cret",
}


def _settings_with(**environ: str) -> subprocess.CompletedProcess[str]:
    """Load ``cybercantal.settings`` in a fresh process with ``environ`` (no ENT_* variable
    of this process leaks in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENT_SAML_", "ENT_OIDC_", "LEARNING_"))}
    env.update(DJANGO_SETTINGS_MODULE="cybercantal.settings", CYBERCANTAL_TESTING="1", DATABASE_URL="", **environ)
    return subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", PROBE], env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


def _probe(**environ: str) -> dict:
    result = _settings_with(**environ)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the largest document --------------------------------------------------------------------------


def test_document_limit_defaults_to_the_documents_code_value():
    if "LEARNING_DOCUMENT_MAX_BYTES" in os.environ:
        pytest.skip("LEARNING_DOCUMENT_MAX_BYTES is set in this environment")
    assert settings.LEARNING_DOCUMENT_MAX_BYTES == documents.DEFAULT_MAX_FILE_BYTES == 100 * 1024 * 1024
    assert documents.max_file_bytes() == settings.LEARNING_DOCUMENT_MAX_BYTES


def test_document_limit_is_read_from_the_environment_and_used(settings):
    assert _probe(LEARNING_DOCUMENT_MAX_BYTES="5242880")["max_bytes"] == 5 * 1024 * 1024
    settings.LEARNING_DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
    assert documents.max_file_bytes() == 5 * 1024 * 1024


def _megabytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", value.lower()).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def test_nginx_lets_the_largest_document_through():
    conf = (REPO / "deploy" / "nginx.conf").read_text()
    block = re.search(r"location \^~ /ent/ \{(.*?)\n    \}", conf, re.S)
    assert block is not None, "deploy/nginx.conf has no location for /ent/"
    size = re.search(r"client_max_body_size (\w+);", block.group(1))
    assert size is not None
    assert _megabytes(size.group(1)) > documents.DEFAULT_MAX_FILE_BYTES
    assert "proxy_pass http://cybercantal_app;" in block.group(1)


# --- federation ------------------------------------------------------------------------------------


def test_no_federation_without_environment():
    if any(k.startswith(("ENT_SAML_", "ENT_OIDC_")) for k in os.environ):
        pytest.skip("a federation provider is configured in this environment")
    assert not [a for a in settings.INSTALLED_APPS if a.startswith("allauth.socialaccount")]
    assert settings.SOCIALACCOUNT_PROVIDERS == {}
    assert _probe() == {"max_bytes": documents.DEFAULT_MAX_FILE_BYTES, "apps": [], "providers": []}


def test_oidc_provider_wired_when_configured():
    probe = _probe(**OIDC)
    assert probe["apps"] == ["allauth.socialaccount", "allauth.socialaccount.providers.openid_connect"]
    assert probe["providers"] == ["openid_connect"]
    assert probe["signup_open"] is False  # a federated sign-in never creates an account
    assert probe["login_url"] == "/compte/oidc/academie/login/"


def test_half_configured_provider_stops_the_start_with_a_message():
    result = _settings_with(ENT_OIDC_SERVER_URL=OIDC["ENT_OIDC_SERVER_URL"])
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ENT_OIDC_CLIENT_ID, ENT_OIDC_SECRET must be set" in result.stderr
