"""Demo accounts: one per role, idempotent, usable with password + TOTP through the real views."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, current_totp_code, load_demo_accounts
from cybercantal.accounts.models import SCOPED_ROLES, STAFF_ROLES, Organisation, Role, RoleMembership, User
from cybercantal.accounts.queries import active_roles


def _state():
    return (
        sorted(User.objects.values_list("email", "first_name", "is_staff")),
        sorted(RoleMembership.objects.values_list("user__email", "role", "scope_type", "scope_id", "ends_on")),
        sorted(EmailAddress.objects.values_list("email", "verified", "primary")),
        sorted(Authenticator.objects.values_list("user__email", "type")),
        sorted(Organisation.objects.values_list("name", "kind")),
    )


def test_one_account_per_role_with_documented_credentials(db):
    rows = load_demo_accounts()
    assert len(rows) == len(Role)
    assert {label for label, *_ in rows} == {str(role.label) for role in Role}
    by_email = {email: (password, secret) for _label, email, password, secret in rows}
    assert ("mediateur@demo.cybercantal.fr") in by_email
    for role in Role:
        user = User.objects.get(email=next(e for label, e, *_ in rows if label == str(role.label)))
        assert user.check_password(DEMO_PASSWORD)
        assert active_roles(user) == {role}
        assert EmailAddress.objects.filter(user=user, verified=True, primary=True).count() == 1
        password, secret = by_email[user.email]
        assert password == "cantal-demo-2026"
        assert secret == (DEMO_TOTP_SECRET if role in STAFF_ROLES else "")
        assert Authenticator.objects.filter(user=user, type="totp").exists() is (role in STAFF_ROLES)
        membership = RoleMembership.objects.get(user=user)
        assert (membership.scope_id is not None) is (role in SCOPED_ROLES)


def test_loading_twice_changes_nothing(db):
    load_demo_accounts()
    first = _state()
    load_demo_accounts()
    assert _state() == first


def test_scopes_can_be_given_and_replace_the_default(db):
    load_demo_accounts()
    epn = Organisation.objects.create(name="EPN de Murat", slug="epn-de-murat", kind="association")
    load_demo_accounts({Role.MEDIATOR: epn})
    mediator = User.objects.get(email="mediateur@demo.cybercantal.fr")
    active = RoleMembership.objects.filter(user=mediator).active()
    assert [m.scope for m in active] == [epn]
    old = RoleMembership.objects.filter(user=mediator).exclude(scope_id=epn.pk).get()
    assert old.ends_on == timezone.localdate() - dt.timedelta(days=1)
    assert mediator.has_perm("places.change_place") is False  # needs the place itself
    load_demo_accounts({Role.MEDIATOR: epn})
    assert RoleMembership.objects.filter(user=mediator).count() == 2


def test_demo_staff_signs_in_with_password_and_totp(client, db):
    load_demo_accounts()
    email = "mediateur@demo.cybercantal.fr"
    response = client.post(reverse("account_login"), {"login": email, "password": DEMO_PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    out = io.StringIO()
    call_command("demo_totp", email, stdout=out)
    code = out.getvalue().strip()
    assert code == current_totp_code()
    assert len(code) == 6
    assert code.isdigit()
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)
    page = client.get("/admin/")
    assert not (page.status_code == 302 and page["Location"].startswith(reverse("mfa_activate_totp")))


def test_demo_citizen_signs_in_with_password_only(client, db):
    load_demo_accounts()
    response = client.post(
        reverse("account_login"), {"login": "habitant@demo.cybercantal.fr", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] != reverse("mfa_authenticate")
    assert "_auth_user_id" in client.session


def test_demo_totp_refuses_real_accounts_and_unknown_ones(db, make_user):
    make_user(email="vraie@exemple.test")
    with pytest.raises(CommandError, match="démonstration"):
        call_command("demo_totp", "vraie@exemple.test")
    with pytest.raises(CommandError, match="Chargez"):
        call_command("demo_totp", "inconnu@demo.cybercantal.fr")


def test_load_demo_accounts_command_prints_the_table(db):
    out = io.StringIO()
    call_command("load_demo_accounts", stdout=out)
    text = out.getvalue()
    assert "admin@demo.cybercantal.fr" in text
    assert DEMO_TOTP_SECRET in text
    assert f"{len(Role)} comptes de démonstration prêts." in text
