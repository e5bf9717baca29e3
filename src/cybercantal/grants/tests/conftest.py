"""Fixtures shared by the grants tests."""

from __future__ import annotations

import pytest

from cybercantal.accounts.models import Role
from cybercantal.places.tests.factories import UserFactory, give_totp, grant

from .factories import ApplicationFactory, BusinessFactory, ProgrammeFactory


@pytest.fixture
def staff(db):
    """``staff(role, scope=None)``: a person with that role (TOTP set up for staff roles)."""

    def make(role: str, scope=None):
        user = UserFactory()
        if role not in (Role.CITIZEN, Role.TELEWORKER, Role.PARENT, Role.STUDENT, Role.BUSINESS_APPLICANT):
            give_totp(user)
        grant(user, role, scope)
        return user

    return make


@pytest.fixture
def programme(db):
    """Auverdata-like: 50 %, cap 5,000 €, envelope 100,000 €, open."""
    return ProgrammeFactory(slug="auverdata", code="AUV", name="Auverdata")


@pytest.fixture
def business(db):
    return BusinessFactory(name="Scierie des Planèzes")


@pytest.fixture
def applicant(staff, business):
    """A person who applies for ``business``."""
    return staff(Role.BUSINESS_APPLICANT, business)


@pytest.fixture
def other_applicant(staff):
    return staff(Role.BUSINESS_APPLICANT, BusinessFactory())


@pytest.fixture
def instructor(staff):
    return staff(Role.GRANT_INSTRUCTOR)


@pytest.fixture
def manager(staff):
    return staff(Role.PROGRAMME_MANAGER)


@pytest.fixture
def draft(programme, business, applicant):
    return ApplicationFactory(programme=programme, organisation=business, created_by=applicant)
