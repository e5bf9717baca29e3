"""Federation with the national school identity provider, through django-allauth's
``socialaccount`` (docs/ent-federation.md): ÉduConnect (pupils and parents) in SAML 2.0, or
an académie's OpenID Connect provider. Nothing is enabled unless its environment variables
are set, so the platform works offline and in tests without it.

``settings.py`` would read::

    from cybercantal.learning import federation

    INSTALLED_APPS += federation.federation_apps()
    SOCIALACCOUNT_PROVIDERS = federation.socialaccount_providers()

``parse_vecteur`` / ``member_for_vecteur`` read the ``FrEduVecteur`` attribute that the
national identity providers send for pupils and parents (profile, name, first name, pupil's
identifier in the school software, UAI) and find the matching ``SchoolMember`` imported from
the school's CSV files: the link between a federated sign-in and the ENT account.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

SAML_APP = "allauth.socialaccount.providers.saml"
OIDC_APP = "allauth.socialaccount.providers.openid_connect"

# Attribute names sent by ÉduConnect (SAML); each can be changed by an environment variable
# (ENT_SAML_ATTR_<KEY>), as the académie's integration sheet says.
DEFAULT_SAML_ATTRIBUTES = {
    "uid": "FrEduCtId",
    "first_name": "givenName",
    "last_name": "sn",
    "email": "mail",
}
# Profiles of FrEduVecteur: 1 and 2 are legal guardians, 3 and 4 pupils.
PARENT_PROFILES = frozenset({"1", "2"})
STUDENT_PROFILES = frozenset({"3", "4"})


def _get(environ: Mapping[str, str], name: str, default: str = "") -> str:
    return (environ.get(name) or default).strip()


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return _get(environ, name).lower() in {"1", "true", "yes", "oui", "on"}


def saml_enabled(environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    return bool(_get(environ, "ENT_SAML_METADATA_URL") or _get(environ, "ENT_SAML_SSO_URL"))


def oidc_enabled(environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    return bool(_get(environ, "ENT_OIDC_SERVER_URL"))


def federation_apps(environ: Mapping[str, str] | None = None) -> list[str]:
    """The apps to add to ``INSTALLED_APPS``: none when no federation is configured."""
    environ = os.environ if environ is None else environ
    apps = []
    if saml_enabled(environ) or oidc_enabled(environ):
        apps.append("allauth.socialaccount")
    if saml_enabled(environ):
        apps.append(SAML_APP)
    if oidc_enabled(environ):
        apps.append(OIDC_APP)
    return apps


def _require(environ: Mapping[str, str], *names: str) -> None:
    missing = [name for name in names if not _get(environ, name)]
    if missing:
        raise ImproperlyConfigured(
            f"ENT federation: {', '.join(missing)} must be set as well (docs/ent-federation.md)."
        )


def _saml(environ: Mapping[str, str]) -> dict[str, Any]:
    _require(environ, "ENT_SAML_IDP_ENTITY_ID")
    idp: dict[str, Any] = {"entity_id": _get(environ, "ENT_SAML_IDP_ENTITY_ID")}
    if _get(environ, "ENT_SAML_METADATA_URL"):
        idp["metadata_url"] = _get(environ, "ENT_SAML_METADATA_URL")
    else:
        _require(environ, "ENT_SAML_IDP_X509CERT")
        idp["sso_url"] = _get(environ, "ENT_SAML_SSO_URL")
        idp["x509cert"] = _get(environ, "ENT_SAML_IDP_X509CERT")
        if _get(environ, "ENT_SAML_SLO_URL"):
            idp["slo_url"] = _get(environ, "ENT_SAML_SLO_URL")
    mapping = {
        key: _get(environ, f"ENT_SAML_ATTR_{key.upper()}", default) for key, default in DEFAULT_SAML_ATTRIBUTES.items()
    }
    settings: dict[str, Any] = {
        "attribute_mapping": mapping,
        "idp": idp,
        "advanced": {
            "strict": True,
            "want_assertion_signed": True,
            "want_attribute_statement": True,
            "reject_deprecated_algorithm": True,
        },
    }
    if _get(environ, "ENT_SAML_SP_ENTITY_ID"):
        settings["sp"] = {"entity_id": _get(environ, "ENT_SAML_SP_ENTITY_ID")}
    if _get(environ, "ENT_SAML_SP_X509CERT") and _get(environ, "ENT_SAML_SP_PRIVATE_KEY"):
        settings["advanced"].update(
            {
                "x509cert": _get(environ, "ENT_SAML_SP_X509CERT"),
                "private_key": _get(environ, "ENT_SAML_SP_PRIVATE_KEY"),
                "authn_request_signed": True,
                "metadata_signed": True,
            }
        )
    app = {
        "client_id": _get(environ, "ENT_SAML_SLUG", "educonnect"),  # the organisation slug of the URLs
        "name": _get(environ, "ENT_SAML_NAME", "ÉduConnect"),
        "settings": settings,
    }
    return {"APPS": [app]}


def _oidc(environ: Mapping[str, str]) -> dict[str, Any]:
    _require(environ, "ENT_OIDC_CLIENT_ID", "ENT_OIDC_SECRET")
    settings: dict[str, Any] = {"server_url": _get(environ, "ENT_OIDC_SERVER_URL")}
    if _get(environ, "ENT_OIDC_TOKEN_AUTH_METHOD"):
        settings["token_auth_method"] = _get(environ, "ENT_OIDC_TOKEN_AUTH_METHOD")
    if _get(environ, "ENT_OIDC_UID_FIELD"):
        settings["uid_field"] = _get(environ, "ENT_OIDC_UID_FIELD")
    app = {
        "provider_id": _get(environ, "ENT_OIDC_PROVIDER_ID", "academie"),
        "name": _get(environ, "ENT_OIDC_NAME", "Compte académique"),
        "client_id": _get(environ, "ENT_OIDC_CLIENT_ID"),
        "secret": _get(environ, "ENT_OIDC_SECRET"),
        "settings": settings,
    }
    provider: dict[str, Any] = {"APPS": [app]}
    if _flag(environ, "ENT_OIDC_PKCE"):
        provider["OAUTH_PKCE_ENABLED"] = True
    return provider


def socialaccount_providers(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``SOCIALACCOUNT_PROVIDERS`` built from the environment (empty when nothing is set).

    Raises ``ImproperlyConfigured`` (at start-up, not at a pupil's sign-in) when a provider
    is half configured."""
    environ = os.environ if environ is None else environ
    providers: dict[str, Any] = {}
    if saml_enabled(environ):
        providers["saml"] = _saml(environ)
    if oidc_enabled(environ):
        providers["openid_connect"] = _oidc(environ)
    return providers


