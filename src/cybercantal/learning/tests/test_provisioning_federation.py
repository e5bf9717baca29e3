"""The federation settings built from the environment, and FrEduVecteur."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from .. import federation
from ..imports import parse
from ..services import provisioning as services
from .factories_provisioning import students_csv

SAML = {
    "ENT_SAML_METADATA_URL": "https://educonnect.example/idp/metadata",
    "ENT_SAML_IDP_ENTITY_ID": "https://educonnect.example/idp",
}
OIDC = {
    "ENT_OIDC_SERVER_URL": "https://auth.ac-test.example/realms/eleves",
    "ENT_OIDC_CLIENT_ID": "cybercantal",
    "ENT_OIDC_SECRET": "s3cret",
}


def test_nothing_without_environment() -> None:
    assert federation.socialaccount_providers({}) == {}
    assert federation.federation_apps({}) == []


def test_saml_from_metadata() -> None:
    providers = federation.socialaccount_providers({**SAML, "ENT_SAML_ATTR_UID": "urn:oid:custom"})
    [app] = providers["saml"]["APPS"]
    assert app["client_id"] == "educonnect"
    assert app["name"] == "ÉduConnect"
    assert app["settings"]["idp"] == {
        "entity_id": "https://educonnect.example/idp",
        "metadata_url": "https://educonnect.example/idp/metadata",
    }
    assert app["settings"]["attribute_mapping"]["uid"] == "urn:oid:custom"
    assert app["settings"]["attribute_mapping"]["last_name"] == "sn"
    assert app["settings"]["advanced"]["want_assertion_signed"] is True
    assert federation.federation_apps(SAML) == ["allauth.socialaccount", federation.SAML_APP]


def test_saml_without_metadata_needs_the_certificate() -> None:
    env = {"ENT_SAML_SSO_URL": "https://idp.example/sso", "ENT_SAML_IDP_ENTITY_ID": "https://idp.example"}
    with pytest.raises(ImproperlyConfigured, match="ENT_SAML_IDP_X509CERT"):
        federation.socialaccount_providers(env)
    idp = federation.socialaccount_providers({**env, "ENT_SAML_IDP_X509CERT": "MIIC..."})["saml"]["APPS"][0][
        "settings"
    ]["idp"]
    assert idp["sso_url"] == "https://idp.example/sso"
    assert idp["x509cert"] == "MIIC..."


def test_signed_requests_when_the_sp_has_a_key() -> None:
    env = {
        **SAML,
        "ENT_SAML_SP_X509CERT": "CERT",
        "ENT_SAML_SP_PRIVATE_KEY": "KEY",
        "ENT_SAML_SP_ENTITY_ID": "https://ent/sp",
    }
    settings = federation.socialaccount_providers(env)["saml"]["APPS"][0]["settings"]
    assert settings["advanced"]["authn_request_signed"] is True
    assert settings["sp"] == {"entity_id": "https://ent/sp"}


def test_oidc() -> None:
    providers = federation.socialaccount_providers({**OIDC, "ENT_OIDC_PKCE": "oui"})
    [app] = providers["openid_connect"]["APPS"]
    assert app["provider_id"] == "academie"
    assert app["settings"] == {"server_url": OIDC["ENT_OIDC_SERVER_URL"]}
    assert providers["openid_connect"]["OAUTH_PKCE_ENABLED"] is True
    with pytest.raises(ImproperlyConfigured, match="ENT_OIDC_SECRET"):
        federation.socialaccount_providers({**OIDC, "ENT_OIDC_SECRET": " "})
    assert federation.federation_apps(OIDC) == ["allauth.socialaccount", federation.OIDC_APP]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4|TEYSSEDOU|Hugo|4512|0150012a", ("4", "4512", "0150012A", True, False)),
        ("2|TEYSSEDOU|Nadia|4512|0150012A", ("2", "4512", "0150012A", False, True)),
    ],
)
def test_parse_vecteur(value: str, expected: tuple) -> None:
    vecteur = federation.parse_vecteur(value)
    assert vecteur is not None
    assert (vecteur.profile, vecteur.student_id, vecteur.uai, vecteur.is_student, vecteur.is_parent) == expected


@pytest.mark.parametrize("value", ["", "x", "9|A|B|1|0150012A", "4|A|B||0150012A", "4|A|B|1|015", "4|A|B|1|0150012A|x"])
def test_bad_vecteur(value: str) -> None:
    assert federation.parse_vecteur(value) is None


def test_member_for_vecteur(school_staff, school, klass) -> None:
    services.people_import(
        actor=school_staff,
        school=school,
        parsed=parse("students", students_csv([["4512", "Teyssedou", "Hugo", "5e B", "", ""]])),
        file_name="x",
    )
    member = federation.member_for_vecteur(federation.parse_vecteur(f"4|TEYSSEDOU|Hugo|4512|{school.uai}"))
    assert member is not None
    assert member.user.first_name == "Hugo"
    assert federation.member_for_vecteur(federation.parse_vecteur("4|X|Y|4512|0150099Z")) is None
