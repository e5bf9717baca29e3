"""Reads about employer agreements: the lists each role sees, the employees of an agreement,
their usage per month (aggregated in SQL), and the invitations waiting for a person.

What an employer sees is limited to what billing needs: names, professional address,
joined or not, telecentres, days used per month. No times of day, no commute, no other
membership of the person.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Lower, TruncMonth
from django.utils import timezone

from cybercantal.accounts.models import Organisation, Role
from cybercantal.accounts.queries import scoped_object_ids
from cybercantal.places.models import Place

from ..models import (
    AgreementEmployee,
    AgreementStatus,
    Booking,
    BookingStatus,
    EmployerAgreement,
    Membership,
    Telecentre,
)

ZERO = Decimal("0")
USAGE_MONTHS = 12

STATUS_CHOICES = ("draft", "active", "ended")


def _status_q(status: str) -> Q:
    today = timezone.localdate()
    if status == "draft":
        return Q(status=AgreementStatus.DRAFT)
    if status == "active":
        return Q(status=AgreementStatus.ACTIVE) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    if status == "ended":
        return Q(status=AgreementStatus.ENDED) | (Q(status=AgreementStatus.ACTIVE) & Q(ends_on__lt=today))
    return Q()


# --- who sees what ----------------------------------------------------------------------------


def managed_telecentre_ids(user: Any) -> set[int]:
    """Telecentres the person manages (role scoped to the place or to the operator)."""
    places = scoped_object_ids(user, Place, [Role.TELECENTRE_MANAGER])
    operators = scoped_object_ids(user, Organisation, [Role.TELECENTRE_MANAGER])
    if not places and not operators:
        return set()
    return set(
        Telecentre.objects.filter(Q(place_id__in=places) | Q(operator_id__in=operators)).values_list("pk", flat=True)
    )


def managed_employer_ids(user: Any) -> set[int]:
    """Employer organisations the person manages (employer-manager role scoped to them)."""
    return scoped_object_ids(user, Organisation, [Role.EMPLOYER_MANAGER])


def _annotated(queryset: QuerySet[EmployerAgreement]) -> QuerySet[EmployerAgreement]:
    return (
        queryset.select_related("employer")
        .prefetch_related("telecentres__place")
        .annotate(
            employee_count=Count("employees", filter=Q(employees__removed_on__isnull=True), distinct=True),
            joined_count=Count(
                "employees",
                filter=Q(employees__removed_on__isnull=True, employees__user__isnull=False),
                distinct=True,
            ),
        )
        .order_by("-starts_on", "-pk")
    )


def agreements_for(
    user: Any,
    *,
    status: str = "",
    telecentre: Telecentre | None = None,
    employer: Organisation | None = None,
    text: str = "",
) -> QuerySet[EmployerAgreement]:
    """The programme team sees every agreement; a telecentre manager those covering one of
    their telecentres; nobody else any."""
    queryset = EmployerAgreement.objects.all()
    if not user.has_perm("telework.manage_agreements"):
        covered = EmployerAgreement.telecentres.through.objects.filter(telecentre_id__in=managed_telecentre_ids(user))
        queryset = queryset.filter(pk__in=covered.values("employeragreement_id"))
    if status:
        queryset = queryset.filter(_status_q(status))
    if telecentre is not None:
        queryset = queryset.filter(
            pk__in=EmployerAgreement.telecentres.through.objects.filter(telecentre=telecentre).values(
                "employeragreement_id"
            )
        )
    if employer is not None:
        queryset = queryset.filter(employer=employer)
    text = " ".join(text.split())
    if text:
        queryset = queryset.filter(Q(reference__icontains=text) | Q(employer__name__icontains=text))
    return _annotated(queryset)


def employer_agreements(user: Any) -> QuerySet[EmployerAgreement]:
    """The agreements of the organisations the person manages as an employer (drafts too:
    the employer may name its employees before the signature)."""
    return _annotated(EmployerAgreement.objects.filter(employer_id__in=managed_employer_ids(user)))


def employers() -> QuerySet[Organisation]:
    """Organisations that may sign an agreement (employers and businesses)."""
    return Organisation.objects.filter(kind__in=[Organisation.Kind.EMPLOYER, Organisation.Kind.BUSINESS]).order_by(
        "name"
    )


def agreement_telecentres(agreement: EmployerAgreement) -> list[Telecentre]:
    return list(agreement.telecentres.select_related("place").order_by("place__name"))


# --- employees --------------------------------------------------------------------------------


@dataclass
class EmployeeLine:
    employee: AgreementEmployee
    telecentres: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.employee.removed_on is not None:
            return "removed"
        return "joined" if self.employee.user_id else "pending"


def employee_lines(agreement: EmployerAgreement, *, removed: bool = False) -> list[EmployeeLine]:
    """The employees (the current ones, or the removed ones) with the telecentres where they
    hold an open membership under this agreement. Two queries."""
    employees = list(agreement.employees.filter(removed_on__isnull=not removed).order_by("last_name", "first_name"))
    user_ids = [e.user_id for e in employees if e.user_id]
    places: dict[int, list[str]] = defaultdict(list)
    if user_ids and not removed:
        today = timezone.localdate()
        for member_id, name in (
            Membership.objects.filter(agreement=agreement, member_id__in=user_ids)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
            .order_by("telecentre__place__name")
            .values_list("member_id", "telecentre__place__name")
        ):
            places[member_id].append(name)
    return [EmployeeLine(e, places.get(e.user_id, []) if e.user_id else []) for e in employees]


# --- usage ------------------------------------------------------------------------------------


def counted_bookings() -> Q:
    """Bookings that count as used (and are billed): confirmed, released no-shows, and
    cancellations made too late."""
    return Q(status__in=[BookingStatus.CONFIRMED, BookingStatus.RELEASED]) | Q(
        status=BookingStatus.CANCELLED, late_cancellation=True
    )


def month_starts(
    agreement: EmployerAgreement, *, today: dt.date | None = None, count: int = USAGE_MONTHS
) -> list[dt.date]:
    """The months shown, most recent last: up to ``count`` months ending with the next one (days
    already booked ahead), or with the agreement's last month, never before its first month."""
    today = today or timezone.localdate()
    last = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    if agreement.ends_on is not None and agreement.ends_on < last:
        last = agreement.ends_on.replace(day=1)
    first = agreement.starts_on.replace(day=1)
    months: list[dt.date] = []
    month = last
    while month >= first and len(months) < count:
        months.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def month_quota(agreement: EmployerAgreement, month: dt.date) -> int:
    """Most days one employee may use in ``month``: per week, the quota or the working days
    (Monday to Friday) of that week inside the month and the agreement's period."""
    first = max(month, agreement.starts_on)
    last = month_end(month)
    if agreement.ends_on is not None:
        last = min(last, agreement.ends_on)
    weeks: dict[tuple[int, int], int] = defaultdict(int)
    day = first
    while day <= last:
        if day.weekday() < 5:
            iso = day.isocalendar()
            weeks[(iso[0], iso[1])] += 1
        day += dt.timedelta(days=1)
    return sum(min(agreement.days_per_week, days) for days in weeks.values())


