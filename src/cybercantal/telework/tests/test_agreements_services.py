"""Employer agreements: references, terms, signature and end, employees named and removed (their
bookings cancelled through the booking service, nothing refunded), the list import, joining
with a verified address, and the usage per month aggregated in SQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.utils import timezone

from cybercantal.accounts.models import Organisation, Role, RoleMembership
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.db import is_postgres
from cybercantal.core.models import JournalEntry
from cybercantal.core.testing import run_in_parallel

from ..models import (
    AgreementEmployee,
    AgreementStatus,
    Booking,
    BookingStatus,
    CreditMovement,
    DayPart,
    EmployerAgreement,
    Membership,
)
from ..queries import agreements as queries
from ..services import agreements as services
from .factories import (
    AgreementFactory,
    EmployeeFactory,
    MembershipFactory,
    TelecentreFactory,
    UserFactory,
    next_weekday,
)
from .factories_agreements import agreement_in_force, book_day, employer_with_manager, joined_employee

VALID_SIRET = "73282932000074"


def create(actor, telecentres, **overrides):
    values = {
        "telecentres": telecentres,
        "starts_on": timezone.localdate(),
        "days_per_week": 2,
        "day_price_excl_tax": Decimal("16.00"),
    }
    values.update(overrides)
    if "employer" not in values and "employer_name" not in values:
        values["employer"] = employer_with_manager()[0]
    return services.agreement_create(actor=actor, **values)


# --- creation and references --------------------------------------------------------------------


def test_references_follow_each_other_per_year(programme_manager, telecentre):
    year = timezone.localdate().year
    first = create(programme_manager, [telecentre])
    second = create(programme_manager, [telecentre])
    assert first.reference == f"CONV-{year}-001"
    assert second.reference == f"CONV-{year}-002"
    assert first.status == AgreementStatus.DRAFT
    assert list(first.telecentres.all()) == [telecentre]
    assert JournalEntry.objects.filter(action="telework.agreement.created").count() == 2


def test_reference_goes_past_999(programme_manager, telecentre):
    year = timezone.localdate().year
    AgreementFactory(reference=f"CONV-{year}-999")
    assert services.next_reference(year) == f"CONV-{year}-1000"
    AgreementFactory(reference=f"CONV-{year}-1000")
    assert services.next_reference(year) == f"CONV-{year}-1001"


def test_a_new_employer_is_created_with_its_siret_checked(programme_manager, telecentre):
    agreement = create(
        programme_manager, [telecentre], employer_name="Mutuelle Test", employer_siret="732 829 320 00074"
    )
    assert agreement.employer.name == "Mutuelle Test"
    assert agreement.employer.kind == Organisation.Kind.EMPLOYER
    assert agreement.employer.siret == VALID_SIRET


@pytest.mark.parametrize(
    ("siret", "message"),
    [
        ("", "Indiquez le SIRET"),
        ("73282932000075", "clé de contrôle"),
        ("7328293200007", "14 chiffres"),
        ("ABCDEFGHIJKLMN", "que des chiffres"),
    ],
)
def test_a_wrong_siret_is_refused_in_french_and_nothing_is_saved(programme_manager, telecentre, siret, message):
    with pytest.raises(ValidationError) as caught:
        create(programme_manager, [telecentre], employer_name="Mutuelle Test", employer_siret=siret)
    assert message in str(caught.value.message_dict["employer_siret"])
    assert not EmployerAgreement.objects.exists()
    assert not Organisation.objects.filter(name="Mutuelle Test").exists()


def test_an_existing_siret_points_to_the_list(programme_manager, telecentre):
    existing = Organisation.objects.create(
        name="Déjà là", slug="deja-la", kind=Organisation.Kind.EMPLOYER, siret=VALID_SIRET
    )
    with pytest.raises(ValidationError) as caught:
        create(programme_manager, [telecentre], employer_name="Autre nom", employer_siret=VALID_SIRET)
    assert "choisissez-le dans la liste" in str(caught.value.message_dict["employer_siret"])
    assert existing.telework_agreements.count() == 0


def test_terms_are_checked_by_field(programme_manager, telecentre):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as caught:
        create(
            programme_manager,
            [],
            ends_on=today - dt.timedelta(days=1),
            days_per_week=6,
            day_price_excl_tax=Decimal("-1"),
            vat_rate=Decimal("45"),
        )
    errors = caught.value.message_dict
    assert set(errors) >= {"telecentres", "ends_on", "days_per_week", "day_price_excl_tax", "vat_rate"}


def test_an_employer_must_be_an_employer_or_a_business(programme_manager, telecentre):
    school = Organisation.objects.create(name="Collège", slug="college", kind=Organisation.Kind.SCHOOL)
    with pytest.raises(ValidationError) as caught:
        create(programme_manager, [telecentre], employer=school)
    assert "employer" in caught.value.message_dict


def test_only_the_programme_team_creates_agreements(staff, telecentre, manager):
    _employer, employer_manager = employer_with_manager()
    for actor in (employer_manager, manager, staff(Role.TELEWORKER)):
        with pytest.raises(NotAllowed):
            create(actor, [telecentre])


# --- update, signature, end --------------------------------------------------------------------------


def test_update_changes_the_terms_and_journals_them(programme_manager, telecentre):
    agreement = create(programme_manager, [telecentre])
    other = TelecentreFactory()
    updated = services.agreement_update(
        actor=programme_manager, agreement=agreement, days_per_week=3, telecentres=[telecentre, other]
    )
    assert updated.days_per_week == 3
    assert set(updated.telecentres.all()) == {telecentre, other}
    entry = JournalEntry.objects.get(action="telework.agreement.updated")
    assert entry.data["fields"] == ["days_per_week", "telecentres"]


def test_a_signed_agreement_keeps_its_employer_and_busy_telecentres(programme_manager, telecentre):
    other = TelecentreFactory()
    setup = agreement_in_force(telecentre, other)
    joined_employee(setup.agreement, telecentre)
    new_employer, _manager = employer_with_manager("Autre")
    with pytest.raises(ValidationError) as caught:
        services.agreement_update(actor=programme_manager, agreement=setup.agreement, employer=new_employer)
    assert "employer" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.agreement_update(actor=programme_manager, agreement=setup.agreement, telecentres=[other])
    assert "retirez-les d'abord" in str(caught.value)
    services.agreement_update(actor=programme_manager, agreement=setup.agreement, telecentres=[telecentre])


def test_activation_needs_the_signature_date_and_sends_the_invitations(
    programme_manager, telecentre, django_capture_on_commit_callbacks, mailoutbox
):
    agreement = create(programme_manager, [telecentre])
    with django_capture_on_commit_callbacks(execute=True):
        services.employee_add(
            actor=programme_manager, agreement=agreement, first_name="Claire", last_name="Vidal", email="Claire@Ex.org"
        )
    assert mailoutbox == []  # a draft: the invitation waits for the signature
    with pytest.raises(ValidationError) as caught:
        services.agreement_activate(actor=programme_manager, agreement=agreement, signed_on=None)
    assert "signed_on" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.agreement_activate(
            actor=programme_manager, agreement=agreement, signed_on=timezone.localdate() + dt.timedelta(days=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        activated = services.agreement_activate(
            actor=programme_manager, agreement=agreement, signed_on=timezone.localdate()
        )
    assert activated.status == AgreementStatus.ACTIVE
    assert [m.to for m in mailoutbox] == [["claire@ex.org"]]
    assert "/telecentres/rejoindre/" in mailoutbox[0].body
    # A double click changes nothing and sends nothing more.
    services.agreement_activate(actor=programme_manager, agreement=agreement, signed_on=timezone.localdate())
    assert len(mailoutbox) == 1


def test_ending_in_the_past_ends_memberships_and_cancels_later_bookings(programme_manager, telecentre, pool):
    setup = agreement_in_force(telecentre)
    employee, membership = joined_employee(setup.agreement, telecentre)
    day = next_weekday(1, weeks=1)
    booking = book_day(employee.user, pool, day)
    assert booking.agreement_id == setup.agreement.pk
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    ended = services.agreement_end(actor=programme_manager, agreement=setup.agreement, ends_on=yesterday)
    assert ended.status == AgreementStatus.ENDED
    membership.refresh_from_db()
    assert membership.ends_on == max(membership.starts_on, yesterday)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancelled_by == programme_manager


def test_ending_in_the_future_keeps_it_in_force_until_then(programme_manager, telecentre, pool):
    setup = agreement_in_force(telecentre)
    employee, _membership = joined_employee(setup.agreement, telecentre)
    before = next_weekday(1)
    after = before + dt.timedelta(days=7)
    kept = book_day(employee.user, pool, before)
    dropped = book_day(employee.user, pool, after)
    services.agreement_end(actor=programme_manager, agreement=setup.agreement, ends_on=before)
    setup.agreement.refresh_from_db()
    assert setup.agreement.status == AgreementStatus.ACTIVE
    assert services.is_in_force(setup.agreement)
    kept.refresh_from_db()
    dropped.refresh_from_db()
    assert (kept.status, dropped.status) == (BookingStatus.CONFIRMED, BookingStatus.CANCELLED)
    assert not services.is_in_force(setup.agreement, before + dt.timedelta(days=1))


# --- employees ----------------------------------------------------------------------------------------


def test_the_employer_manager_adds_an_employee_and_the_invitation_leaves_on_commit(
    telecentre, django_capture_on_commit_callbacks, mailoutbox
):
    setup = agreement_in_force(telecentre)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        employee = services.employee_add(
            actor=setup.employer_manager,
            agreement=setup.agreement,
            first_name="  Claire ",
            last_name="Vidal",
            email=" Claire.Vidal@Laiterie.FR ",
        )
    assert (employee.first_name, employee.email, employee.added_by) == (
        "Claire",
        "claire.vidal@laiterie.fr",
        setup.employer_manager,
    )
    assert mailoutbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert mailoutbox[0].to == ["claire.vidal@laiterie.fr"]
    assert setup.employer.name in mailoutbox[0].subject


def test_the_same_address_twice_is_refused_in_french(telecentre):
    setup = agreement_in_force(telecentre)
    services.employee_add(
        actor=setup.employer_manager, agreement=setup.agreement, first_name="A", last_name="B", email="a@ex.org"
    )
    with pytest.raises(ValidationError) as caught:
        services.employee_add(
            actor=setup.employer_manager, agreement=setup.agreement, first_name="A", last_name="B", email="A@EX.ORG"
        )
    assert "déjà celle d'un salarié" in caught.value.message_dict["email"][0]
    assert AgreementEmployee.objects.count() == 1


@pytest.mark.parametrize(
    ("first_name", "last_name", "email", "field"),
    [
        ("", "Vidal", "a@ex.org", "first_name"),
        ("Claire", "  ", "a@ex.org", "last_name"),
        ("Claire", "Vidal", "pas-une-adresse", "email"),
        ("Claire", "Vidal", "", "email"),
        ("C" * 101, "Vidal", "a@ex.org", "first_name"),
        ("Claire", "Vidal", "a" * 250 + "@ex.org", "email"),
    ],
)
def test_bad_employee_input_is_refused_by_field(telecentre, first_name, last_name, email, field):
    setup = agreement_in_force(telecentre)
    with pytest.raises(ValidationError) as caught:
        services.employee_add(
            actor=setup.employer_manager,
            agreement=setup.agreement,
            first_name=first_name,
            last_name=last_name,
            email=email,
        )
    assert field in caught.value.message_dict
    assert not AgreementEmployee.objects.exists()


def test_another_employer_manager_and_a_telecentre_manager_may_not_name_employees(telecentre, manager):
    setup = agreement_in_force(telecentre)
    _other, other_manager = employer_with_manager("Concurrent")
    for actor in (other_manager, manager):
        with pytest.raises(NotAllowed):
            services.employee_add(
                actor=actor, agreement=setup.agreement, first_name="A", last_name="B", email="a@ex.org"
            )


def test_no_employee_is_added_to_an_ended_agreement(telecentre):
    setup = agreement_in_force(telecentre, ends_on=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as caught:
        services.employee_add(
            actor=setup.employer_manager, agreement=setup.agreement, first_name="A", last_name="B", email="a@ex.org"
        )
    assert "terminée" in caught.value.messages[0]


def test_removal_ends_the_membership_and_cancels_future_bookings_without_refund(
    telecentre, pool, django_capture_on_commit_callbacks, mailoutbox
):
    setup = agreement_in_force(telecentre)
    employee, membership = joined_employee(setup.agreement, telecentre)
    own = MembershipFactory(member=employee.user)  # elsewhere, on their own plan: untouched
    first = book_day(employee.user, pool, next_weekday(1, weeks=1))
    second = book_day(employee.user, pool, next_weekday(3, weeks=1), DayPart.MORNING)
    assert first.price_excl_tax == Decimal("15.00")
    assert first.credits_used == 0
    with django_capture_on_commit_callbacks(execute=True):
        removal = services.employee_remove(actor=setup.employer_manager, employee=employee)
    assert (removal.cancelled_bookings, removal.ended_memberships) == (2, 1)
    employee.refresh_from_db()
    membership.refresh_from_db()
    own.refresh_from_db()
    assert employee.removed_on == timezone.localdate()
    assert membership.ends_on == timezone.localdate()
    assert own.ends_on is None
    for booking in (first, second):
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
        assert booking.cancelled_by == setup.employer_manager
        assert not booking.late_cancellation
    assert not CreditMovement.objects.exists()  # the employer paid: nothing to refund
    assert JournalEntry.objects.filter(action="telework.booking.cancelled").count() == 2
    assert any("Fin de la prise en charge" in m.subject for m in mailoutbox)
    # Removing twice changes nothing.
    again = services.employee_remove(actor=setup.employer_manager, employee=employee)
    assert again.cancelled_bookings == 0


def test_a_booking_tomorrow_cancelled_by_removal_stays_due(telecentre, pool):
    setup = agreement_in_force(telecentre)
    employee, _membership = joined_employee(setup.agreement, telecentre)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    booking = book_day(employee.user, pool, tomorrow, DayPart.AFTERNOON)
    services.employee_remove(actor=setup.employer_manager, employee=employee)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.late_cancellation == (timezone.now() > booking.starts_at - dt.timedelta(hours=24))


def test_a_removed_employee_can_no_longer_book_under_the_agreement(telecentre, pool):
    from ..services.booking import BookingError

    setup = agreement_in_force(telecentre)
    employee, _membership = joined_employee(setup.agreement, telecentre)
    services.employee_remove(actor=setup.employer_manager, employee=employee)
    with pytest.raises(BookingError):
        book_day(employee.user, pool, next_weekday(2, weeks=1))


def test_readd_makes_a_new_invitation(telecentre, django_capture_on_commit_callbacks, mailoutbox):
    setup = agreement_in_force(telecentre)
    employee, _membership = joined_employee(setup.agreement, telecentre)
    services.employee_remove(actor=setup.employer_manager, employee=employee)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.employee_readd(actor=setup.employer_manager, employee=employee)
    assert again.pk != employee.pk
    assert again.user is None
    assert again.removed_on is None
    assert mailoutbox[-1].to == [employee.email]
    with pytest.raises(ValidationError):
        services.employee_readd(actor=setup.employer_manager, employee=again)
    # The person joins again.
    membership = services.agreement_join(actor=employee.user, employee=again, telecentre=telecentre)
    assert membership.agreement == setup.agreement
    assert membership.ends_on is None


# --- import ------------------------------------------------------------------------------------------


def rows(*lines):
    return [services.EmployeeRow(n, *cells) for n, cells in enumerate(lines, start=1)]


def test_import_adds_everyone(telecentre):
    setup = agreement_in_force(telecentre)
    added = services.employees_import(
        actor=setup.employer_manager,
        agreement=setup.agreement,
        rows=rows(("Claire", "Vidal", "claire@ex.org"), ("Éric", "Bonnet", "ERIC@ex.org")),
    )
    assert [e.email for e in added] == ["claire@ex.org", "eric@ex.org"]


def test_import_adds_nobody_when_one_line_is_wrong(telecentre):
    setup = agreement_in_force(telecentre)
    EmployeeFactory(agreement=setup.agreement, email="deja@ex.org")
    with pytest.raises(ValidationError) as caught:
        services.employees_import(
            actor=setup.employer_manager,
            agreement=setup.agreement,
            rows=rows(
                ("Claire", "Vidal", "claire@ex.org"),
                ("", "Bonnet", "pas-une-adresse"),
                ("Paul", "Roux", "claire@ex.org"),
                ("Anne", "Deja", "deja@ex.org"),
            ),
        )
    messages = caught.value.messages
    assert messages[0].startswith("Ligne 2 : Indiquez le prénom.")
    assert "n'est pas valide" in messages[0]
    assert messages[1] == "Ligne 3 : claire@ex.org figure déjà ligne 1."
    assert messages[2].startswith("Ligne 4 : deja@ex.org est déjà salarié")
    assert AgreementEmployee.objects.count() == 1


# --- joining -------------------------------------------------------------------------------------------


def test_join_with_a_verified_address_creates_the_membership_and_grants_the_role(telecentre):
    setup = agreement_in_force(telecentre)
    user = UserFactory()
    employee = EmployeeFactory(agreement=setup.agreement, email=user.email.upper())
    assert queries.pending_invitations(user) == [employee]
    membership = services.agreement_join(actor=user, employee=employee, telecentre=telecentre)
    employee.refresh_from_db()
    assert employee.user == user
    assert employee.joined_at is not None
    assert (membership.plan, membership.agreement, membership.telecentre) == (None, setup.agreement, telecentre)
    assert RoleMembership.objects.filter(user=user, role=Role.TELEWORKER).count() == 1
    assert queries.pending_invitations(user) == []
    # Double click: the same membership, no second role.
    assert services.agreement_join(actor=user, employee=employee, telecentre=telecentre) == membership
    assert Membership.objects.filter(member=user).count() == 1
    assert RoleMembership.objects.filter(user=user, role=Role.TELEWORKER).count() == 1


def test_join_with_an_unverified_address_is_refused_and_explained(telecentre):
    setup = agreement_in_force(telecentre)
    user = UserFactory(verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    employee = EmployeeFactory(agreement=setup.agreement, email=user.email)
    assert queries.pending_invitations(user) == []
    assert queries.unverified_invitations(user) == [user.email.lower()]
    with pytest.raises(services.JoinError) as caught:
        services.agreement_join(actor=user, employee=employee, telecentre=telecentre)
    assert caught.value.code == "unverified"
    assert not Membership.objects.exists()


def test_nobody_joins_with_someone_elses_invitation(telecentre):
    setup = agreement_in_force(telecentre)
    employee, _membership = joined_employee(setup.agreement, telecentre)
    intruder = UserFactory()
    with pytest.raises(services.JoinError) as caught:
        services.agreement_join(actor=intruder, employee=employee, telecentre=telecentre)
    assert caught.value.code == "taken"
    pending = EmployeeFactory(agreement=setup.agreement)
    with pytest.raises(services.JoinError) as caught:
        services.agreement_join(actor=intruder, employee=pending, telecentre=telecentre)
    assert caught.value.code == "unverified"


def test_join_refuses_a_telecentre_not_covered_and_an_agreement_not_in_force(telecentre):
    setup = agreement_in_force(telecentre)
    user = UserFactory()
    employee = EmployeeFactory(agreement=setup.agreement, email=user.email)
    with pytest.raises(services.JoinError) as caught:
        services.agreement_join(actor=user, employee=employee, telecentre=TelecentreFactory())
    assert caught.value.code == "telecentre"
    draft = AgreementFactory(status=AgreementStatus.DRAFT, signed_on=None, telecentres=[telecentre])
    invitation = EmployeeFactory(agreement=draft, email=user.email)
    with pytest.raises(services.JoinError) as caught:
        services.agreement_join(actor=user, employee=invitation, telecentre=telecentre)
    assert caught.value.code == "not_in_force"


def test_an_own_membership_there_is_ended_only_if_the_person_chooses(telecentre, member):
    setup = agreement_in_force(telecentre)
    employee = EmployeeFactory(agreement=setup.agreement, email=member.email)
    own = Membership.objects.get(member=member)
    with pytest.raises(services.JoinError) as caught:
        services.agreement_join(actor=member, employee=employee, telecentre=telecentre)
    assert caught.value.code == "has_membership"
    assert caught.value.membership == own
    own.refresh_from_db()
    assert own.ends_on is None
    membership = services.agreement_join(actor=member, employee=employee, telecentre=telecentre, end_existing=True)
    own.refresh_from_db()
    assert own.ends_on == timezone.localdate() - dt.timedelta(days=1)
    assert membership.agreement == setup.agreement


def test_a_second_telecentre_of_the_agreement_can_be_added(telecentre):
    other = TelecentreFactory()
    setup = agreement_in_force(telecentre, other)
    employee, _first = joined_employee(setup.agreement, telecentre)
    second = services.agreement_join(actor=employee.user, employee=employee, telecentre=other)
    assert second.telecentre == other
    lines = queries.employee_lines(setup.agreement)
    assert sorted(lines[0].telecentres) == sorted([telecentre.place.name, other.place.name])


# --- usage per month ----------------------------------------------------------------------------------


def test_usage_counts_days_per_employee_and_month_in_sql(telecentre, pool, django_assert_max_num_queries):
    setup = agreement_in_force(telecentre, starts_on=timezone.localdate() - dt.timedelta(days=90))
    claire, _m = joined_employee(setup.agreement, telecentre)
    paul, _m = joined_employee(setup.agreement, telecentre)
    pending = EmployeeFactory(agreement=setup.agreement)
    day = next_weekday(1)
    book_day(claire.user, pool, day)
    book_day(claire.user, pool, day + dt.timedelta(days=1), DayPart.MORNING)
    cancelled = book_day(paul.user, pool, day)
    Booking.objects.filter(pk=cancelled.pk).update(status=BookingStatus.CANCELLED)
    late = book_day(paul.user, pool, day + dt.timedelta(days=2), DayPart.AFTERNOON)
    Booking.objects.filter(pk=late.pk).update(status=BookingStatus.CANCELLED, late_cancellation=True)
    months = [day.replace(day=1), (day + dt.timedelta(days=2)).replace(day=1)]
    months = sorted(set(months))
    with django_assert_max_num_queries(2):
        usage = queries.usage_by_month(setup.agreement, months=months)
    by_email = {row.email: row for row in usage.rows}
    assert by_email[claire.email].total == Decimal("1.5")
    assert by_email[paul.email].total == Decimal("0.5")
    assert by_email[pending.email].total == 0
    assert usage.grand_total == Decimal("2.0")


def test_month_quota_follows_the_weeks():
    agreement = EmployerAgreement(days_per_week=2, starts_on=dt.date(2026, 1, 1))
    # March 2026: Monday 2 to Tuesday 31, five weeks (the last one has two working days).
    assert queries.month_quota(agreement, dt.date(2026, 3, 1)) == 10
    agreement.starts_on = dt.date(2026, 3, 30)
    assert queries.month_quota(agreement, dt.date(2026, 3, 1)) == 2


def test_months_shown_stop_at_the_agreement_bounds():
    agreement = EmployerAgreement(starts_on=dt.date(2026, 1, 15), ends_on=dt.date(2026, 4, 10), days_per_week=2)
    months = queries.month_starts(agreement, today=dt.date(2026, 9, 1))
    assert months == [dt.date(2026, m, 1) for m in (1, 2, 3, 4)]


# --- races (PostgreSQL, real connections) ---------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_adding_the_same_address_at_once_make_one_row():
    assert is_postgres()
    telecentre = TelecentreFactory()
    setup = agreement_in_force(telecentre)
    second_manager = UserFactory()
    from cybercantal.places.tests.factories import grant

    grant(second_manager, Role.EMPLOYER_MANAGER, setup.employer)

    def add(actor):
        try:
            services.employee_add(
                actor=actor, agreement=setup.agreement, first_name="Claire", last_name="Vidal", email="claire@ex.org"
            )
        except ValidationError as exc:
            return exc.message_dict["email"][0]
        return "ok"

    results = run_in_parallel(add, [setup.employer_manager, second_manager], timeout=60)
    assert sorted(results) == sorted(["ok", "L'adresse claire@ex.org est déjà celle d'un salarié de cette convention."])
    assert AgreementEmployee.objects.filter(email="claire@ex.org").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_agreements_created_at_once_get_distinct_references():
    assert is_postgres()
    from cybercantal.places.tests.factories import give_totp, grant

    telecentre = TelecentreFactory()
    managers = []
    for _ in range(8):
        user = UserFactory()
        give_totp(user)
        grant(user, Role.PROGRAMME_MANAGER)
        managers.append(user)
    employer, _manager = employer_with_manager()
    results = run_in_parallel(
        lambda actor: create(actor, [telecentre], employer=employer).reference, managers, timeout=60
    )
    assert len(set(results)) == 8
    year = timezone.localdate().year
    assert sorted(results) == [f"CONV-{year}-{n:03d}" for n in range(1, 9)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_join_makes_one_membership():
    assert is_postgres()
    telecentre = TelecentreFactory()
    setup = agreement_in_force(telecentre)
    user = UserFactory()
    employee = EmployeeFactory(agreement=setup.agreement, email=user.email)
    results = run_in_parallel(
        lambda _n: services.agreement_join(actor=user, employee=employee, telecentre=telecentre).pk, [1, 2], timeout=60
    )
    assert results[0] == results[1]
    assert Membership.objects.filter(member=user).count() == 1


def test_months_shown_end_with_the_next_month_while_in_force():
    agreement = EmployerAgreement(starts_on=dt.date(2026, 8, 3), days_per_week=2)
    assert queries.month_starts(agreement, today=dt.date(2026, 9, 15)) == [
        dt.date(2026, 8, 1),
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 1),
    ]


def test_only_the_paying_employer_may_cancel_an_employee_booking(telecentre, pool, member):
    setup = agreement_in_force(telecentre)
    employee, _membership = joined_employee(setup.agreement, telecentre)
    booking = book_day(employee.user, pool, next_weekday(2, weeks=1))
    own_booking = book_day(member, pool, next_weekday(2, weeks=1))  # paid by the member: not the employer's
    _other, other_manager = employer_with_manager("Concurrent")
    assert setup.employer_manager.has_perm("telework.cancel_booking", booking)
    assert not other_manager.has_perm("telework.cancel_booking", booking)
    assert not setup.employer_manager.has_perm("telework.cancel_booking", own_booking)
