"""Granting and ending roles: validation, who may, journal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cybercantal.accounts import services
from cybercantal.accounts.models import DEPARTEMENT_ROLES, SCOPED_ROLES, Role, RoleMembership
from cybercantal.accounts.queries import active_roles
from cybercantal.core.models import JournalEntry

TODAY = timezone.localdate


def test_grant_scoped_role_is_journalled(administrator, make_user, organisation):
    person = make_user()
    membership = services.role_grant(actor=administrator, user=person, role=Role.MEDIATOR, scope=organisation)
    assert membership.scope == organisation
    assert membership.granted_by == administrator
    assert membership.starts_on == TODAY()
    entry = JournalEntry.objects.get(action="role.granted")
    assert entry.actor_id == administrator.pk
    assert entry.target_type == "accounts.rolemembership"
    assert entry.target_id == str(membership.pk)
    assert entry.data == {
        "user_id": person.pk,
        "role": "mediator",
        "scope_type": "accounts.organisation",
        "scope_id": organisation.pk,
        "starts_on": TODAY().isoformat(),
        "ends_on": None,
    }
    assert "mediator" in active_roles(person)


@pytest.mark.parametrize("role", sorted(SCOPED_ROLES))
def test_scoped_roles_need_a_scope(administrator, make_user, role):
    with pytest.raises(ValidationError) as caught:
        services.role_grant(actor=administrator, user=make_user(), role=role)
    assert "précisez" in caught.value.message_dict["scope"][0]
    assert not RoleMembership.objects.filter(role=role).exists()


@pytest.mark.parametrize("role", sorted(DEPARTEMENT_ROLES))
def test_departement_roles_refuse_a_scope(administrator, make_user, organisation, role):
    with pytest.raises(ValidationError) as caught:
        services.role_grant(actor=administrator, user=make_user(), role=role, scope=organisation)
    assert "tout le département" in caught.value.message_dict["scope"][0]


@pytest.mark.parametrize("role", [Role.TELEWORKER, Role.PARENT])
def test_optional_scope_roles_accept_both(administrator, make_user, organisation, role):
    services.role_grant(actor=administrator, user=make_user(), role=role)
    services.role_grant(actor=administrator, user=make_user(), role=role, scope=organisation)
    assert RoleMembership.objects.filter(role=role).count() == 2


def test_dates_must_be_ordered(administrator, make_user):
    with pytest.raises(ValidationError) as caught:
        services.role_grant(
            actor=administrator,
            user=make_user(),
            role=Role.CITIZEN,
            starts_on=dt.date(2026, 5, 2),
            ends_on=dt.date(2026, 5, 1),
        )
    assert "date de fin" in caught.value.message_dict["ends_on"][0]


def test_unknown_role_is_refused(administrator, make_user):
    with pytest.raises(ValidationError) as caught:
        services.role_grant(actor=administrator, user=make_user(), role="pirate")
    assert "role" in caught.value.message_dict


def test_overlapping_grant_is_refused_but_a_later_one_is_fine(administrator, make_user):
    person = make_user()
    services.role_grant(
        actor=administrator,
        user=person,
        role=Role.GRANT_INSTRUCTOR,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 6, 30),
    )
    with pytest.raises(ValidationError):
        services.role_grant(actor=administrator, user=person, role=Role.GRANT_INSTRUCTOR, starts_on=dt.date(2026, 6, 1))
    services.role_grant(actor=administrator, user=person, role=Role.GRANT_INSTRUCTOR, starts_on=dt.date(2026, 7, 1))
    assert RoleMembership.objects.filter(user=person).count() == 2


def test_inactive_person_gets_no_role(administrator, make_user):
    with pytest.raises(ValidationError) as caught:
        services.role_grant(actor=administrator, user=make_user(is_active=False), role=Role.CITIZEN)
    assert "désactivé" in caught.value.message_dict["user"][0]


def test_programme_manager_grants_roles_but_not_administrator(programme_manager, make_user):
    services.role_grant(actor=programme_manager, user=make_user(), role=Role.GRANT_INSTRUCTOR)
    services.role_grant(actor=programme_manager, user=make_user(), role=Role.PROGRAMME_MANAGER)
    with pytest.raises(services.NotAllowed) as caught:
        services.role_grant(actor=programme_manager, user=make_user(), role=Role.ADMINISTRATOR)
    assert "Administrateur" in str(caught.value)
    assert not RoleMembership.objects.filter(role=Role.ADMINISTRATOR).exclude(user__email="admin@exemple.test").exists()


def test_administrator_grants_administrator(administrator, make_user):
    services.role_grant(actor=administrator, user=make_user(), role=Role.ADMINISTRATOR)


@pytest.mark.parametrize("role", sorted(set(Role.values) - {Role.ADMINISTRATOR, Role.PROGRAMME_MANAGER}))
def test_other_roles_cannot_grant(make_user, grant, organisation, role):
    actor = make_user()
    grant(actor, role, scope=organisation if role in SCOPED_ROLES else None)
    with pytest.raises(services.NotAllowed):
        services.role_grant(actor=actor, user=make_user(), role=Role.CITIZEN)
    assert not JournalEntry.objects.filter(action="role.granted").exists()


def test_superuser_may_grant_anything(make_user):
    boss = make_user(is_superuser=True, is_staff=True)
    services.role_grant(actor=boss, user=make_user(), role=Role.ADMINISTRATOR)


def test_role_end_is_journalled_and_takes_effect_after_the_last_day(administrator, make_user):
    person = make_user()
    membership = services.role_grant(
        actor=administrator, user=person, role=Role.GRANT_INSTRUCTOR, starts_on=TODAY() - dt.timedelta(days=10)
    )
    services.role_end(actor=administrator, membership=membership, on=TODAY())
    assert "grant_instructor" in active_roles(person)  # still today
    services.role_end(actor=administrator, membership=membership, on=TODAY() - dt.timedelta(days=1))
    assert "grant_instructor" not in active_roles(person)
    entries = JournalEntry.objects.filter(action="role.ended").order_by("id")
    assert [e.data["ends_on"] for e in entries] == [TODAY().isoformat(), (TODAY() - dt.timedelta(days=1)).isoformat()]
    assert entries[1].data["previous_ends_on"] == TODAY().isoformat()


def test_role_end_refuses_a_day_before_the_start(administrator, make_user):
    membership = services.role_grant(actor=administrator, user=make_user(), role=Role.CITIZEN, starts_on=TODAY())
    with pytest.raises(ValidationError) as caught:
        services.role_end(actor=administrator, membership=membership, on=TODAY() - dt.timedelta(days=1))
    assert "précéder" in caught.value.message_dict["on"][0]


def test_role_end_cannot_extend_an_ended_role(administrator, make_user):
    membership = services.role_grant(
        actor=administrator,
        user=make_user(),
        role=Role.CITIZEN,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 1, 31),
    )
    with pytest.raises(ValidationError) as caught:
        services.role_end(actor=administrator, membership=membership, on=dt.date(2026, 3, 1))
    assert "déjà pris fin" in caught.value.message_dict["on"][0]


def test_programme_manager_cannot_end_an_administrator(administrator, programme_manager, make_user):
    membership = services.role_grant(actor=administrator, user=make_user(), role=Role.ADMINISTRATOR)
    with pytest.raises(services.NotAllowed):
        services.role_end(actor=programme_manager, membership=membership, on=TODAY())
