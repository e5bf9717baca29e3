"""'Mes données': the page, the JSON download, the deletion request, the anonymisation."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts import personal_data, services
from cybercantal.accounts.models import Role, RoleMembership, User
from cybercantal.accounts.queries import active_roles
from cybercantal.core import journal
from cybercantal.core.models import JournalEntry

from .html_checks import assert_our_page


def test_my_data_needs_sign_in(client, db):
    for name in ["accounts:my_data", "accounts:my_data_download", "accounts:deletion_request"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_my_data_page_explains_and_lists_roles(make_user, grant, signed_in, organisation):
    user = make_user()
    grant(user, Role.TEACHER, scope=organisation)
    response = signed_in(user).get(reverse("accounts:my_data"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_our_page(html)
    assert "Ce que nous gardons, et pourquoi" in html
    assert "Enseignant" in html
    assert organisation.name in html
    assert reverse("accounts:my_data_download") in html


def test_download_holds_everything_but_secrets(make_user, grant, signed_in, organisation, give_totp):
    user = make_user(email="lea@exemple.test", first_name="Léa", last_name="Fabre", phone="0471000000")
    grant(user, Role.MEDIATOR, scope=organisation)
    secret = give_totp(user)
    journal.record(actor=user, action="test.done", data={"k": "v"})
    response = signed_in(user).get(reverse("accounts:my_data_download"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-cybercantal-')
    body = response.content.decode()
    assert secret not in body
    assert user.password not in body
    data = json.loads(body)
    sections = data["sections"]
    assert sections["profil"]["adresse_electronique"] == "lea@exemple.test"
    assert sections["profil"]["telephone"] == "0471000000"
    assert sections["roles"][0]["role"] == "mediator"
    assert sections["roles"][0]["perimetre"] == organisation.name
    assert sections["organisations"] == [
        {"id": organisation.pk, "nom": organisation.name, "type": "Association", "siret": "", "commune": None}
    ]
    assert any(e["action"] == "test.done" for e in sections["journal"])
    assert sections["adresses_electroniques"] == [{"adresse": "lea@exemple.test", "verifiee": True, "principale": True}]
    assert [a["type"] for a in sections["double_authentification"]] == ["totp"]
    assert set(sections["double_authentification"][0]) == {"type", "libelle", "cree_le", "derniere_utilisation"}


def test_download_only_holds_the_persons_own_data(make_user, signed_in):
    me, other = make_user(), make_user(email="autre@exemple.test")
    journal.record(actor=other, action="test.other")
    body = signed_in(me).get(reverse("accounts:my_data_download")).content.decode()
    assert "autre@exemple.test" not in body
    assert "test.other" not in body


def test_registry_lets_programmes_add_sections_and_erase_hooks(make_user, administrator):
    erased = []
    personal_data.register(
        "essai",
        lambda user: {"n": user.pk},
        erase=lambda user: erased.append(user.pk),
        title="Essai",
        description="Pour le test.",
    )
    try:
        with pytest.raises(ValueError, match="already registered"):
            personal_data.register("essai", lambda user: None)
        person = make_user()
        assert personal_data.collect(person)["sections"]["essai"] == {"n": person.pk}
        services.user_anonymise(actor=administrator, user=person)
        assert erased == [person.pk]
    finally:
        personal_data.unregister("essai")
    assert "essai" not in {s.name for s in personal_data.sections()}


def test_deletion_request_needs_password_and_tick(make_user, signed_in):
    user = make_user()
    client = signed_in(user)
    page = client.get(reverse("accounts:deletion_request"))
    assert_our_page(page.content.decode())
    response = client.post(reverse("accounts:deletion_request"), {"password": "faux-mot-de-passe"})
    assert response.status_code == 200
    html = response.content.decode()
    assert_our_page(html)
    assert "Ce mot de passe n&#x27;est pas le bon." in html
    assert "Cochez la case pour confirmer votre demande." in html
    assert 'id="id_password_error"' in html
    assert 'id="id_confirm_error"' in html
    user.refresh_from_db()
    assert user.deletion_requested_at is None


def test_deletion_request_recorded_journalled_and_admins_emailed_after_commit(
    make_user, signed_in, administrator, password, django_capture_on_commit_callbacks
):
    user = make_user(email="partante@exemple.test")
    client = signed_in(user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("accounts:deletion_request"), {"password": password, "confirm": "on"})
    assert response.status_code == 302
    assert len(callbacks) == 1
    user.refresh_from_db()
    assert user.deletion_requested_at is not None
    assert JournalEntry.objects.get(action="account.deletion_requested").actor_id == user.pk
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [administrator.email]
    assert "suppression" in message.subject.lower()
    assert f"n° {user.pk}" in message.body
    assert "partante@exemple.test" not in message.body  # the email tells ids, not identities
    page = client.get(response["Location"])
    html = page.content.decode()
    deadline = timezone.localdate() + dt.timedelta(days=services.DELETION_DELAY_DAYS)
    assert "Votre demande est enregistrée." in html
    assert "Ce qui va se passer" in html
    assert str(deadline.year) in html
    assert 'name="password"' not in html


def test_second_request_keeps_the_first_date(make_user, django_capture_on_commit_callbacks):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        services.deletion_request(actor=user)
    first = User.objects.get(pk=user.pk).deletion_requested_at
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.deletion_request(actor=user)
    assert callbacks == []
    assert User.objects.get(pk=user.pk).deletion_requested_at == first
    assert JournalEntry.objects.filter(action="account.deletion_requested").count() == 1


def test_anonymise_replaces_identity_ends_roles_keeps_journal(administrator, make_user, grant, organisation, give_totp):
    person = make_user(email="lea@exemple.test", first_name="Léa", last_name="Fabre", phone="0471000000")
    today = timezone.localdate()
    past = grant(person, Role.MEDIATOR, scope=organisation, starts_on=today - dt.timedelta(days=100))
    started_today = grant(person, Role.CITIZEN, starts_on=today)
    future = grant(person, Role.TEACHER, scope=organisation, starts_on=today + dt.timedelta(days=5))
    give_totp(person)
    journal.record(actor=person, action="test.before")

    services.user_anonymise(actor=administrator, user=person)

    person.refresh_from_db()
    assert person.email == f"anonyme-{person.pk}@anonyme.invalid"
    assert (person.first_name, person.last_name, person.phone) == ("", "", "")
    assert not person.is_active
    assert not person.has_usable_password()
    assert active_roles(person) == frozenset()
    # Every membership ends as early as its dates allow (a row cannot end before it starts);
    # the account is inactive anyway, so none of them grants anything.
    for membership, last_day in [
        (past, today - dt.timedelta(days=1)),
        (started_today, today),
        (future, future.starts_on),
    ]:
        membership.refresh_from_db()
        assert membership.ends_on == last_day
    assert not RoleMembership.objects.filter(user=person, ends_on__isnull=True).exists()
    assert not EmailAddress.objects.filter(user=person).exists()
    assert not Authenticator.objects.filter(user=person).exists()
    assert JournalEntry.objects.filter(action="test.before", actor_id=person.pk).exists()
    assert JournalEntry.objects.get(action="account.anonymised").actor_id == administrator.pk


def test_only_administrators_anonymise(programme_manager, make_user):
    person = make_user()
    with pytest.raises(services.NotAllowed):
        services.user_anonymise(actor=programme_manager, user=person)
    person.refresh_from_db()
    assert person.is_active


def test_administrator_cannot_anonymise_themself(administrator):
    with pytest.raises(ValidationError):
        services.user_anonymise(actor=administrator, user=administrator)


def test_anonymised_person_cannot_sign_in(client, administrator, make_user, password):
    person = make_user(email="lea@exemple.test")
    services.user_anonymise(actor=administrator, user=person)
    client.post(reverse("account_login"), {"login": "lea@exemple.test", "password": password})
    assert "_auth_user_id" not in client.session


def test_deletion_request_limits_password_attempts(make_user, signed_in, password):
    """Without a limit, a borrowed session could try passwords on this form without end."""
    user = make_user()
    client = signed_in(user)
    url = reverse("accounts:deletion_request")
    for _attempt in range(10):
        client.post(url, {"password": "faux-mot-de-passe", "confirm": "on"})
    response = client.post(url, {"password": password, "confirm": "on"})
    assert "Trop d&#x27;essais de mot de passe" in response.content.decode()
    user.refresh_from_db()
    assert user.deletion_requested_at is None
