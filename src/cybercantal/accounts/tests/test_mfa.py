"""TOTP is required for staff roles; a person with TOTP is asked for a code at sign-in."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from cybercantal.accounts.demo import current_totp_code
from cybercantal.accounts.models import STAFF_ROLES, Role
from cybercantal.core.models import JournalEntry

from .html_checks import assert_our_page

NON_STAFF_ROLES = sorted(set(Role.values) - set(STAFF_ROLES))


def _activation_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("mfa_activate_totp"))


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_staff_role_without_totp_is_sent_to_activate_it(client, make_user, grant, role):
    user = make_user()
    grant(user, role)
    client.force_login(user)
    for path in ["/", "/lieux/", "/admin/", "/territoire/", "/nimporte-quoi/"]:
        response = client.get(path)
        assert _activation_redirect(response), path
        assert f"next={path.replace('/', '%2F')}" in response["Location"]


def test_mediator_with_totp_is_not_redirected(client, make_user, grant, give_totp):
    user = make_user()
    grant(user, Role.MEDIATOR)
    give_totp(user)
    client.force_login(user)
    response = client.get("/admin/")
    assert not _activation_redirect(response)


@pytest.mark.parametrize("role", NON_STAFF_ROLES)
def test_other_roles_are_not_asked_for_totp(client, make_user, grant, role):
    user = make_user()
    grant(user, role)
    client.force_login(user)
    assert not _activation_redirect(client.get("/admin/"))


def test_admin_access_alone_requires_totp(client, make_user):
    client.force_login(make_user(is_staff=True))
    assert _activation_redirect(client.get("/admin/"))


def test_ended_staff_role_no_longer_requires_totp(client, make_user, grant):
    import datetime as dt

    from django.utils import timezone

    user = make_user()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    grant(user, Role.MEDIATOR, starts_on=yesterday - dt.timedelta(days=30), ends_on=yesterday)
    client.force_login(user)
    assert not _activation_redirect(client.get("/admin/"))


def test_account_pages_stay_reachable_without_totp(client, make_user, grant):
    user = make_user()
    grant(user, Role.PROGRAMME_MANAGER)
    client.force_login(user)
    for name in ["mfa_index", "accounts:my_data", "account_email"]:
        assert client.get(reverse(name)).status_code == 200, name


def test_sign_in_with_totp_end_to_end(client, make_user, grant, give_totp, password):
    user = make_user(email="mediatrice@exemple.test")
    grant(user, Role.MEDIATOR)
    secret = give_totp(user)

    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not signed in before the code

    page = client.get(reverse("mfa_authenticate"))
    assert page.status_code == 200
    html = page.content.decode()
    assert_our_page(html)
    assert 'autocomplete="one-time-code"' in html

    wrong = client.post(
        reverse("mfa_authenticate"), {"code": "123456" if current_totp_code(secret) != "123456" else "654321"}
    )
    assert wrong.status_code == 200
    assert 'aria-invalid="true"' in wrong.content.decode()
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": current_totp_code(secret)})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    entry = JournalEntry.objects.get(action="auth.staff_login")
    assert entry.actor_id == user.pk
    assert entry.data["methods"] == ["mfa", "password"]
    assert entry.ip_address == "127.0.0.1"
    # Signed in with TOTP: the staff pages are open.
    assert not _activation_redirect(client.get("/admin/"))


def test_staff_cannot_deactivate_totp(client, make_user, grant, give_totp, password):
    user = make_user()
    grant(user, Role.KIOSK_AGENT)
    give_totp(user)
    client.force_login(user)
    client.post(reverse("account_reauthenticate"), {"password": password})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert "Votre rôle impose la double authentification" in response.content.decode()
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    index = client.get(reverse("mfa_index")).content.decode()
    assert reverse("mfa_deactivate_totp") not in index


def test_admin_login_page_is_allauths(client, db):
    """The admin's own login form would skip TOTP: it sends to allauth's sign-in instead."""
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"] or response["Location"].startswith(reverse("account_login"))


def test_only_the_listed_account_pages_stay_reachable_without_totp(client, make_user, grant):
    """The allowance names pages, not the whole /compte/ prefix."""
    user = make_user()
    grant(user, Role.PROGRAMME_MANAGER)
    client.force_login(user)
    for name in ["account_change_password", "account_set_password"]:
        assert _activation_redirect(client.get(reverse(name))), name
    assert client.get(reverse("accounts:my_data_download")).status_code == 200


def test_totp_activation_is_reachable_behind_a_script_prefix(client, make_user, grant):
    """Mounted under /app (SCRIPT_NAME), the allowance must not turn into a redirect loop."""
    from django.urls import get_script_prefix, set_script_prefix

    user = make_user()
    grant(user, Role.MEDIATOR)
    client.force_login(user)
    before = get_script_prefix()
    set_script_prefix("/app/")  # what the WSGI handler does behind a prefix (the test client does not)
    try:
        activation_url = reverse("mfa_activate_totp")
        assert activation_url.startswith("/app/compte/")
        response = client.get(activation_url.removeprefix("/app"), SCRIPT_NAME="/app")
        assert not (response.status_code == 302 and response["Location"].startswith(activation_url))
        elsewhere = client.get("/lieux/", SCRIPT_NAME="/app")
        assert elsewhere.status_code == 302
        assert elsewhere["Location"].startswith(activation_url)
    finally:
        set_script_prefix(before)
