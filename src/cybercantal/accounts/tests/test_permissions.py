"""The platform's permissions, role by role, and the object-level predicates."""

from __future__ import annotations

import datetime as dt

import pytest
import rules
from django.utils import timezone

from cybercantal.accounts import permissions, queries
from cybercantal.accounts.models import SCOPED_ROLES, Organisation, Role

from .factories import MembershipFactory, OrganisationFactory, UserFactory

ALL_ROLES = list(Role)
MANAGERS = {Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR}
PLACE_STAFF = {Role.TELECENTRE_MANAGER, Role.MEDIATOR, Role.KIOSK_AGENT}

# permission -> roles that hold it WITHOUT an object (a plain, unscoped role is enough).
GLOBAL_TABLE = {
    "places.add_place": MANAGERS,
    "places.change_place": MANAGERS,
    "places.import_lmn": MANAGERS,
    "places.assign_organisation": MANAGERS,
    "core.view_journal": {Role.ADMINISTRATOR},
    "core.view_journalentry": {Role.ADMINISTRATOR},
    "accounts.grant_role": MANAGERS,
    "accounts.anonymise_user": {Role.ADMINISTRATOR},
    "accounts.view_user": MANAGERS,
    "accounts.change_user": {Role.ADMINISTRATOR},
    "accounts.add_organisation": MANAGERS,
}


def _person_with(role, scope=None):
    user = UserFactory()
    MembershipFactory(user=user, role=role, scope=scope)
    return user


@pytest.mark.parametrize("perm", sorted(GLOBAL_TABLE))
@pytest.mark.parametrize("role", ALL_ROLES, ids=[r.value for r in ALL_ROLES])
def test_permission_table_without_object(db, perm, role):
    scope = OrganisationFactory() if role in SCOPED_ROLES else None
    user = _person_with(role, scope)
    assert user.has_perm(perm) is (role in GLOBAL_TABLE[perm])


@pytest.mark.parametrize("role", ALL_ROLES, ids=[r.value for r in ALL_ROLES])
def test_change_place_table_with_a_membership_scoped_to_the_place(make_place, role):
    place = make_place()
    scope = place if role in SCOPED_ROLES | {Role.TELEWORKER, Role.PARENT} else None
    user = _person_with(role, scope)
    expected = role in MANAGERS | PLACE_STAFF
    assert user.has_perm("places.change_place", place) is expected


def test_no_role_no_permission(db):
    user = UserFactory()
    for perm in GLOBAL_TABLE:
        assert not user.has_perm(perm)


def test_anonymous_has_nothing(db):
    from django.contrib.auth.models import AnonymousUser

    for perm in GLOBAL_TABLE:
        assert not AnonymousUser().has_perm(perm)


def test_mediator_of_place_a_changes_a_not_b(make_place):
    place_a, place_b = make_place(), make_place()
    mediator = _person_with(Role.MEDIATOR, place_a)
    assert mediator.has_perm("places.change_place", place_a)
    assert not mediator.has_perm("places.change_place", place_b)
    assert not mediator.has_perm("places.add_place")
    assert not mediator.has_perm("places.import_lmn")
    assert not mediator.has_perm("places.assign_organisation")  # nor hand the place to another structure


def test_membership_on_the_places_organisation_reaches_its_places(make_place):
    organisation = OrganisationFactory()
    own, other = make_place(organisation=organisation), make_place(organisation=OrganisationFactory())
    manager = _person_with(Role.TELECENTRE_MANAGER, organisation)
    assert manager.has_perm("places.change_place", own)
    assert not manager.has_perm("places.change_place", other)


def test_teacher_on_the_place_cannot_change_it(make_place):
    place = make_place()
    assert not _person_with(Role.TEACHER, place).has_perm("places.change_place", place)


def test_membership_ended_yesterday_gives_nothing(make_place):
    place = make_place()
    today = timezone.localdate()
    user = UserFactory()
    MembershipFactory(
        user=user,
        role=Role.MEDIATOR,
        scope=place,
        starts_on=today - dt.timedelta(days=30),
        ends_on=today - dt.timedelta(days=1),
    )
    MembershipFactory(
        user=user,
        role=Role.PROGRAMME_MANAGER,
        starts_on=today - dt.timedelta(days=30),
        ends_on=today - dt.timedelta(days=1),
    )
    assert not user.has_perm("places.change_place", place)
    assert not user.has_perm("places.add_place")


def test_membership_ending_today_still_counts(make_place):
    place = make_place()
    today = timezone.localdate()
    user = UserFactory()
    MembershipFactory(
        user=user, role=Role.KIOSK_AGENT, scope=place, starts_on=today - dt.timedelta(days=3), ends_on=today
    )
    assert user.has_perm("places.change_place", place)


