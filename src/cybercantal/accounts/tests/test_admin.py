"""The back office: people, organisations, role memberships; every write through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Organisation, Role, RoleMembership
from cybercantal.core.models import JournalEntry

from .factories import MembershipFactory


@pytest.fixture
def admin_client(administrator, signed_in):
    return signed_in(administrator)


def test_user_search_by_email(admin_client, make_user):
    make_user(email="lea.fabre@exemple.test")
    make_user(email="paul@exemple.test")
    html = admin_client.get(reverse("admin:accounts_user_changelist"), {"q": "lea.fab"}).content.decode()
    assert "lea.fabre@exemple.test" in html
    assert "paul@exemple.test" not in html


def test_user_page_shows_memberships_read_only_and_a_grant_link(admin_client, make_user, organisation):
    person = make_user()
    MembershipFactory(user=person, role=Role.MEDIATOR, scope=organisation)
    html = admin_client.get(reverse("admin:accounts_user_change", args=[person.pk])).content.decode()
    assert "Médiateur numérique" in html
    assert organisation.name in html
    assert f"{reverse('admin:accounts_rolemembership_add')}?user={person.pk}" in html
    assert 'name="memberships-0-role"' not in html  # read-only inline: no inputs


def test_grant_through_the_admin_calls_the_service(admin_client, administrator, make_user, organisation):
    person = make_user()
    url = reverse("admin:accounts_rolemembership_add")
    page = admin_client.get(url, {"user": person.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert "admin-autocomplete" in html  # people are searched, not all listed
    assert f'<option value="{person.pk}" selected>' in html
    search = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": person.email[:8], "app_label": "accounts", "model_name": "rolemembership", "field_name": "user"},
    )
    assert search.status_code == 200
    assert search.json()["results"] == [{"id": str(person.pk), "text": str(person)}]
    response = admin_client.post(
        url,
        {
            "user": person.pk,
            "role": Role.MEDIATOR,
            "starts_on": "",
            "ends_on": "",
            "scope_organisation": organisation.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = RoleMembership.objects.get(user=person)
    assert membership.scope == organisation
    assert membership.granted_by == administrator
    entry = JournalEntry.objects.get(action="role.granted")
    assert entry.actor_id == administrator.pk
    assert entry.target_id == str(membership.pk)


def test_grant_errors_are_shown_next_to_fields(admin_client, make_user):
    person = make_user()
    response = admin_client.post(
        reverse("admin:accounts_rolemembership_add"), {"user": person.pk, "role": Role.MEDIATOR}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "précisez-le" in html
    assert not RoleMembership.objects.filter(user=person).exists()
    response = admin_client.post(
        reverse("admin:accounts_rolemembership_add"),
        {"user": person.pk, "role": Role.CITIZEN, "starts_on": "2026-05-02", "ends_on": "2026-05-01"},
    )
    assert "date de fin" in response.content.decode()
    assert not RoleMembership.objects.filter(user=person).exists()


def test_programme_manager_cannot_grant_administrator_in_admin(programme_manager, signed_in, make_user):
    client = signed_in(programme_manager)
    person = make_user()
    response = client.post(
        reverse("admin:accounts_rolemembership_add"), {"user": person.pk, "role": Role.ADMINISTRATOR}
    )
    assert response.status_code == 200
    assert "Vous ne pouvez pas attribuer le rôle « Administrateur »" in response.content.decode()
    assert not RoleMembership.objects.filter(user=person).exists()
    client.post(reverse("admin:accounts_rolemembership_add"), {"user": person.pk, "role": Role.GRANT_INSTRUCTOR})
    assert RoleMembership.objects.filter(user=person, role=Role.GRANT_INSTRUCTOR).exists()


def test_ending_a_role_in_the_admin_is_journalled(admin_client, make_user):
    today = timezone.localdate()
    membership = MembershipFactory(user=make_user(), role=Role.CITIZEN, starts_on=today - dt.timedelta(days=20))
    url = reverse("admin:accounts_rolemembership_change", args=[membership.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"ends_on": (today - dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.ends_on == today - dt.timedelta(days=1)
    assert JournalEntry.objects.get(action="role.ended").target_id == str(membership.pk)
    bad = admin_client.post(url, {"ends_on": (today - dt.timedelta(days=60)).isoformat()})
    assert bad.status_code == 200
    assert "précéder" in bad.content.decode()


def test_end_today_action(admin_client, make_user):
    membership = MembershipFactory(
        user=make_user(), role=Role.CITIZEN, starts_on=timezone.localdate() - dt.timedelta(days=3)
    )
    admin_client.post(
        reverse("admin:accounts_rolemembership_changelist"),
        {"action": "end_today", "_selected_action": [membership.pk]},
    )
    membership.refresh_from_db()
    assert membership.ends_on == timezone.localdate()


def test_nothing_is_deleted_through_the_admin(admin_client, make_user, organisation):
    person = make_user()
    membership = MembershipFactory(user=person, role=Role.CITIZEN)
    for name, pk in [
        ("admin:accounts_user_delete", person.pk),
        ("admin:accounts_rolemembership_delete", membership.pk),
        ("admin:accounts_organisation_delete", organisation.pk),
    ]:
        assert admin_client.get(reverse(name, args=[pk])).status_code == 403
    html = admin_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "delete_selected" not in html


def test_organisation_admin_checks_siret_and_uses_the_service(admin_client, administrator):
    url = reverse("admin:accounts_organisation_add")
    bad = admin_client.post(url, {"name": "Scierie", "kind": "business", "siret": "73282932000075"})
    assert bad.status_code == 200
    assert "clé de contrôle" in bad.content.decode()
    assert not Organisation.objects.exists()
    good = admin_client.post(url, {"name": "Scierie", "kind": "business", "siret": "732 829 320 00074"})
    assert good.status_code == 302
    organisation = Organisation.objects.get()
    assert organisation.siret == "73282932000074"
    assert JournalEntry.objects.get(action="organisation.created").actor_id == administrator.pk
    change = admin_client.post(
        reverse("admin:accounts_organisation_change", args=[organisation.pk]),
        {"name": "Scierie du Lioran", "kind": "business", "siret": "73282932000074"},
    )
    assert change.status_code == 302
    assert JournalEntry.objects.get(action="organisation.updated").data == {"fields": ["name"]}


def test_anonymise_action_asks_then_anonymises(admin_client, make_user):
    person = make_user(email="depart@exemple.test")
    url = reverse("admin:accounts_user_changelist")
    confirm = admin_client.post(url, {"action": "anonymise", "_selected_action": [person.pk]})
    assert confirm.status_code == 200
    assert "irréversible" in confirm.content.decode()
    person.refresh_from_db()
    assert person.is_active
    admin_client.post(url, {"action": "anonymise", "_selected_action": [person.pk], "post": "yes"})
    person.refresh_from_db()
    assert not person.is_active
    assert person.email.startswith("anonyme-")


def test_reset_mfa_action(admin_client, make_user, give_totp):
    from allauth.mfa.models import Authenticator

    person = make_user()
    give_totp(person)
    admin_client.post(
        reverse("admin:accounts_user_changelist"), {"action": "reset_mfa", "_selected_action": [person.pk]}
    )
    assert not Authenticator.objects.filter(user=person).exists()
    assert JournalEntry.objects.get(action="mfa.reset").target_id == str(person.pk)


def test_admin_user_creation(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {"email": "nouveau@exemple.test", "first_name": "Noé", "last_name": "Vidal", "usable_password": "false"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert JournalEntry.objects.get(action="account.created").target_repr
    html = admin_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "nouveau@exemple.test" in html


def test_programme_manager_sees_people_but_cannot_anonymise(programme_manager, signed_in, make_user):
    client = signed_in(programme_manager)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    html = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert 'value="anonymise"' not in html


def test_mediator_has_no_back_office(make_user, grant, signed_in, organisation):
    mediator = make_user()
    grant(mediator, Role.MEDIATOR, scope=organisation)
    client = signed_in(mediator)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 403