@dataclass(frozen=True)
class Vecteur:
    profile: str
    last_name: str
    first_name: str
    student_id: str  # the pupil's identifier in the school software (SchoolMember.external_id)
    uai: str

    @property
    def is_parent(self) -> bool:
        return self.profile in PARENT_PROFILES

    @property
    def is_student(self) -> bool:
        return self.profile in STUDENT_PROFILES


def parse_vecteur(value: str) -> Vecteur | None:
    """``"4|TEYSSEDOU|Hugo|4512|0150012A"`` -> its parts; ``None`` for anything else."""
    parts = [part.strip() for part in (value or "").split("|")]
    if len(parts) != 5 or parts[0] not in PARENT_PROFILES | STUDENT_PROFILES:
        return None
    profile, last_name, first_name, student_id, uai = parts
    uai = uai.upper()
    if not student_id or len(student_id) > 40 or len(uai) != 8:
        return None
    return Vecteur(profile, last_name, first_name, student_id, uai)


def member_for_vecteur(vecteur: Vecteur) -> Any:
    """The pupil's ``SchoolMember`` that a FrEduVecteur designates (for a parent: their
    child's), or ``None``: the school has not imported them yet."""
    from .models import SchoolMember

    return (
        SchoolMember.objects.select_related("user", "school")
        .filter(
            school__uai=vecteur.uai,
            kind=SchoolMember.Kind.STUDENT,
            external_id=vecteur.student_id,
            left_on__isnull=True,
        )
        .first()
    )
