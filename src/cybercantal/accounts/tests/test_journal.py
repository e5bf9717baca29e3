"""The journal: what is journalled, and the append-only guarantees at every level."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from cybercantal.accounts.models import Role
from cybercantal.core import journal
from cybercantal.core.models import JournalEntry, JournalIsAppendOnlyError


@pytest.fixture
def entry(db):
    return journal.record(actor=None, action="test.something", data={"n": 1})


def test_save_on_an_existing_row_raises(entry):
    entry.action = "test.changed"
    with pytest.raises(JournalIsAppendOnlyError):
        entry.save()


def test_delete_raises(entry):
    with pytest.raises(JournalIsAppendOnlyError):
        entry.delete()
    assert JournalEntry.objects.filter(pk=entry.pk).exists()


def test_queryset_update_and_delete_raise(entry):
    with pytest.raises(JournalIsAppendOnlyError):
        JournalEntry.objects.update(action="x")
    with pytest.raises(JournalIsAppendOnlyError):
        JournalEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(JournalIsAppendOnlyError):
        JournalEntry.objects.all().delete()


def test_database_trigger_refuses_raw_update(entry):
    table = JournalEntry._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET action = 'x' WHERE id = %s", [entry.pk])  # noqa: S608
    entry.refresh_from_db()
    assert entry.action == "test.something"


@pytest.mark.postgres
def test_database_trigger_refuses_raw_delete_on_postgresql(entry):
    table = JournalEntry._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [entry.pk])  # noqa: S608
    assert JournalEntry.objects.filter(pk=entry.pk).exists()


def test_staff_sign_in_is_journalled_but_not_a_citizens(client, make_user, grant, password):
    citizen = make_user(email="habitante@exemple.test")
    grant(citizen, Role.CITIZEN)
    client.post(reverse("account_login"), {"login": citizen.email, "password": password})
    assert int(client.session["_auth_user_id"]) == citizen.pk
    assert not JournalEntry.objects.filter(action="auth.staff_login").exists()


def test_staff_sign_in_without_totp_yet_is_journalled(client, make_user, password):
    """A back-office account that has not set TOTP up yet signs in with its password, then must activate it."""
    staff = make_user(email="agent@exemple.test", is_staff=True)
    response = client.post(reverse("account_login"), {"login": staff.email, "password": password})
    assert response.status_code == 302
    entry = JournalEntry.objects.get(action="auth.staff_login")
    assert entry.actor_id == staff.pk
    assert entry.data["methods"] == ["password"]
    follow = client.get(response["Location"])
    assert follow.status_code == 302
    assert follow["Location"].startswith(reverse("mfa_activate_totp"))


def test_data_export_is_journalled(make_user, signed_in):
    user = make_user()
    client = signed_in(user)
    client.get(reverse("accounts:my_data_download"))
    entry = JournalEntry.objects.get(action="data.export")
    assert entry.actor_id == user.pk
    assert entry.target_id == str(user.pk)
    assert "profil" in entry.data["sections"]


def test_journal_admin_is_read_only(administrator, signed_in, entry):
    client = signed_in(administrator)
    changelist = client.get(reverse("admin:core_journalentry_changelist"))
    assert changelist.status_code == 200
    html = changelist.content.decode()
    assert "test.something" in html
    assert 'name="action"' not in html  # no bulk actions, so no "delete selected"
    assert reverse("admin:core_journalentry_add") not in html
    assert client.get(reverse("admin:core_journalentry_add")).status_code == 403
    change_url = reverse("admin:core_journalentry_change", args=[entry.pk])
    detail = client.get(change_url)
    assert detail.status_code == 200
    assert 'type="submit"' not in detail.content.decode().split('id="content-main"')[1]
    assert client.post(change_url, {"action": "x"}).status_code == 403
    assert client.get(reverse("admin:core_journalentry_delete", args=[entry.pk])).status_code == 403
    response = client.post(
        reverse("admin:core_journalentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert JournalEntry.objects.filter(pk=entry.pk).exists()
    assert response.status_code in {200, 302}


def test_journal_admin_search_and_filters(administrator, signed_in, entry):
    journal.record(actor=administrator, action="role.granted", data={})
    client = signed_in(administrator)
    url = reverse("admin:core_journalentry_changelist")
    assert "role.granted" in client.get(url, {"q": "role"}).content.decode()
    found = client.get(url, {"action": "test.something"}).content.decode()
    assert "test.something" in found
    assert client.get(url, {"q": "intrus"}).status_code == 200
    assert client.get(url, {"q": str(administrator.pk)}).status_code == 200


def test_journal_admin_is_closed_to_programme_managers(programme_manager, signed_in, entry):
    client = signed_in(programme_manager)
    assert client.get(reverse("admin:core_journalentry_changelist")).status_code == 403


def test_back_office_changes_to_a_person_go_through_the_service(programme_manager, administrator, make_user):
    """``user_save``: the permission is checked there too, and passwords are never named."""
    from cybercantal.accounts import services

    person = make_user(email="personne@exemple.test")
    person.first_name = "Nouveau"
    with pytest.raises(services.NotAllowed):
        services.user_save(actor=programme_manager, user=person, created=False, fields=["first_name"])
    services.user_save(actor=administrator, user=person, created=False, fields=["first_name", "password"])
    person.refresh_from_db()
    assert person.first_name == "Nouveau"
    entry = JournalEntry.objects.get(action="account.updated")
    assert (entry.actor_id, entry.data) == (administrator.pk, {"fields": ["first_name"]})
