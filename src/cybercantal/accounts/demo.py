"""Demo accounts: one person per role, to try the platform (``make run`` loads them).

Every demo account:
- signs in with its email and the shared password ``DEMO_PASSWORD`` ("cantal-demo-2026");
- has a verified, primary email address (no confirmation email to click);
- if its role is a staff role (TOTP is required), has a TOTP authenticator whose secret is
  ``DEMO_TOTP_SECRET`` (base32 "CYBERCANTALDEMOTOTPSECRETKEY2345"): add it to any TOTP app
  (FreeOTP, Aegis, Google Authenticator…) or print the current code with
  ``cybercantal demo_totp mediateur@demo.cybercantal.fr``.

Never load them in production: the password and the TOTP secret are public.

Roles that need a scope (mediator, teacher…) are scoped to the object given in ``scopes``
(e.g. the demo command passes an EPN for the mediator) or, by default, to a demo
organisation of the right kind. Loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from . import services
from .models import SCOPED_ROLES, STAFF_ROLES, Organisation, Role, RoleMembership, User

DEMO_DOMAIN = "demo.cybercantal.fr"
DEMO_PASSWORD = "cantal-demo-2026"  # noqa: S105 - documented on purpose, demo only
DEMO_TOTP_SECRET = "CYBERCANTALDEMOTOTPSECRETKEY2345"  # noqa: S105 - documented on purpose, demo only
# Demo roles start on a fixed past day, so that a later run can end them "yesterday".
DEMO_STARTS_ON = dt.date(2025, 1, 1)

# role -> (email local part, first name, last name); the names are invented.
DEMO_PEOPLE: dict[str, tuple[str, str, str]] = {
    Role.CITIZEN: ("habitant", "Jeanne", "Vidalenc"),
    Role.TELEWORKER: ("teletravailleur", "Thomas", "Delmas"),
    Role.EMPLOYER_MANAGER: ("employeur", "Sophie", "Roux"),
    Role.TELECENTRE_MANAGER: ("gestionnaire-telecentre", "Marc", "Lafon"),
    Role.MEDIATOR: ("mediateur", "Léa", "Fabre"),
    Role.KIOSK_AGENT: ("agent-borne", "Paul", "Chabrier"),
    Role.TEACHER: ("enseignant", "Claire", "Bonnefoy"),
    Role.STUDENT: ("eleve", "Hugo", "Teyssedou"),
    Role.PARENT: ("parent", "Nadia", "Teyssedou"),
    Role.SCHOOL_STAFF: ("direction", "Marie", "Lacombe"),
    Role.BUSINESS_APPLICANT: ("entreprise", "Julien", "Vermenouze"),
    Role.GRANT_INSTRUCTOR: ("instructeur", "Anne", "Couderc"),
    Role.PROGRAMME_MANAGER: ("charge-programme", "Élise", "Meynial"),
    Role.ADMINISTRATOR: ("admin", "Bernard", "Lavergne"),
}

# Roles that get admin access (``is_staff``) to use the back office.
BACK_OFFICE_ROLES = frozenset({Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR})

# Default scope of the scoped roles: a demo organisation of the right kind.
_DEFAULT_SCOPE_ORGANISATION: dict[str, tuple[str, str]] = {
    Role.EMPLOYER_MANAGER: ("Laiterie des Monts (démo)", Organisation.Kind.EMPLOYER),
    Role.TELECENTRE_MANAGER: ("Télécentres du Cantal (démo)", Organisation.Kind.TELECENTRE_OPERATOR),
    Role.MEDIATOR: ("Association Numérique Haute-Auvergne (démo)", Organisation.Kind.ASSOCIATION),
    Role.KIOSK_AGENT: ("Communauté de communes des Volcans (démo)", Organisation.Kind.EPCI),
    Role.TEACHER: ("Collège des Puys (démo)", Organisation.Kind.SCHOOL),
    Role.STUDENT: ("Collège des Puys (démo)", Organisation.Kind.SCHOOL),
    Role.SCHOOL_STAFF: ("Collège des Puys (démo)", Organisation.Kind.SCHOOL),
    Role.BUSINESS_APPLICANT: ("Menuiserie du Lioran (démo)", Organisation.Kind.BUSINESS),
}


def demo_email(role: str) -> str:
    return f"{DEMO_PEOPLE[role][0]}@{DEMO_DOMAIN}"


def _default_scope(role: str) -> Organisation | None:
    if role not in _DEFAULT_SCOPE_ORGANISATION:
        return None
    name, kind = _DEFAULT_SCOPE_ORGANISATION[role]
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is None:
        organisation = services.organisation_create(actor=None, name=name, kind=kind)
    return organisation


def _person(role: str) -> User:
    from allauth.account.models import EmailAddress

    local, first_name, last_name = DEMO_PEOPLE[role]
    email = f"{local}@{DEMO_DOMAIN}"
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, first_name=first_name, last_name=last_name)
    else:
        user.first_name, user.last_name, user.is_active = first_name, last_name, True
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
    user.is_staff = role in BACK_OFFICE_ROLES
    user.save()
    EmailAddress.objects.filter(user=user).exclude(email__iexact=email).delete()
    address, _created = EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    if not (address.verified and address.primary):
        address.verified = address.primary = True
        address.save(update_fields=["verified", "primary"])
    return user


def _ensure_membership(user: User, role: str, scope: models.Model | None) -> None:
    scope_type = ContentType.objects.get_for_model(scope) if scope is not None else None
    scope_id = scope.pk if scope is not None else None
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    current = RoleMembership.objects.filter(user=user, role=role).active()
    if current.filter(scope_type=scope_type, scope_id=scope_id).exists():
        return
    for other in current:  # the scope changed since the last run: the old one ends
        services.role_end(actor=None, membership=other, on=max(other.starts_on, yesterday))
    services.role_grant(actor=None, user=user, role=role, scope=scope, starts_on=DEMO_STARTS_ON)


def _ensure_totp(user: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from allauth.mfa.utils import decrypt, encrypt

    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is None:
        TOTP.activate(user, DEMO_TOTP_SECRET)
    elif decrypt(existing.data["secret"]) != DEMO_TOTP_SECRET:
        existing.data = {**existing.data, "secret": encrypt(DEMO_TOTP_SECRET)}
        existing.save(update_fields=["data"])


@transaction.atomic
def load_demo_accounts(scopes: Mapping[str, models.Model | None] | None = None) -> list[tuple[str, str, str, str]]:
    """Create (or bring back to their documented state) one demo account per role.

    ``scopes`` maps a role to the object its membership is scoped to (a place, an
    organisation); roles not in it use a demo organisation when they need a scope.
    Returns ``(role label, email, password, TOTP secret or "")`` for each role.
    """
    scopes = dict(scopes or {})
    table: list[tuple[str, str, str, str]] = []
    for role in Role:
        user = _person(role)
        scope: Any = scopes[role] if role in scopes else (_default_scope(role) if role in SCOPED_ROLES else None)
        _ensure_membership(user, role, scope)
        secret = ""
        if role in STAFF_ROLES:
            _ensure_totp(user)
            secret = DEMO_TOTP_SECRET
        table.append((str(role.label), user.email, DEMO_PASSWORD, secret))
    return table


def current_totp_code(secret: str = DEMO_TOTP_SECRET) -> str:
    """The 6-digit code a TOTP app shows right now for ``secret``."""
    import time

    from allauth.mfa import app_settings as mfa_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))
