"""Helpers of the series tests: an employee covered by an agreement, dates of the coming weeks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ..models import Membership
from .factories import AgreementFactory, EmployeeFactory, MembershipFactory, UserFactory, give_credits


def employee_of(telecentre: Any, *, days_per_week: int = 2) -> Any:
    """A salaried teleworker covered by an agreement (the employer pays, N days a week)."""
    agreement = AgreementFactory(telecentres=[telecentre], days_per_week=days_per_week)
    employee = EmployeeFactory(agreement=agreement)
    user = UserFactory(email=employee.email)
    employee.user = user
    employee.save()
    MembershipFactory(member=user, telecentre=telecentre, plan=None, agreement=agreement)
    return user


def carnet_member(telecentre: Any, credits: str = "10") -> Any:
    membership: Membership = MembershipFactory(telecentre=telecentre)
    give_credits(membership, credits)
    return membership.member


def monday_in(weeks: int = 1) -> dt.date:
    """The Monday ``weeks`` weeks after this week's Monday (never today or in the past)."""
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=weeks)


def rule_until(day: dt.date, byday: str = "TU,TH") -> str:
    return f"FREQ=WEEKLY;BYDAY={byday};UNTIL={day:%Y%m%d}"