@dataclass
class UsageRow:
    name: str
    email: str
    removed: bool
    days: list[Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.days, ZERO)


@dataclass
class Usage:
    months: list[dt.date]
    quotas: list[int]
    rows: list[UsageRow]
    totals: list[Decimal]

    @property
    def grand_total(self) -> Decimal:
        return sum(self.totals, ZERO)


def usage_by_month(agreement: EmployerAgreement, *, months: list[dt.date] | None = None) -> Usage:
    """Days used per employee and month under ``agreement`` (half-days count 0.5), summed in
    SQL; every current employee has a row, a removed one only if they used days. Two queries."""
    months = months if months is not None else month_starts(agreement)
    employees = list(agreement.employees.order_by("last_name", "first_name", "-added_on", "-pk"))
    by_user: dict[int, AgreementEmployee] = {}
    for employee in employees:  # the current line of a person wins over their removed ones
        if employee.user_id and (employee.user_id not in by_user or employee.removed_on is None):
            by_user[employee.user_id] = employee
    used: dict[tuple[int, dt.date], Decimal] = {}
    if months:
        tz = timezone.get_current_timezone()
        start = timezone.make_aware(dt.datetime.combine(months[0], dt.time.min), tz)
        end = timezone.make_aware(dt.datetime.combine(month_end(months[-1]) + dt.timedelta(days=1), dt.time.min), tz)
        rows = (
            Booking.objects.filter(agreement=agreement, starts_at__gte=start, starts_at__lt=end)
            .filter(counted_bookings())
            .annotate(month=TruncMonth("starts_at", tzinfo=tz))
            .values("member_id", "month")
            .annotate(days=Sum("days_counted"))
            .order_by()
        )
        for row in rows:
            month = row["month"]
            month = month.date() if isinstance(month, dt.datetime) else month
            key = (row["member_id"], month)
            used[key] = used.get(key, ZERO) + (row["days"] or ZERO)
    index = {month: i for i, month in enumerate(months)}
    result: list[UsageRow] = []
    seen_users: set[int] = set()
    for employee in employees:
        days = [ZERO] * len(months)
        if employee.user_id:
            if employee.user_id in seen_users or by_user.get(employee.user_id) is not employee:
                continue
            seen_users.add(employee.user_id)
            for (member_id, month), value in used.items():
                if member_id == employee.user_id and month in index:
                    days[index[month]] += value
        if employee.removed_on is not None and not any(days):
            continue
        result.append(
            UsageRow(
                name=f"{employee.first_name} {employee.last_name}",
                email=employee.email,
                removed=employee.removed_on is not None,
                days=days,
            )
        )
    totals = [sum((row.days[i] for row in result), ZERO) for i in range(len(months))]
    return Usage(months=months, quotas=[month_quota(agreement, m) for m in months], rows=result, totals=totals)


