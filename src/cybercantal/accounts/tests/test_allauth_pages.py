"""Every django-allauth page in our design, in French, accessible, reachable as it should be."""

from __future__ import annotations

import base64
import re

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.core import mail
from django.urls import reverse

from .html_checks import assert_our_page, main_text

ANONYMOUS_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key_done",
    "account_email_verification_sent",
    "account_inactive",
]


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_entrance_pages_are_public_french_and_ours(client, db, name):
    """LoginRequiredMiddleware is on: allauth's entrance pages must still answer anonymously."""
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert_our_page(response.content.decode())


def test_sign_in_page_has_labelled_fields_with_autocomplete(client, db):
    html = client.get(reverse("account_login")).content.decode()
    page = assert_our_page(html)
    by_name = {f["name"]: f for f in page.fields}
    assert by_name["login"]["autocomplete"] == "email"
    assert by_name["password"]["autocomplete"] == "current-password"
    assert "<h1>Se connecter</h1>" in html
    assert 'href="/compte/password/reset/"' in html  # forgotten password link, tied to the field


def test_sign_in_error_is_french_and_tied_to_the_form(client, make_user):
    make_user(email="lea@exemple.test")
    response = client.post(reverse("account_login"), {"login": "lea@exemple.test", "password": "pas-le-bon"})
    assert response.status_code == 200
    html = response.content.decode()
    assert_our_page(html)
    assert 'role="alert"' in html
    assert "ne sont pas corrects" in html or "incorrect" in main_text(html)


def test_field_errors_sit_next_to_their_field_with_aria(client, db):
    response = client.post(
        reverse("account_signup"), {"email": "pas-une-adresse", "password1": "court", "password2": "x"}
    )
    html = response.content.decode()
    page = assert_our_page(html)
    email = next(f for f in page.fields if f["name"] == "email")
    assert email["aria-invalid"] == "true"
    assert "id_email_error" in (email["aria-describedby"] or "")
    assert re.search(r'<ul class="errorlist" id="id_email_error"><li>[^<]*adresse', html)
    password1 = next(f for f in page.fields if f["name"] == "password1")
    assert password1["aria-invalid"] == "true"
    assert password1["aria-describedby"] == "id_password1_helptext id_password1_error"


def test_sign_up_sends_a_french_verification_email_and_shows_the_sent_page(client, db):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "nouvelle@exemple.test",
            "password1": "un-mot-de-passe-solide",
            "password2": "un-mot-de-passe-solide",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("[CyberCantal]")
    page = client.get(response["Location"])
    assert "Vérifiez votre adresse" in page.content.decode()


def test_email_confirmation_page_is_public_and_ours(client, make_user):
    user = make_user(email="a-confirmer@exemple.test", verified=False)
    address = EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    key = EmailConfirmationHMAC(address).key
    response = client.get(reverse("account_confirm_email", args=[key]))
    assert response.status_code == 200
    assert_our_page(response.content.decode())
    client.post(reverse("account_confirm_email", args=[key]))
    address.refresh_from_db()
    assert address.verified


def test_bad_confirmation_key_page_is_french(client, db):
    response = client.get(reverse("account_confirm_email", args=["nimporte-quoi"]))
    assert response.status_code == 200
    assert_our_page(response.content.decode())


