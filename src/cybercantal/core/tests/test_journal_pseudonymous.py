"""The journal names nobody: an anonymised person leaves no name in rows kept for good."""

from __future__ import annotations

import pytest

from cybercantal.accounts.models import Role, RoleMembership, User
from cybercantal.core import journal
from cybercantal.core.models import JournalEntry


@pytest.mark.django_db
def test_journal_rows_hold_ids_not_names():
    admin = User.objects.create_user("claire.admin@example.fr", first_name="Claire", last_name="Vidal")
    person = User.objects.create_user("jean.dupont@example.fr", first_name="Jean", last_name="Dupont")
    membership = RoleMembership.objects.create(user=person, role=Role.CITIZEN)

    journal.record(actor=admin, action="role.granted", target=membership)
    journal.record(actor=person, action="data.export", target=person)

    rows = list(JournalEntry.objects.values_list("actor_repr", "target_repr"))
    text = " ".join(part for row in rows for part in row)
    for name in ("Claire", "Vidal", "Jean", "Dupont", "example.fr"):
        assert name not in text
    assert f"personne n° {person.pk}" in text
    assert f"personne n° {admin.pk}" in text


@pytest.mark.django_db
def test_system_actions_are_labelled_as_such():
    entry = journal.record(actor=None, action="territory.imported")
    assert entry.actor_repr == "système"
    assert entry.actor_id is None