# --- invitations ------------------------------------------------------------------------------


def _in_force() -> Q:
    today = timezone.localdate()
    return Q(agreement__status=AgreementStatus.ACTIVE) & (
        Q(agreement__ends_on__isnull=True) | Q(agreement__ends_on__gte=today)
    )


def _emails(user: Any, *, verified: bool) -> list[str]:
    from allauth.account.models import EmailAddress

    if not getattr(user, "pk", None):
        return []
    return [
        e.lower()
        for e in EmailAddress.objects.filter(user_id=user.pk, verified=verified).values_list("email", flat=True)
    ]


def pending_invitations(user: Any) -> list[AgreementEmployee]:
    """Invitations not accepted yet, to one of the person's verified addresses, under an
    agreement in force, with the employer and the telecentres."""
    emails = _emails(user, verified=True)
    if not emails:
        return []
    return list(
        AgreementEmployee.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails, user__isnull=True, removed_on__isnull=True)
        .filter(_in_force())
        .select_related("agreement__employer")
        .prefetch_related("agreement__telecentres__place")
        .order_by("agreement__employer__name", "pk")
    )


def unverified_invitations(user: Any) -> list[str]:
    """Addresses of the person not verified yet that have an invitation waiting (to explain
    how to verify them)."""
    emails = _emails(user, verified=False)
    if not emails:
        return []
    return sorted(
        set(
            AgreementEmployee.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=emails, user__isnull=True, removed_on__isnull=True)
            .filter(_in_force())
            .values_list("email_lower", flat=True)
        )
    )


def my_employments(user: Any) -> list[AgreementEmployee]:
    """The agreements the person has joined, in force, with their telecentres; ``open_ids``
    (set on each) lists the telecentres where they hold a membership under it."""
    if not getattr(user, "pk", None):
        return []
    employments = list(
        AgreementEmployee.objects.filter(user_id=user.pk, removed_on__isnull=True)
        .filter(_in_force())
        .select_related("agreement__employer")
        .prefetch_related("agreement__telecentres__place")
        .order_by("agreement__employer__name")
    )
    open_ids: dict[int, set[int]] = defaultdict(set)
    for agreement_id, telecentre_id in Membership.objects.filter(
        member_id=user.pk, agreement_id__in=[e.agreement_id for e in employments], ends_on__isnull=True
    ).values_list("agreement_id", "telecentre_id"):
        open_ids[agreement_id].add(telecentre_id)
    for employment in employments:
        employment.open_ids = open_ids.get(employment.agreement_id, set())  # type: ignore[attr-defined]
    return employments


def open_membership(user: Any, telecentre: Telecentre) -> Membership | None:
    return (
        Membership.objects.filter(member_id=user.pk, telecentre=telecentre, ends_on__isnull=True)
        .select_related("plan", "agreement__employer")
        .first()
    )


def future_bookings_count(employee: AgreementEmployee) -> int:
    """What removing the employee would cancel (shown before confirming)."""
    from ..services.agreements import bookings_to_cancel

    return bookings_to_cancel(employee).count()