def test_password_reset_journey(client, make_user):
    user = make_user(email="oubli@exemple.test")
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    uid, key = user_pk_to_url_str(user), default_token_generator.make_token(user)
    url = reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": key})
    response = client.get(url, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert_our_page(html)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else url
    response = client.post(
        form_url, {"password1": "nouveau-mot-de-passe-2026", "password2": "nouveau-mot-de-passe-2026"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("nouveau-mot-de-passe-2026")
    assert_our_page(client.get(response["Location"]).content.decode())


def test_bad_password_reset_key_page_is_french(client, make_user):
    user = make_user()
    url = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": "mauvaise-cle"})
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert_our_page(response.content.decode())


MANAGE_PAGES = ["account_email", "account_change_password", "account_logout", "mfa_index"]


@pytest.mark.parametrize("name", ["account_email", "account_change_password", "mfa_index"])
def test_management_pages_need_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", MANAGE_PAGES)
def test_management_pages_are_french_ours_with_account_navigation(make_user, signed_in, name):
    client = signed_in(make_user())
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert_our_page(html)
    assert 'aria-label="Mon compte"' in html
    assert html.count('aria-current="page"') == (0 if name == "account_logout" else 1)


def test_password_change_works_and_tells_the_person_in_french(
    make_user, signed_in, password, django_capture_on_commit_callbacks
):
    user = make_user()
    client = signed_in(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_change_password"),
            {"oldpassword": password, "password1": "encore-un-autre-2026", "password2": "encore-un-autre-2026"},
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("encore-un-autre-2026")
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == [user.email]
    assert notice.subject.startswith("[CyberCantal] ")
    assert "mot de passe" in notice.body.lower()
    assert "CyberCantal" in notice.body  # our name, not the host name


def test_set_password_page_for_people_created_without_one(make_user, signed_in):
    user = make_user()
    user.set_unusable_password()
    user.save()
    client = signed_in(user)
    response = client.get(reverse("account_set_password"))
    assert response.status_code == 200
    assert_our_page(response.content.decode())
    client.post(
        reverse("account_set_password"),
        {"password1": "premier-mot-de-passe-26", "password2": "premier-mot-de-passe-26"},
    )
    user.refresh_from_db()
    assert user.check_password("premier-mot-de-passe-26")


def test_sign_out_page_and_post(make_user, signed_in):
    client = signed_in(make_user())
    assert client.get(reverse("account_logout")).status_code == 200
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_reauthenticate_page_is_ours(make_user, signed_in):
    client = signed_in(make_user())
    response = client.get(reverse("account_reauthenticate"))
    assert response.status_code == 200
    assert_our_page(response.content.decode())


def test_sign_in_rate_limit_blocks_after_five_failures_in_french(client, make_user, password):
    user = make_user(email="cible@exemple.test")
    for _attempt in range(5):
        response = client.post(reverse("account_login"), {"login": user.email, "password": "mauvais-mot-de-passe"})
        assert response.status_code == 200
        assert "Trop de tentatives" not in response.content.decode()
    # The sixth attempt is refused even with the right password.
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Trop de tentatives de connexion" in html
    assert_our_page(html)
    assert "_auth_user_id" not in client.session


def test_totp_activation_page_renders_the_qr_code_allowed_by_csp(make_user, signed_in, client):
    user = make_user()
    signed_in(user)
    client.post(reverse("account_reauthenticate"), {"password": "motdepasse-de-test-2026"})
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_our_page(html)
    match = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"[^>]*alt="([^"]+)"', html)
    assert match, "the QR code is not an inline SVG image"
    svg = base64.b64decode(match.group(1)).decode()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:200]
    assert "<script" not in svg
    assert "QR code" in match.group(2)
    secret = re.search(r'<span class="secret-key" id="authenticator_secret">([A-Z2-7]+)</span>', html).group(1)
    assert secret not in match.group(2)  # the secret is not the image's text alternative
    csp = response["Content-Security-Policy"]
    img_src = re.search(r"img-src ([^;]+)", csp).group(1).split()
    assert "data:" in img_src


def test_totp_activation_with_a_valid_code(make_user, signed_in, client):
    from allauth.mfa.models import Authenticator

    from cybercantal.accounts.demo import current_totp_code

    user = make_user()
    signed_in(user)
    client.post(reverse("account_reauthenticate"), {"password": "motdepasse-de-test-2026"})
    html = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(r'id="authenticator_secret">([A-Z2-7]+)<', html).group(1)
    bad = client.post(
        reverse("mfa_activate_totp"), {"code": "000000" if current_totp_code(secret) != "000000" else "111111"}
    )
    assert bad.status_code == 200
    assert 'aria-invalid="true"' in bad.content.decode()
    assert_our_page(bad.content.decode())
    response = client.post(reverse("mfa_activate_totp"), {"code": current_totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    # Recovery codes are generated and shown next, in our design.
    codes = client.get(response["Location"])
    assert codes.status_code == 200
    assert_our_page(codes.content.decode())
    for name in ["mfa_index", "mfa_generate_recovery_codes"]:
        page = client.get(reverse(name))
        assert page.status_code == 200
        assert_our_page(page.content.decode())
    download = client.get(reverse("mfa_download_recovery_codes"))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")


def test_mfa_reauthentication_page_is_ours_and_accepts_a_code(make_user, signed_in, client, give_totp):
    from cybercantal.accounts.demo import current_totp_code

    user = make_user()
    secret = give_totp(user)
    signed_in(user)
    response = client.get(reverse("mfa_reauthenticate"))
    assert response.status_code == 200
    assert_our_page(response.content.decode())
    response = client.post(reverse("mfa_reauthenticate"), {"code": current_totp_code(secret)})
    assert response.status_code == 302


def test_non_staff_person_can_deactivate_totp(make_user, signed_in, client, give_totp, password):
    from allauth.mfa.models import Authenticator

    user = make_user()
    give_totp(user)
    signed_in(user)
    client.post(reverse("account_reauthenticate"), {"password": password})
    response = client.get(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert_our_page(response.content.decode())
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user, type="totp").exists()