def test_membership_starting_tomorrow_gives_nothing(make_place):
    place = make_place()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    user = UserFactory()
    MembershipFactory(user=user, role=Role.MEDIATOR, scope=place, starts_on=tomorrow)
    MembershipFactory(user=user, role=Role.ADMINISTRATOR, starts_on=tomorrow)
    assert not user.has_perm("places.change_place", place)
    assert not user.has_perm("core.view_journal")


def test_inactive_person_has_no_role_permission(make_place):
    place = make_place()
    user = _person_with(Role.ADMINISTRATOR)
    user.is_active = False
    user.save()
    assert not user.has_perm("places.change_place", place)
    assert not user.has_perm("core.view_journal")


def test_superuser_has_every_permission(make_place):
    boss = UserFactory(is_superuser=True)
    assert boss.has_perm("places.change_place", make_place())
    assert boss.has_perm("core.view_journal")


def test_has_role_on_works_for_any_model_instance(db):
    """The object predicates only need a saved instance: here an Organisation (no ``organisation`` field)."""
    organisation, other = OrganisationFactory(), OrganisationFactory()
    user = _person_with(Role.EMPLOYER_MANAGER, organisation)
    predicate = permissions.has_role_on([Role.EMPLOYER_MANAGER])
    assert predicate.test(user, organisation)
    assert not predicate.test(user, other)
    assert not predicate.test(user, None)
    assert not predicate.test(user, Organisation(name="pas enregistrée"))
    assert not permissions.has_role_on(Role.TEACHER).test(user, organisation)


def test_has_role_predicates(db):
    user = _person_with(Role.GRANT_INSTRUCTOR)
    assert permissions.has_role(Role.GRANT_INSTRUCTOR).test(user)
    assert not permissions.has_role(Role.MEDIATOR).test(user)
    assert permissions.has_any_role(Role.MEDIATOR, Role.GRANT_INSTRUCTOR).test(user)
    assert permissions.is_grant_instructor.test(user)
    assert not permissions.is_administrator.test(user)
    assert not permissions.is_programme_manager.test(user)


def test_grant_role_permission_depends_on_the_role_granted(db):
    manager = _person_with(Role.PROGRAMME_MANAGER)
    admin = _person_with(Role.ADMINISTRATOR)
    assert manager.has_perm("accounts.grant_role", Role.MEDIATOR)
    assert not manager.has_perm("accounts.grant_role", Role.ADMINISTRATOR)
    assert admin.has_perm("accounts.grant_role", Role.ADMINISTRATOR)


def test_every_contract_permission_exists():
    for perm in ["places.add_place", "places.change_place", "places.import_lmn", "core.view_journal"]:
        assert rules.perm_exists(perm), perm


def test_roles_are_read_once_per_request(db, django_assert_num_queries, make_place):
    place = make_place()
    user = _person_with(Role.MEDIATOR, place)
    user = type(user).objects.get(pk=user.pk)  # fresh, nothing cached
    queries.active_roles(user)  # warm the content-type cache as a running server has it
    queries.forget_cached_roles(user)
    # 1 query for the memberships (ours) + 2 by Django's ModelBackend (the person's raw and
    # group permissions, also cached on the user): the count does not grow with the checks.
    with django_assert_num_queries(3):
        for _ in range(5):
            user.has_perm("places.change_place", place)
            user.has_perm("places.add_place")
            user.has_perm("core.view_journal")


def test_scoped_object_ids_and_objects_in_scope(make_place):
    from cybercantal.places.models import Place

    organisation = OrganisationFactory()
    place_a, place_b, org_place = make_place(), make_place(), make_place(organisation=organisation)
    today = timezone.localdate()
    user = UserFactory()
    MembershipFactory(user=user, role=Role.MEDIATOR, scope=place_a)
    MembershipFactory(user=user, role=Role.KIOSK_AGENT, scope=place_b)
    MembershipFactory(user=user, role=Role.TELECENTRE_MANAGER, scope=organisation)
    MembershipFactory(
        user=user,
        role=Role.MEDIATOR,
        scope=make_place(),
        starts_on=today - dt.timedelta(days=9),
        ends_on=today - dt.timedelta(days=1),
    )
    assert queries.scoped_object_ids(user, Place) == {place_a.pk, place_b.pk}
    assert queries.scoped_object_ids(user, Place, roles=[Role.MEDIATOR]) == {place_a.pk}
    assert queries.scoped_object_ids(user, Organisation) == {organisation.pk}
    in_scope = set(queries.objects_in_scope(user, Place.objects.all()).values_list("pk", flat=True))
    assert in_scope == {place_a.pk, place_b.pk, org_place.pk}
    only_mediator = queries.objects_in_scope(user, Place.objects.all(), roles=[Role.MEDIATOR])
    assert set(only_mediator.values_list("pk", flat=True)) == {place_a.pk}
