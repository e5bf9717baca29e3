"""Helpers of the agreements tests: an agreement in force with its employer's manager, an
employee who has joined, a booking under the agreement."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cybercantal.accounts.models import Organisation, Role, User
from cybercantal.accounts.tests.factories import OrganisationFactory
from cybercantal.places.tests.factories import grant

from ..models import AgreementEmployee, DayPart, EmployerAgreement, Membership, Telecentre
from ..services import agreements as services
from ..services.booking import booking_create
from .factories import AgreementFactory, EmployeeFactory, UserFactory


@dataclass
class Setup:
    agreement: EmployerAgreement
    employer: Organisation
    employer_manager: User


def employer_with_manager(name: str = "Laiterie test") -> tuple[Organisation, User]:
    employer = OrganisationFactory(name=name, kind=Organisation.Kind.EMPLOYER)
    manager = UserFactory()
    grant(manager, Role.EMPLOYER_MANAGER, employer)
    return employer, manager


def agreement_in_force(*telecentres: Telecentre, **kwargs: Any) -> Setup:
    employer, manager = employer_with_manager()
    agreement = AgreementFactory(employer=employer, telecentres=list(telecentres), **kwargs)
    return Setup(agreement, employer, manager)


def joined_employee(
    agreement: EmployerAgreement, telecentre: Telecentre, *, user: User | None = None
) -> tuple[AgreementEmployee, Membership]:
    """An employee who accepted the invitation, with a membership at ``telecentre``."""
    user = user or UserFactory()
    employee = EmployeeFactory(agreement=agreement, email=user.email, first_name=user.first_name)
    membership = services.agreement_join(actor=user, employee=employee, telecentre=telecentre)
    employee.refresh_from_db()
    return employee, membership


def book_day(user: User, resource: Any, day: dt.date, part: str = DayPart.DAY) -> Any:
    return booking_create(actor=user, resource=resource, day=day, part=part, notify=False)
